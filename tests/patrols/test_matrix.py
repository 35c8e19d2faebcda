"""The patrol pages and API join the scoping matrix: every persona on the teams, plans and patrols
of grids A, B and C, through the same checks as every scoped route (lists show exactly what is in
scope, anything else is 404, nobody creates outside their scope)."""

import uuid

import pytest
from django.utils import timezone

from fengqiao.core.roles import Role
from fengqiao.patrols import actions
from fengqiao.patrols.models import Patrol, Plan, Team
from tests.conftest import make_user
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix
from tests.fixtures.registry import valid_id_number
from tests.patrols.conftest import build_world

PLACES = ("A", "B", "C")


@pytest.fixture(autouse=True)
def patrol_places(personas):
    t, city = personas.territory, personas.city
    w = build_world(personas)
    t.teams = w.teams
    t.plans = {"A": w.plan}
    for place in ("B", "C"):
        t.plans[place] = actions.create_plan(
            actor=city, name=f"计划{place}", windows="06:00-22:00", team=w.teams[place]
        )
    vol_c = make_user("vol_c", Role.VOLUNTEER)
    actions.add_member(w.teams["C"], actor=city, name="丙", id_number=valid_id_number(), user=vol_c)
    started = timezone.now() - timezone.timedelta(minutes=5)
    t.patrols = {
        place: actions.start_patrol(actor=user, id=uuid.uuid4(), started_at=started)
        for place, user in (("A", personas.grid_a), ("B", personas.grid_b), ("C", vol_c))
    }
    return t


def _team_payload(t, place):
    grid = {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}[place]
    return {"name": f"矩阵队{place}", "kind": "warm_hearted", "grid": grid.pk}


def _plan_payload(t, place):
    return {"name": f"矩阵计划{place}", "team": t.teams[place].pk, "windows": "08:00-10:00"}


TEAMS = ScopedRoutes(
    name="team pages",
    model=Team,
    door="web",
    objects=lambda t: t.teams,
    key=lambda team: f'href="/patrols/teams/{team.pk}/"',
    list_url="/patrols/",
    detail_url=lambda team: f"/patrols/teams/{team.pk}/",
    create_url="/patrols/teams/new/",
    create_payload=_team_payload,
    created=lambda t, place: Team.objects.unscoped(reason="test").filter(name=f"矩阵队{place}"),
    may_change=actions.may_manage_teams,
)

PLANS = ScopedRoutes(
    name="plan pages",
    model=Plan,
    door="web",
    objects=lambda t: t.plans,
    key=lambda plan: f'href="/patrols/plans/{plan.pk}/"',
    list_url="/patrols/",
    detail_url=lambda plan: f"/patrols/plans/{plan.pk}/",
    create_url="/patrols/plans/new/",
    create_payload=_plan_payload,
    created=lambda t, place: Plan.objects.unscoped(reason="test").filter(name=f"矩阵计划{place}"),
    may_change=actions.may_manage_teams,
)

PATROL_PAGES = ScopedRoutes(
    name="patrol pages",
    model=Patrol,
    door="web",
    objects=lambda t: t.patrols,
    key=lambda patrol: f'href="/patrols/{patrol.pk}/"',
    list_url="/patrols/",
    detail_url=lambda patrol: f"/patrols/{patrol.pk}/",
)

TEAM_LIST = ScopedRoutes(
    name="team list",
    model=Team,
    door="web",
    objects=lambda t: t.teams,
    key=lambda team: f'href="/patrols/teams/{team.pk}/"',
    list_url="/patrols/teams/",
    detail_url=lambda team: f"/patrols/teams/{team.pk}/",
)

PATROL_LIST = ScopedRoutes(
    name="patrol list",
    model=Patrol,
    door="web",
    objects=lambda t: t.patrols,
    key=lambda patrol: f'href="/patrols/{patrol.pk}/"',
    list_url="/patrols/list/",
    detail_url=lambda patrol: f"/patrols/{patrol.pk}/",
)

PATROL_API = ScopedRoutes(
    name="patrol API",
    model=Patrol,
    door="api",
    objects=lambda t: t.patrols,
    key=lambda patrol: str(patrol.pk),
    list_url="/api/v1/patrols",
    detail_url=lambda patrol: f"/api/v1/patrols/{patrol.pk}",
    create_url="/api/v1/patrols",
    create_payload=lambda t, place: {"id": str(uuid.uuid4()), "plan": t.plans[place].pk},
    created=lambda t, place: Patrol.objects.unscoped(reason="test").filter(plan=t.plans[place]),
    may_change=actions.may_patrol,
)


class TestPatrolRoutes(ScopingMatrix):
    ROUTES = [TEAMS, PLANS, PATROL_PAGES, TEAM_LIST, PATROL_LIST, PATROL_API]


@pytest.mark.parametrize("persona", ["grid_a", "officer", "station"])
def test_the_track_the_gpx_and_the_print_page_are_404_outside_scope(persona, personas, client):
    client.force_login(getattr(personas, persona))
    t = personas.territory
    for place in PLACES:
        gpx = client.get(f"/patrols/{t.patrols[place].pk}/track.gpx").status_code
        printed = client.get(f"/patrols/plans/{t.plans[place].pk}/print/").status_code
        member = client.post(
            f"/patrols/teams/{t.teams[place].pk}/", {"name": "某", "id_number": valid_id_number()}
        )
        visible = place in {"grid_a": "A", "officer": "A", "station": "AB"}[persona]
        assert (gpx, printed) == ((200, 200) if visible else (404, 404)), place
        assert member.status_code == (302 if visible else 404), place


@pytest.mark.parametrize("persona", ["grid_a", "officer", "station", "city"])
def test_the_member_list_shows_the_members_of_the_teams_in_scope_only(persona, personas, client):
    client.force_login(getattr(personas, persona))
    body = client.get("/patrols/members/").content.decode()
    # 王兰花 is in team A, 马志强 in B, 丙 in C
    visible = {"grid_a": "A", "officer": "A", "station": "AB", "city": "ABC"}[persona]
    for place, name in (("A", "王兰花"), ("B", "马志强"), ("C", "丙")):
        assert (f">{name}</td>" in body) == (place in visible), place
