"""The patrol tests' world: a volunteer team in each of the three grids (A, B, C), a volunteer
account in teams A and B, a plan of team A with two checkpoints, all made through the actions."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from fengqiao.core.roles import Role
from fengqiao.patrols import actions
from fengqiao.patrols.choices import TeamKind
from tests.conftest import make_user
from tests.fixtures.registry import valid_id_number


@pytest.fixture(autouse=True)
def english():
    """These tests read messages in their English source form; zh-hans is the site default."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class World:
    """Handles to the patrol rows by place."""


def build_world(personas) -> World:
    t, city = personas.territory, personas.city
    w = World()
    w.teams = {
        place: actions.create_team(actor=city, name=f"{name}红袖标", kind=TeamKind.RED_ARMBAND, grid=grid)
        for place, name, grid in (
            ("A", "金积村", t.grid_a),
            ("B", "关渠村", t.grid_b),
            ("C", "小坝村", t.grid_c),
        )
    }
    w.vol_a = make_user("vol_a", Role.VOLUNTEER, full_name="王兰花")
    w.vol_b = make_user("vol_b", Role.VOLUNTEER, full_name="马志强")
    w.member_a = actions.add_member(
        w.teams["A"],
        actor=city,
        name="王兰花",
        id_number=valid_id_number(),
        phone="13900001111",
        user=w.vol_a,
        leader=True,
    )
    w.member_b = actions.add_member(
        w.teams["B"], actor=city, name="马志强", id_number=valid_id_number(), user=w.vol_b
    )
    w.plan = actions.create_plan(actor=city, name="金积村日间巡逻", windows="00:00-23:59", team=w.teams["A"])
    w.gate = actions.add_checkpoint(w.plan, actor=city, name="村委会大门", lon=106.102, lat=37.902)
    w.school = actions.add_checkpoint(w.plan, actor=city, name="小学门口", lon=106.108, lat=37.908)
    return w


@pytest.fixture
def world(personas):
    return build_world(personas)


def walk(start: dt.datetime, coords, step_s: int = 5) -> list[dict]:
    """Positions along ``coords`` (lon, lat), one every ``step_s`` seconds from ``start``."""
    return [
        {"seq": n, "at": start + dt.timedelta(seconds=step_s * n), "lon": lon, "lat": lat, "accuracy": 8.0}
        for n, (lon, lat) in enumerate(coords)
    ]


@pytest.fixture
def started(world):
    """Volunteer A's patrol on team A's plan, begun ten minutes ago."""

    def start(user=None, minutes_ago=10):
        user = user or world.vol_a
        at = timezone.now() - dt.timedelta(minutes=minutes_ago)
        plan = world.plan if user == world.vol_a else None
        return actions.start_patrol(actor=user, id=uuid.uuid4(), started_at=at, plan=plan)

    return start
