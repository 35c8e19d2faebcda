"""A grid moved to another police district takes every row stored under it along: the new
district's people see them, the old district's no longer do."""

import json

import pytest

from fengqiao.core import audit
from fengqiao.core.casework import inbox
from fengqiao.core.notifications.models import Channel
from fengqiao.core.relocate import move_subtree, scoped_models
from fengqiao.core.roles import Role
from fengqiao.disputes.actions import PartyData, Registration, register_dispute
from fengqiao.disputes.models import Dispute
from fengqiao.events.actions import CATEGORIES_FILE, Report, load_categories, move, report_event
from fengqiao.events.models import Category, Event
from fengqiao.geo.actions import update_grid
from fengqiao.registry.models import Address, House, Person, Residence
from tests.conftest import make_user
from tests.fixtures.registry import make_address, make_house, make_person, make_residence

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    """Grid A (district d01) with two events (one escalated to d01), a dispute held by d01, an
    address with a house and a resident, and its WeCom group; one event in grid B; and the
    community officer of d02."""
    t = personas.territory
    load_categories(json.loads(CATEGORIES_FILE.read_text(encoding="utf-8")), actor=personas.admin)
    category = Category.objects.get(code="0401")

    def report(grid_worker, lon):
        r = Report(category=category, title="楼道堵塞", lon=lon, lat=37.905)
        return report_event(r, actor=grid_worker, channel="staff")

    w = personas
    w.held_in_grid = report(personas.grid_a, 106.105)
    escalated = report(personas.grid_a, 106.105)
    w.escalated = move(escalated, "escalate", actor=personas.grid_a, version=escalated.version, note="需民警")
    w.in_grid_b = report(personas.grid_b, 106.115)
    w.dispute = register_dispute(
        Registration(
            title="宅基地边界争执",
            source="screening",
            category="neighbours",
            grade="yellow",
            grid=t.grid_a,
            facts="两户因院墙位置发生争执。",
            points="院墙是否越过宅基地边界。",
            parties=[
                PartyData(role="applicant", name="甲某", id_number="11010519491231002X"),
                PartyData(role="respondent", name="乙某", id_number="440524188001010014"),
            ],
        ),
        actor=personas.officer,
    )
    address = make_address(t.grid_a)
    w.person = make_person(address)
    make_residence(w.person, make_house(address))
    w.channel = Channel.objects.create(kind="wecom", name="金积村第一网格群", scope_path=t.grid_a.scope_path)
    w.officer_b = make_user("officer_b", Role.COMMUNITY_OFFICER, unit=t.district_b)
    return w


UNDER_GRID_A = (Event, Dispute, Address, House, Person, Residence)


def test_a_moved_grid_takes_its_rows_to_the_new_district(world, audit_entries):
    t = world.territory
    old_path = t.grid_a.scope_path
    assert all(m.objects.visible_to(world.officer).exists() for m in UNDER_GRID_A)
    assert not any(
        m.objects.visible_to(world.officer_b).filter(scope_path=old_path).exists() for m in UNDER_GRID_A
    )
    events = Event.objects.unscoped(reason="test")
    events.filter(pk=world.held_in_grid.pk).update(assignee=world.grid_a)
    assert world.dispute.assignee == world.officer
    since = audit_entries()

    # when the station moves grid A from d01 to d02
    grid = update_grid(t.grid_a, actor=world.station, district=t.district_b)
    world.grid_a.forget_scope()  # as a new request would: its postings name the grid, not a path

    # then every row of grid A is under the new path: d02's officer sees it, d01's no longer does
    new_path = f"{t.district_b.path}/{grid.code}"
    assert grid.scope_path == new_path
    for model in UNDER_GRID_A:
        rows = model.objects.unscoped(reason="test: every row")
        assert not rows.filter(scope_path=old_path).exists()
        assert rows.filter(scope_path=new_path).exists()
        moved = rows.filter(scope_path=new_path).count()
        assert model.objects.visible_to(world.officer_b).filter(scope_path=new_path).count() == moved
        assert not model.objects.visible_to(world.officer).filter(scope_path=new_path).exists()
        # the grid's own worker is posted to the grid itself and keeps it
        assert model.objects.visible_to(world.grid_a).filter(scope_path=new_path).exists()
    # the cases' holders moved with it: the grid's to the grid, d01's to d02 (the same rung)
    assert events.get(pk=world.held_in_grid.pk).holder_path == new_path
    assert events.get(pk=world.escalated.pk).holder_path == t.district_b.path
    dispute = Dispute.objects.unscoped(reason="test").get(pk=world.dispute.pk)
    assert dispute.holder_path == t.district_b.path
    # and d01's officer, who no longer sees the dispute, is no longer its assignee; the grid's
    # worker, who still sees their event, still is
    assert dispute.assignee is None
    assert events.get(pk=world.held_in_grid.pk).assignee == world.grid_a
    inbox_b = {c.number for c in inbox(world.officer_b)}
    assert {world.escalated.number, world.dispute.number} <= inbox_b
    assert not {world.escalated.number, world.dispute.number} & {c.number for c in inbox(world.officer)}
    # grid B's event did not move, and the grid's WeCom group follows the grid
    assert events.get(pk=world.in_grid_b.pk).scope_path == t.grid_b.scope_path
    assert Channel.objects.get(pk=world.channel.pk).scope_path == new_path
    # and the one audit entry of the move counts the rows it moved
    (entry,) = since()
    assert entry.action == audit.UPDATE.name and entry.object_id == str(grid.pk)
    assert entry.after["rows_moved"] == {
        "events.event": 2,
        "disputes.dispute": 1,
        "registry.address": 1,
        "registry.house": 1,
        "registry.person": 1,
        "registry.residence": 1,
        "core.channel": 1,
    }


def test_a_move_in_chunks_leaves_the_rows_between_them(world):
    # given grid A's and grid B's events interleaved by id
    t = world.territory
    for worker, lon in [(world.grid_b, 106.115), (world.grid_a, 106.105)] * 3:
        report_event(
            Report(category=Category.objects.get(code="0401"), title="路灯不亮", lon=lon, lat=37.905),
            actor=worker,
            channel="staff",
        )
    events = Event.objects.unscoped(reason="test")
    in_b = set(events.filter(scope_path=t.grid_b.scope_path).values_list("pk", flat=True))
    # when grid A's rows move in chunks of two (each a range of ids spanning a grid B event)
    moved = move_subtree(t.grid_a.scope_path, "640300/640302/ps01/d02/x", chunk=2)
    # then all of grid A's moved and none of grid B's
    assert moved["events.event"] == 5
    assert set(events.filter(scope_path=t.grid_b.scope_path).values_list("pk", flat=True)) == in_b
    assert events.filter(scope_path="640300/640302/ps01/d02/x").count() == 5


def test_every_scoped_model_is_known_to_the_move():
    labels = {m._meta.label_lower for m in scoped_models()}
    assert {"geo.grid", "events.event", "disputes.dispute", "registry.person", "registry.caretag"} <= labels
