"""The monthly report: every figure follows from a known ledger (issued by source, redeemed,
reversed, net; per team; pieces in and out per item), the XLSX says the same and its export is
on the record, and a station outside the reader's area is a 404."""

import datetime as dt
import io

import pytest
from django.db.models import Sum
from django.utils import timezone
from openpyxl import load_workbook

from fengqiao.core.audit import AuditEntry
from fengqiao.outreach.actions import record_lecture
from fengqiao.points import actions, report
from fengqiao.points.choices import AccountKind
from fengqiao.points.models import Entry
from fengqiao.points.selectors import stock_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(world, personas):
    """This month: 40 awarded to A, 25 to B then reversed, a lecture credited to A (5), A redeems
    the 30-point item, one piece written off."""
    actions.award_points(world.member_a, actor=world.clerk, points=40, reason="参加反诈讲座")
    wrong = actions.award_points(world.member_b, actor=world.clerk, points=25, reason="巡逻")
    actions.reverse_transaction(wrong, actor=world.clerk, reason="记错了人")
    lecture = record_lecture(
        actor=personas.officer,
        kind="lecture",
        held_on=timezone.localdate(),
        place_text="金积村委会",
        topic="防范电信诈骗",
        speaker="王五",
        grid=personas.territory.grid_a,
    )
    actions.credit_lecture(lecture, world.member_a, actor=personas.officer)
    actions.redeem(world.item, world.member_a, actor=world.clerk, idempotency_key="report-1")
    actions.write_off(world.item, actor=world.clerk, quantity=1, reason="包装破损")
    return world


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def test_the_figures_follow_from_the_ledger(ledger):
    w = ledger
    (station,) = report.monthly_report(report.stations_kept_by(w.clerk), this_month()).stations
    assert station.station == w.station
    t = station.total
    assert (t.issued, t.redeemed, t.reversed, t.expired, t.net) == (70, 30, 25, 0, 15)
    assert {key: n for key, _label, n in station.sources} == {
        "patrol": 0,
        "lead": 0,
        "mediation": 0,
        "lecture": 5,
        "manual": 65,
    }
    # the net is exactly how far the station's issuing account moved
    issuing = Entry.objects.filter(account__station=w.station, account__kind=AccountKind.ISSUING)
    assert -issuing.aggregate(n=Sum("amount"))["n"] == t.net
    teams = {row.team_id: row.flow for row in station.teams}
    a, b = teams[w.teams["A"].pk], teams[w.teams["B"].pk]
    assert (a.issued, a.redeemed, a.reversed, a.net) == (45, 30, 0, 15)
    assert (b.issued, b.redeemed, b.reversed, b.net) == (25, 0, 25, 0)
    (item,) = station.items
    assert (item.opening, item.delivered, item.handed_out, item.written_off, item.adjusted) == (0, 5, 1, 1, 0)
    assert item.closing == stock_of(w.item) == 3


def test_other_months_hold_only_their_own_movements(ledger):
    before = (this_month() - dt.timedelta(days=1)).replace(day=1)
    after = (this_month() + dt.timedelta(days=32)).replace(day=1)
    stations = report.stations_kept_by(ledger.clerk)
    (earlier,) = report.monthly_report(stations, before).stations
    assert earlier.total.issued == earlier.total.net == 0 and earlier.teams == []
    assert earlier.items[0].opening == earlier.items[0].closing == 0
    (later,) = report.monthly_report(stations, after).stations
    assert later.total.issued == 0 and later.items[0].opening == later.items[0].closing == 3


def test_the_page_and_its_xlsx_say_the_same_and_the_export_is_audited(client, ledger):
    w = ledger
    client.force_login(w.clerk)
    month = f"{this_month():%Y-%m}"
    page = client.get(f"/points/report/?month={month}")
    body = page.content.decode()
    assert page.status_code == 200, body
    assert f'data-team="{w.teams["A"].pk}"' in body and "洗衣液" in body and "参加讲座" in body
    xlsx = client.get(f"/points/report/?month={month}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")
    rows = [
        [c for c in row if c is not None]
        for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
    ]
    assert rows[0] == ["积分月报", month]
    assert ["合计", 70, 30, 25, 0, 15] in rows
    assert ["参加讲座", 5] in rows and ["人工奖励", 65] in rows
    assert [w.teams["A"].name, 45, 30, 0, 0, 15] in rows
    assert ["洗衣液", 0, 5, 1, 1, 0, 3] in rows
    export = AuditEntry.objects.filter(action="points_report_export").get()
    assert export.actor == w.clerk and export.object_repr == month


def test_a_name_that_looks_like_a_formula_stays_text(client, world, personas):
    from fengqiao.patrols.actions import create_team

    team = create_team(
        actor=personas.city, name="=HYPERLINK(1)", kind="red_armband", grid=personas.territory.grid_a
    )
    from fengqiao.patrols.actions import add_member
    from tests.fixtures.registry import valid_id_number

    member = add_member(team, actor=personas.city, name="甲", id_number=valid_id_number())
    actions.award_points(member, actor=world.clerk, points=3, reason="帮忙")
    client.force_login(world.clerk)
    sheet = load_workbook(io.BytesIO(client.get("/points/report/?format=xlsx").content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
    assert cells and all(c.data_type == "s" for c in cells)


def test_a_bad_month_is_named_and_nothing_is_exported(client, world):
    client.force_login(world.clerk)
    page = client.get("/points/report/?month=2026-13")
    assert page.status_code == 200 and "月份请按“年-月”填写" in page.content.decode()
    assert client.get("/points/report/?month=nonsense&format=xlsx")["Content-Type"].startswith("text/html")
    assert not AuditEntry.objects.filter(action="points_report_export").exists()


def test_another_stations_staff_and_volunteers_cannot_read_it(client, world, personas):
    from fengqiao.core.roles import Role
    from tests.conftest import make_user

    other = make_user("chief_c", Role.STATION, unit=personas.territory.station2)
    client.force_login(other)
    assert client.get(f"/points/report/?station={world.station.pk}").status_code == 404
    page = client.get("/points/report/").content.decode()
    assert personas.territory.station2.name in page and world.station.name not in page
    client.force_login(world.vol_a)
    assert client.get("/points/report/").status_code == 403
    client.force_login(personas.grid_a)
    assert client.get("/points/report/").status_code == 403
    assert client.get(f"/points/report/?station={world.station.pk}").status_code == 404
