"""Rosters: the solver's proposal for a small unit meets every rule as the coverage checker
judges it (not as the solver claims), leave is kept, an impossible rule is named with its place
and day, and the exports parse back."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fengqiao.duty import actions, exports, selectors
from fengqiao.duty.models import Assignment
from tests.duty.conftest import MONTH


def test_a_proposed_roster_meets_every_rule_by_the_checker(personas, small_unit):
    t = small_unit
    actions.record_leave(
        actor=personas.station,
        unit=t.station,
        user=t.staff[0],
        first_day=MONTH + dt.timedelta(days=9),
        last_day=MONTH + dt.timedelta(days=15),
    )
    roster = actions.create_roster(actor=personas.station, unit=t.station, month=MONTH)
    proposal = actions.propose_roster(roster, actor=personas.station, seconds=10, first_only=True)
    assert proposal.feasible, proposal.conflicts
    # judged from the database by the checker alone
    problem, slots, breaches = selectors.check_roster(roster)
    assert slots and breaches == []
    assert len(problem.people) == 5  # the chief, the officer and three at the station; no grid workers
    on_leave = Assignment.objects.filter(
        roster=roster,
        user=t.staff[0],
        day__range=(MONTH + dt.timedelta(days=9), MONTH + dt.timedelta(days=15)),
    )
    assert not on_leave.exists()
    officer_days = Assignment.objects.filter(roster=roster, user=personas.officer, area=t.district_a).count()
    assert officer_days >= 4 * 4 - 1  # four days a week in the district, over four weeks
    # and the checker does find a gap when one is made
    Assignment.objects.filter(roster=roster, day=MONTH + dt.timedelta(days=2)).delete()
    _problem, _slots, breaches = selectors.check_roster(roster)
    assert any(b.rule == "coverage" and b.day == 2 for b in breaches)


def test_an_impossible_rule_is_named_with_its_place_and_day(personas, small_unit):
    t = small_unit
    actions.save_rule(
        actor=personas.station,
        unit=t.station,
        kind="reception",
        value=2,
        area=t.district_a,
        weekdays=[2],
        start_hour=9,
        end_hour=17,
    )  # two at d01's office; d01 has one officer
    roster = actions.create_roster(actor=personas.station, unit=t.station, month=MONTH)
    proposal = actions.propose_roster(roster, actor=personas.station, seconds=10)
    assert not proposal.feasible and proposal.status == "INFEASIBLE"
    named = " ".join(proposal.conflicts)
    assert "警务室接待时间" in named and t.district_a.name in named  # the rule, in Chinese, and where
    assert "2026-02-04" in named  # the first Wednesday
    assert not Assignment.objects.filter(roster=roster).exists()


def test_only_the_chief_plans(personas, small_unit):
    with pytest.raises(PermissionDenied):
        actions.create_roster(actor=personas.officer, unit=small_unit.district_a, month=MONTH)


def test_exports_parse_back_and_neutralise_formulas(personas, small_unit):
    from icalendar import Calendar
    from openpyxl import load_workbook

    t = small_unit
    t.staff[1].full_name = '=HYPERLINK("http://x")'
    t.staff[1].save()
    roster = actions.create_roster(actor=personas.station, unit=t.station, month=MONTH)
    actions.propose_roster(roster, actor=personas.station, seconds=10, first_only=True)
    problem, slots, _breaches = selectors.check_roster(roster)

    sheet = load_workbook(io.BytesIO(exports.roster_xlsx(problem, slots))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][1] == "02-01" and len(rows) == 1 + len(problem.people)
    names = [r[0] for r in rows[1:]]
    assert '=HYPERLINK("http://x")' in names
    formula = next(c for c in sheet["A"] if c.value == '=HYPERLINK("http://x")')
    assert formula.data_type == "s"  # text, never a formula
    filled = sum(1 for r in rows[1:] for v in r[1:] if v)
    assert filled == len(slots)

    calendar = Calendar.from_ical(exports.roster_ics(problem, slots, unit_name=t.station.name))
    events = list(calendar.walk("VEVENT"))
    assert len(events) == len(slots)
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert first.decoded("dtstart").date() >= MONTH


def test_the_pages_show_the_timeline_and_export(client, personas, small_unit):
    t = small_unit
    roster = actions.create_roster(actor=personas.station, unit=t.station, month=MONTH)
    actions.propose_roster(roster, actor=personas.station, seconds=10, first_only=True)
    client.force_login(personas.station)
    page = client.get(f"/duty/rosters/{roster.pk}/").content.decode()
    assert 'id="all-met"' in page and "timeline" in page
    assert client.get(f"/duty/rosters/{roster.pk}.xlsx").status_code == 200
    assert client.get(f"/duty/rosters/{roster.pk}.ics")["Content-Type"].startswith("text/calendar")


def test_an_officer_reads_their_own_shifts_from_the_stations_roster(client, personas, small_unit):
    from icalendar import Calendar

    t = small_unit
    roster = actions.create_roster(
        actor=personas.station, unit=t.station, month=timezone.localdate().replace(day=1)
    )
    actions.propose_roster(roster, actor=personas.station, seconds=10, first_only=True)
    own = Assignment.objects.filter(roster=roster, user=personas.officer)
    # the station's roster is above the officer's posting: its page is 404 to them, their shifts are not
    client.force_login(personas.officer)
    assert client.get(f"/duty/rosters/{roster.pk}/").status_code == 404
    page = client.get("/duty/mine/").content.decode()
    assert page.count('class="record-row"') == own.count() > 0
    calendar = Calendar.from_ical(client.get("/duty/mine.ics").content)
    assert len(list(calendar.walk("VEVENT"))) == own.count()
    # someone else's shifts are not theirs
    client.force_login(personas.grid_b)
    assert 'class="record-row"' not in client.get("/duty/mine/").content.decode()
