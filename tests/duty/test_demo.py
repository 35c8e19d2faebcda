"""The demo's duty rosters: every station gets its shifts, its rules and this month's roster
proposed by the solver, which the coverage check then finds meeting every rule; a station with
nobody posted keeps a draft saying so; a second run changes nothing and clear removes it all."""

import pytest
from django.utils import timezone

from fengqiao.core.roles import Role
from fengqiao.demo import duty as demo
from fengqiao.duty import selectors
from fengqiao.duty.models import DutyRule, Roster, ShiftTemplate
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_every_station_gets_a_proposed_roster_for_this_month(client, personas):
    t = personas.territory
    make_user("officer_b", Role.COMMUNITY_OFFICER, unit=t.district_b, full_name="周九")
    made = demo.generate(actor=personas.admin, scale=0.01, seed=1)
    shifts, rules, proposed, drafts, assignments = made.values()
    assert (shifts, proposed, drafts) == (6, 1, 1) and assignments > 0
    rosters = Roster.objects.unscoped(reason="test")
    month = timezone.localdate().replace(day=1)
    # the station with a chief and two officers: proposed, and every rule met as the checker judges
    roster = rosters.get(unit=t.station)
    assert roster.month == month and roster.proposal_status == "feasible"
    problem, slots, breaches = selectors.check_roster(roster)
    assert len(slots) == assignments and breaches == []
    kinds = set(
        DutyRule.objects.unscoped(reason="test").filter(unit=t.station).values_list("kind", flat=True)
    )
    assert kinds == {"coverage", "reception", "rest", "weekly_hours", "district_days"}
    assert len(problem.people) == 3
    # the station with nobody posted: a draft that says why
    empty = rosters.get(unit=t.station2)
    assert empty.proposal_status == "failed" and empty.proposal["conflicts"]
    assert not empty.assignments.exists()
    client.force_login(personas.city)
    page = client.get(f"/duty/rosters/{empty.pk}/").content.decode()
    assert "编排失败" in page and empty.proposal["conflicts"][0] in page
    # a second run leaves it alone; clear removes it
    assert demo.generate(actor=personas.admin, scale=0.01, seed=1) is None
    demo.clear()
    assert not rosters.all().exists() and not ShiftTemplate.objects.unscoped(reason="test").exists()
