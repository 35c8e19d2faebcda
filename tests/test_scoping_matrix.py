"""The scoping matrix: every persona tries every route of every scoped model.

A scoped model joins by declaring data only (a ``ScopedRoutes`` entry). Each persona must see in
lists exactly the objects under their postings, get 404 on anything else (detail and edit alike,
never a 403 that would confirm the object exists), and never manage to create or move an object
outside their scope. Where the persona may see an object but lacks the role to change it, 403.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from fengqiao.core.roles import GRID_MANAGERS
from fengqiao.geo.models import Grid
from tests.conftest import square

# Which of the territory's three places (grid A, grid B, grid C) each persona may see.
VISIBLE = {
    "grid_a": {"A"},
    "grid_b": {"B"},
    "officer": {"A"},
    "station": {"A", "B"},
    "city": {"A", "B", "C"},
    "resident": set(),
}
PERSONAS = list(VISIBLE)


@dataclass
class ScopedRoutes:
    """How one scoped model is reached through one door (pages or API)."""

    name: str
    model: type
    door: str  # "web" (session) or "api" (bearer token)
    objects: Callable  # territory -> {"A": obj, "B": obj, "C": obj}
    key: Callable  # obj -> the text that identifies it in a list response
    list_url: str
    detail_url: Callable  # obj -> url
    edit_url: Callable | None = None  # obj -> url
    edit_payload: Callable | None = None  # obj -> data
    create_url: str | None = None
    create_payload: Callable | None = None  # (territory, place) -> data creating an object at place
    created: Callable | None = None  # (territory, place) -> queryset of what that create would have made
    may_change: Callable = lambda user: False  # role check, for in-scope objects


def grid_objects(t):
    return {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}


def grid_place(t, place):
    return {
        "A": (t.village_a, t.district_a, "640302100201077"),
        "B": (t.village_b, t.district_b, "640302100202077"),
        "C": (t.village_c, t.district_c, "640381100201077"),
    }[place]


def may_manage_grids(user):
    return user.is_superuser or user.role in GRID_MANAGERS


def grid_create_web(t, place):
    community, district, code = grid_place(t, place)
    return {
        "code": code,
        "name": "新网格",
        "community": community.pk,
        "district": district.pk,
        "geometry": json.dumps(square(106.3, 37.9)),
    }


def grid_create_api(t, place):
    community, district, code = grid_place(t, place)
    return {
        "code": code,
        "name": "新网格",
        "community": community.code,
        "district": district.path,
        "geometry": square(106.3, 37.9),
    }


def created_grid(t, place):
    return Grid.objects.unscoped(reason="test: did the create go through").filter(
        code=grid_place(t, place)[2]
    )


ROUTES = [
    ScopedRoutes(
        name="grid pages",
        model=Grid,
        door="web",
        objects=grid_objects,
        key=lambda g: g.code,
        list_url="/grids/",
        detail_url=lambda g: f"/grids/{g.code}/",
        edit_url=lambda g: f"/grids/{g.code}/edit/",
        edit_payload=lambda g: {
            "name": "改名网格",
            "community": g.community_id,
            "district": g.district_id,
            "geometry": json.dumps(g.geometry),
        },
        create_url="/grids/new/",
        create_payload=grid_create_web,
        created=created_grid,
        may_change=may_manage_grids,
    ),
    ScopedRoutes(
        name="grid API",
        model=Grid,
        door="api",
        objects=grid_objects,
        key=lambda g: g.code,
        list_url="/api/v1/grids?limit=100",
        detail_url=lambda g: f"/api/v1/grids/{g.code}",
        edit_url=lambda g: f"/api/v1/grids/{g.code}",
        edit_payload=lambda g: {"name": "改名网格"},
        create_url="/api/v1/grids",
        create_payload=grid_create_api,
        created=created_grid,
        may_change=may_manage_grids,
    ),
]


class Door:
    """One persona at one door: a logged-in browser session or an API token."""

    def __init__(self, client, user, kind):
        self.client, self.kind = client, kind
        if kind == "web":
            client.force_login(user)
            self.headers = {}
        else:
            from fengqiao.accounts.actions import issue_api_token

            _, raw = issue_api_token(user, actor=user)
            self.headers = {"Authorization": f"Bearer {raw}"}

    def get(self, url):
        return self.client.get(url, headers=self.headers)

    def create(self, url, data):
        if self.kind == "web":
            return self.client.post(url, data)
        return self.client.post(url, data, content_type="application/json", headers=self.headers)

    def edit(self, url, data):
        if self.kind == "web":
            return self.client.post(url, data)
        return self.client.patch(url, data, content_type="application/json", headers=self.headers)


@pytest.fixture
def door(client, personas):
    def at(persona, routes):
        return Door(client, getattr(personas, persona), routes.door)

    return at


def visible_places(persona):
    return VISIBLE[persona]


@pytest.mark.parametrize("routes", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_exactly_what_is_in_scope(routes, persona, personas, door):
    objects = routes.objects(personas.territory)
    response = door(persona, routes).get(routes.list_url)
    body = response.content.decode()
    assert response.status_code in (200, 403), body[:300]
    for place, obj in objects.items():
        shown = routes.key(obj) in body
        assert shown == (place in visible_places(persona)), f"{persona} / {place}"


@pytest.mark.parametrize("routes", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_detail_is_404_outside_scope(routes, persona, personas, door):
    at = door(persona, routes)
    for place, obj in routes.objects(personas.territory).items():
        status = at.get(routes.detail_url(obj)).status_code
        if place in visible_places(persona):
            assert status == 200, f"{persona} / {place}"
        else:
            assert status == 404, f"{persona} / {place}"


@pytest.mark.parametrize("routes", [r for r in ROUTES if r.edit_url], ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_edit_is_404_outside_scope_and_403_without_the_role(routes, persona, personas, door):
    at = door(persona, routes)
    user = getattr(personas, persona)
    for place, obj in routes.objects(personas.territory).items():
        before = routes.model._base_manager.get(pk=obj.pk)
        status = at.edit(routes.edit_url(obj), routes.edit_payload(obj)).status_code
        after = routes.model._base_manager.get(pk=obj.pk)
        if place not in visible_places(persona):
            assert status == 404, f"{persona} / {place}"
            assert after.name == before.name
        elif not routes.may_change(user):
            assert status == 403, f"{persona} / {place}"
            assert after.name == before.name
        else:
            assert status in (200, 302), f"{persona} / {place}"
            assert after.name == "改名网格"


@pytest.mark.parametrize("routes", [r for r in ROUTES if r.create_url], ids=lambda r: r.name)
@pytest.mark.parametrize("persona", PERSONAS)
def test_nobody_creates_outside_their_scope(routes, persona, personas, door):
    at = door(persona, routes)
    user = getattr(personas, persona)
    for place in ("A", "B", "C"):
        status = at.create(routes.create_url, routes.create_payload(personas.territory, place)).status_code
        made = routes.created(personas.territory, place).exists()
        if place in visible_places(persona) and routes.may_change(user):
            assert made, f"{persona} / {place}: {status}"
        else:
            assert not made, f"{persona} / {place}"
            assert status in (403, 404, 400, 422) or (routes.door == "web" and status == 200)
