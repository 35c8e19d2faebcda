"""The planner's desk: shift templates, rules and leave listed for staff and edited by planners
through the pages, which call duty.actions; bad input is told in Chinese beside its field."""

import datetime as dt

import pytest

from fengqiao.core.roles import Role
from fengqiao.duty import actions
from fengqiao.duty.models import DutyRule, Leave, ShiftTemplate
from tests.conftest import make_user
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix

pytestmark = pytest.mark.django_db

VISIBLE = {
    "grid_a": set(),
    "grid_b": set(),
    "officer": {"A"},
    "station": {"A", "B"},
    "city": {"A", "B", "C"},
    "resident": set(),
}


def unit_of(t, place):
    return {"A": t.district_a, "B": t.district_b, "C": t.district_c}[place]


def shift_form(unit, **changes) -> dict:
    return {
        "unit": unit.pk,
        "code": "早",
        "name": "早班",
        "kind": "regular",
        "start": "08:00",
        "hours": 8,
    } | changes


def field_error(page: str, field: str) -> str:
    """The error shown under a field of the form (registry/_field.html's markup)."""
    start = page.index(f'id="field-{field}"')
    chunk = page[start : page.index("</div>", start)]
    return chunk[chunk.index('class="error"') :] if 'class="error"' in chunk else ""


def test_a_planner_adds_and_edits_a_shift_and_is_told_what_is_wrong(client, personas):
    t = personas.territory
    client.force_login(personas.station)
    # adding one
    response = client.post("/duty/shifts/", shift_form(t.station))
    assert response.status_code == 302
    shift = ShiftTemplate.objects.visible_to(personas.station).get()
    assert (shift.code, shift.start, shift.hours) == ("早", dt.time(8), 8)
    # a start off the hour and a second shift with the same short name, in Chinese by their fields
    page = client.post("/duty/shifts/", shift_form(t.station, start="08:30")).content.decode()
    assert "班次须在整点开始" in field_error(page, "start")
    page = client.post("/duty/shifts/", shift_form(t.station, start="09:00")).content.decode()
    assert "简称" in field_error(page, "code") or "已有" in field_error(page, "code"), field_error(
        page, "code"
    )
    assert ShiftTemplate.objects.visible_to(personas.station).count() == 1
    # editing it
    assert f'href="/duty/shifts/{shift.pk}/"' in client.get("/duty/shifts/").content.decode()
    edit = client.post(f"/duty/shifts/{shift.pk}/", shift_form(t.station, name="白班", hours=9))
    assert edit.status_code == 302
    shift.refresh_from_db()
    assert (shift.name, shift.hours) == ("白班", 9)


def test_a_planner_adds_rules_with_errors_by_field(client, personas):
    t = personas.territory
    client.force_login(personas.station)
    rule = {"unit": t.station.pk, "kind": "reception", "value": 1, "start_hour": 9, "end_hour": 17}
    # reception hours at the station itself: they are kept at a district's office
    page = client.post("/duty/rules/", rule | {"area": t.station.pk}).content.decode()
    assert "警务区" in field_error(page, "area")
    response = client.post("/duty/rules/", rule | {"area": t.district_a.pk, "weekdays": ["0", "2"]})
    assert response.status_code == 302
    made = DutyRule.objects.visible_to(personas.station).get()
    assert (made.kind, made.area, made.weekdays) == ("reception", t.district_a, [0, 2])
    # a value past the rule's limit
    page = client.post("/duty/rules/", {**rule, "kind": "district_days", "value": 9}).content.decode()
    assert "1" in field_error(page, "value") and "7" in field_error(page, "value")
    page = client.get("/duty/rules/").content.decode()
    assert f'data-rule="{made.pk}"' in page


def test_leave_is_recorded_for_the_units_staff_only(client, personas):
    t = personas.territory
    aux = make_user("aux", Role.AUXILIARY, unit=t.station, full_name="辅警甲")
    client.force_login(personas.station)
    leave = {"unit": t.station.pk, "user": aux.pk, "first_day": "2026-03-10", "last_day": "2026-03-09"}
    page = client.post("/duty/leave/", leave).content.decode()
    assert field_error(page, "last_day"), "the end before the start is told at the end's field"
    assert client.post("/duty/leave/", leave | {"last_day": "2026-03-12"}).status_code == 302
    assert Leave.objects.visible_to(personas.station).get().user == aux
    # someone of another unit is not in the choices
    other = make_user("far", Role.AUXILIARY, unit=t.station2)
    page = client.post("/duty/leave/", leave | {"user": other.pk, "last_day": "2026-03-12"}).content.decode()
    assert field_error(page, "user")
    assert Leave.objects.visible_to(personas.city).count() == 1


def test_staff_read_the_desk_and_only_planners_change_it(client, personas):
    t = personas.territory
    shift = actions.save_shift(
        actor=personas.station, unit=t.district_a, code="早", name="早班", start=dt.time(8), hours=8
    )
    client.force_login(personas.officer)
    page = client.get("/duty/shifts/").content.decode()
    assert f'data-shift="{shift.pk}"' in page and 'id="desk-form"' not in page
    assert client.post("/duty/shifts/", shift_form(t.district_a, code="夜")).status_code == 403
    assert client.post("/duty/leave/", {}).status_code == 403
    assert client.get("/duty/leave/").status_code == 200
    client.force_login(personas.resident)
    assert client.get("/duty/shifts/").status_code in (302, 403, 404)


@pytest.fixture
def desk(personas):
    t = personas.territory
    t.shifts, t.rules = {}, {}
    for place in ("A", "B", "C"):
        unit = unit_of(t, place)
        t.shifts[place] = actions.save_shift(
            actor=personas.city, unit=unit, code="早", name="早班", start=dt.time(8), hours=8
        )
        t.rules[place] = actions.save_rule(actor=personas.city, unit=unit, kind="rest", value=11)


def shift_created(t, place):
    return ShiftTemplate.objects.unscoped(reason="test").filter(unit=unit_of(t, place), code="新")


def rule_created(t, place):
    return DutyRule.objects.unscoped(reason="test").filter(unit=unit_of(t, place), kind="weekly_hours")


ROUTES = [
    ScopedRoutes(
        name="shift templates",
        model=ShiftTemplate,
        door="web",
        objects=lambda t: t.shifts,
        key=lambda s: f'data-shift="{s.pk}"',
        list_url="/duty/shifts/",
        detail_url=lambda s: f"/duty/shifts/{s.pk}/",
        edit_url=lambda s: f"/duty/shifts/{s.pk}/",
        edit_payload=lambda s: shift_form(s.unit, name="改名班次"),
        edited=lambda s: s.name == "改名班次",
        create_url="/duty/shifts/",
        create_payload=lambda t, place: shift_form(unit_of(t, place), code="新"),
        created=shift_created,
        may_change=actions.may_plan,
    ),
    ScopedRoutes(
        name="duty rules",
        model=DutyRule,
        door="web",
        objects=lambda t: t.rules,
        key=lambda r: f'data-rule="{r.pk}"',
        list_url="/duty/rules/",
        detail_url=lambda r: f"/duty/rules/{r.pk}/",
        edit_url=lambda r: f"/duty/rules/{r.pk}/",
        edit_payload=lambda r: {
            "unit": r.unit.pk,
            "kind": "rest",
            "value": 9,
            "start_hour": 0,
            "end_hour": 24,
        },
        edited=lambda r: r.value == 9,
        create_url="/duty/rules/",
        create_payload=lambda t, place: {
            "unit": unit_of(t, place).pk,
            "kind": "weekly_hours",
            "value": 40,
            "start_hour": 0,
            "end_hour": 24,
        },
        created=rule_created,
        may_change=actions.may_plan,
    ),
]


@pytest.mark.usefixtures("desk")
class TestDesk(ScopingMatrix):
    ROUTES = ROUTES

    def visible_places(self, persona):
        return VISIBLE[persona]
