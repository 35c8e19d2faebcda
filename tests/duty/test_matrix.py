"""The roster pages and API join the scoping matrix. A roster lives in its unit: the officer of
district d01 sees d01's, the station both districts', the city every one; grid workers none."""

import datetime as dt

import pytest

from fengqiao.core.roles import Role
from fengqiao.duty import actions
from fengqiao.duty.models import Assignment, Roster, SwapRequest
from tests.conftest import make_user
from tests.duty.conftest import MONTH
from tests.duty.test_swaps import next_month
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix

VISIBLE = {
    "grid_a": set(),
    "grid_b": set(),
    "officer": {"A"},
    "station": {"A", "B"},
    "city": {"A", "B", "C"},
    "resident": set(),
}
NEXT = MONTH.replace(month=3)


@pytest.fixture(autouse=True)
def rosters(personas):
    t = personas.territory
    units = {"A": t.district_a, "B": t.district_b, "C": t.district_c}
    t.rosters = {p: actions.create_roster(actor=personas.city, unit=u, month=MONTH) for p, u in units.items()}
    return t.rosters


def unit_of(t, place):
    return {"A": t.district_a, "B": t.district_b, "C": t.district_c}[place]


def created(t, place):
    return Roster.objects.unscoped(reason="test: did the create go through").filter(
        unit=unit_of(t, place), month=NEXT
    )


ROUTES = [
    ScopedRoutes(
        name="roster pages",
        model=Roster,
        door="web",
        objects=lambda t: t.rosters,
        key=lambda r: f'href="/duty/rosters/{r.pk}/"',
        list_url="/duty/",
        detail_url=lambda r: f"/duty/rosters/{r.pk}/",
        create_url="/duty/",
        create_payload=lambda t, place: {"unit": unit_of(t, place).pk, "month": "2026-03"},
        created=created,
        may_change=actions.may_plan,
    ),
    ScopedRoutes(
        name="roster API",
        model=Roster,
        door="api",
        objects=lambda t: t.rosters,
        key=lambda r: f'"unit": "{r.unit.path}"',
        list_url="/api/v1/duty/rosters",
        detail_url=lambda r: f"/api/v1/duty/rosters/{r.pk}",
        create_url="/api/v1/duty/rosters",
        create_payload=lambda t, place: {"unit": unit_of(t, place).path, "month": "2026-03"},
        created=created,
        may_change=actions.may_plan,
    ),
]


class TestRosters(ScopingMatrix):
    ROUTES = ROUTES

    def visible_places(self, persona):
        return VISIBLE[persona]


@pytest.fixture
def swaps(personas):
    """In each district, two staff on next month's roster, one asking the other to swap."""
    t, month = personas.territory, next_month()
    t.swaps = {}
    for place in ("A", "B", "C"):
        unit = unit_of(t, place)
        one, two = (make_user(f"{place}{n}", Role.AUXILIARY, unit=unit) for n in (1, 2))
        shift = actions.save_shift(
            actor=personas.city, unit=unit, code="早", name="早班", start=dt.time(8), hours=8
        )
        roster = actions.create_roster(actor=personas.city, unit=unit, month=month)
        mine, theirs = (
            Assignment.objects.create(
                roster=roster, user=u, day=month + dt.timedelta(days=n), shift=shift, area=unit
            )
            for n, u in ((3, one), (4, two))
        )
        t.swaps[place] = actions.request_swap(
            actor=one, assignment=mine, partner=two, partner_assignment=theirs
        )
    return t.swaps


SWAP_ROUTES = [
    ScopedRoutes(
        name="swap pages",
        model=SwapRequest,
        door="web",
        objects=lambda t: t.swaps,
        key=lambda s: f'href="/duty/swaps/{s.number}/"',
        list_url="/duty/swaps/",
        detail_url=lambda s: f"/duty/swaps/{s.number}/",
    ),
    ScopedRoutes(
        name="swap API",
        model=SwapRequest,
        door="api",
        objects=lambda t: t.swaps,
        key=lambda s: f'"number": "{s.number}"',
        list_url="/api/v1/duty/swaps",
        detail_url=lambda s: f"/api/v1/duty/swaps/{s.number}",
    ),
]


@pytest.mark.usefixtures("swaps")
class TestSwaps(ScopingMatrix):
    """Swap requests live in their roster's unit (and are their two parties' too)."""

    ROUTES = SWAP_ROUTES

    def visible_places(self, persona):
        return VISIBLE[persona]


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_swap_steps_are_404_outside_scope(persona, personas, door, swaps):
    at = door(persona, SWAP_ROUTES[0])
    for place, swap in swaps.items():
        status = at.create(f"/duty/swaps/{swap.number}/agree/", {"agree-version": swap.version}).status_code
        if place not in VISIBLE[persona]:
            assert status == 404, persona
        else:  # in scope but not the colleague: refused, nothing moved
            assert status == 403, persona
        assert SwapRequest.objects.unscoped(reason="test").get(pk=swap.pk).status == "asked"


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_proposals_and_exports_are_404_outside_scope(persona, personas, door):
    at = door(persona, ROUTES[0])
    for place, roster in personas.territory.rosters.items():
        statuses = {
            at.get(f"/duty/rosters/{roster.pk}.xlsx").status_code,
            at.get(f"/duty/rosters/{roster.pk}.ics").status_code,
            at.create(f"/duty/rosters/{roster.pk}/propose/", {}).status_code,
            at.get(f"/duty/rosters/{roster.pk}/proposal/").status_code,
        }
        if place not in VISIBLE[persona]:
            assert statuses == {404}, persona
