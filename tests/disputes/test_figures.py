"""The quota board, the screening returns and the statistics match the records, and every figure's
link lists exactly the disputes it counts."""

import datetime as dt
import io
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from fengqiao.core.roles import Role
from fengqiao.disputes import actions, selectors, stats
from fengqiao.disputes.choices import Category, Outcome
from fengqiao.disputes.models import Dispute
from fengqiao.registry.validators import id_check_char
from tests.conftest import make_user
from tests.disputes.test_workflow import mediate_to_agreement

pytestmark = pytest.mark.django_db

OTHER_IDS = [
    b + id_check_char(b)
    for b in ("64030219900101123", "64030219850202121", "64030219770303333", "64030219680404444")
]


def listed(user, link: str) -> set:
    """The disputes a figure's link lists, through the same filter the ledger page applies."""
    params = dict(parse_qsl(urlsplit(link).query))
    qs = selectors.DisputeFilter.from_params(params).apply(selectors.disputes_for(user))
    return set(qs.values_list("number", flat=True))


def resolve(dispute, actor):
    dispute = mediate_to_agreement(dispute, actor)
    return actions.move(dispute, "resolve", actor=actor, version=dispute.version)


@pytest.fixture
def officer_b(personas):
    return make_user(
        "officer_b", Role.COMMUNITY_OFFICER, unit=personas.territory.district_b, full_name="周九"
    )


@pytest.fixture
def ledger(register, personas, officer_b):
    """Grid A: three disputes this year, two resolved, one kept from turning criminal; one a year
    ago, resolved. Grid B: one this year, resolved by officer B. Grid C: one, out of the station's sight."""
    t = personas.territory
    now = timezone.now()
    a1 = resolve(register(category="neighbours", amount=1000, kept_from_criminal=True), personas.officer)
    a2 = resolve(register(category="neighbours", respondent=OTHER_IDS[0], amount=500), personas.officer)
    a3 = register(category="contract", respondent=OTHER_IDS[1], grade="red", source="application")
    old = register(category="neighbours", respondent=OTHER_IDS[2], at=now - dt.timedelta(days=365))
    Dispute.objects.unscoped(reason="test").filter(pk=old.pk).update(
        outcome=Outcome.RESOLVED, outcome_at=now - dt.timedelta(days=360), status="archived"
    )
    b1 = resolve(
        register(actor=officer_b, grid=t.grid_b, category="labour", respondent=OTHER_IDS[3]), officer_b
    )
    c1 = register(actor=personas.city, grid=t.grid_c, category="neighbours")
    return {"a1": a1, "a2": a2, "a3": a3, "old": old, "b1": b1, "c1": c1}


def test_quota_board_counts_each_officers_resolved_disputes(ledger, personas, officer_b, settings):
    settings.FENGQIAO_DISPUTE_QUOTA = 2
    board = selectors.quota_board(personas.station, timezone.localdate())
    rows = {row.officer.username: row for row in board.officers}
    assert set(rows) == {"officer_a", "officer_b"}
    assert (rows["officer_a"].resolved, rows["officer_a"].met) == (2, 1)
    assert (rows["officer_b"].resolved, rows["officer_b"].met) == (1, 0)
    assert listed(personas.station, rows["officer_a"].link) == {ledger["a1"].number, ledger["a2"].number}
    [station] = board.stations
    assert (station.resolved, station.quota, station.officers, station.met) == (3, 4, 2, 1)
    assert listed(personas.station, station.link) == {ledger[k].number for k in ("a1", "a2", "b1")}
    [county] = board.counties
    assert county.resolved == 3
    # the officer sees their own row only; last month nobody resolved anything
    assert [r.officer for r in selectors.quota_board(personas.officer, timezone.localdate()).officers] == [
        personas.officer
    ]
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    assert all(r.resolved == 0 for r in selectors.quota_board(personas.station, last_month).officers)


def test_statistics_match_the_ledger(ledger, personas):
    today = timezone.localdate()
    start = today - dt.timedelta(days=30)
    result = stats.statistics(personas.station, start=start, end=today)
    total = result.total.current
    assert (total.found, total.resolved, total.kept) == (4, 3, 1)
    assert total.rate == pytest.approx(0.75)
    assert total.amount == 1500
    assert total.written == 3
    assert listed(personas.station, result.total.links["found"]) == {
        ledger[k].number for k in ("a1", "a2", "a3", "b1")
    }
    assert listed(personas.station, result.total.links["resolved"]) == {
        ledger[k].number for k in ("a1", "a2", "b1")
    }
    assert listed(personas.station, result.total.links["kept"]) == {ledger["a1"].number}
    # year on year: one neighbours dispute found a year earlier
    neighbours = next(r for r in result.by_category if r.key == Category.NEIGHBOURS)
    assert (neighbours.current.found, neighbours.last_year.found, neighbours.found_yoy) == (2, 1, 1.0)
    assert (neighbours.current.resolved, neighbours.last_year.resolved) == (2, 1)
    assert len(result.by_category) == 18
    sources = {r.key: r.current.found for r in result.by_source}
    assert sources["screening"] == 3 and sources["application"] == 1
    assert {r.key: r.current.found for r in result.by_grade}["red"] == 1
    # jurisdiction: the station's two districts
    places = {r.label: (r.current.found, r.current.resolved) for r in result.by_jurisdiction}
    assert places == {"金积第一警务区": (3, 2), "金积第二警务区": (1, 1)}
    for row in result.by_jurisdiction + result.by_category + result.by_month:
        assert len(listed(personas.station, row.links["found"])) == row.current.found, row.label
    assert sum(r.current.found for r in result.by_month) == 4
    # the city sees grid C as well
    assert stats.statistics(personas.city, start=start, end=today).total.current.found == 5


def test_monthly_table_has_a_row_per_category(ledger, personas):
    today = timezone.localdate()
    result = stats.statistics(personas.station, start=today.replace(day=1), end=today)
    data = actions.export_statistics(result, actor=personas.station, unit_name="金积派出所")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "矛盾纠纷排查化解情况统计表"
    assert "金积派出所" in sheet["A2"].value
    names = [sheet.cell(row=r, column=2).value for r in range(4, 22)]
    assert names[:3] == ["婚姻家庭", "邻里", "房屋宅基地"] and names[-1] == "其他" and len(names) == 18
    header = [c.value for c in sheet[3]]
    found, resolved, rate = (
        header.index("排查纠纷数（件）") + 1,
        header.index("调解成功数（件）") + 1,
        header.index("化解率") + 1,
    )
    neighbours_row = 4 + 1
    assert sheet.cell(row=neighbours_row, column=found).value == 2
    assert sheet.cell(row=neighbours_row, column=resolved).value == 2
    total_row = 22
    assert sheet.cell(row=total_row, column=2).value == "合计"
    assert sheet.cell(row=total_row, column=found).value == result.total.current.found
    assert sheet.cell(row=total_row, column=rate).value == pytest.approx(result.total.current.rate)


def test_screening_returns_and_who_has_not_filed(personas, officer_b, register):
    month = timezone.localdate().replace(day=1)
    with pytest.raises(ValidationError) as error:
        actions.file_screening_return(
            actor=personas.officer, unit=personas.territory.district_a, month=month, nil_return=True, found=2
        )
    assert "found" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        actions.file_screening_return(
            actor=personas.officer, unit=personas.territory.district_a, month=month, nil_return=False, found=0
        )
    assert "nil_return" in error.value.message_dict
    with pytest.raises(PermissionDenied):  # not their district
        actions.file_screening_return(
            actor=personas.officer, unit=personas.territory.district_b, month=month, nil_return=True
        )
    with pytest.raises(PermissionDenied):
        actions.file_screening_return(
            actor=personas.grid_a, unit=personas.territory.district_a, month=month, nil_return=True
        )
    with pytest.raises(ValidationError) as error:
        actions.file_screening_return(
            actor=personas.officer,
            unit=personas.territory.district_a,
            month=month + dt.timedelta(days=40),
            nil_return=True,
        )
    assert "month" in error.value.message_dict
    actions.file_screening_return(
        actor=personas.officer, unit=personas.territory.district_a, month=f"{month:%Y-%m}", nil_return=True
    )
    register()  # one found by screening in district A this month
    rows = {r.officer.username: r for r in selectors.screening_status(personas.station, month)}
    assert rows["officer_a"].filed.nil_return and not rows["officer_a"].missing
    assert rows["officer_a"].registered == 1
    assert rows["officer_b"].missing
    # filing again corrects the month's return
    actions.file_screening_return(
        actor=personas.officer, unit=personas.territory.district_a, month=month, nil_return=False, found=1
    )
    rows = {r.officer.username: r for r in selectors.screening_status(personas.station, month)}
    assert rows["officer_a"].filed.found == 1
