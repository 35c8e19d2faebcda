"""The directive pages join the scoping matrix: the list, the directive page, each of its steps
and issuing one. Another grid's directive is a 404 on every page and step, and nothing moves."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.analytics import directives
from fengqiao.analytics.models import Directive
from tests.fixtures.matrix import PERSONAS, VISIBLE, ScopedRoutes, ScopingMatrix

pytestmark = pytest.mark.django_db

TITLE = "矩阵指令"


@pytest.fixture(autouse=True)
def directive_places(personas):
    """A directive to each of grids A, B and C, issued by the city."""
    t = personas.territory
    grids = {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}
    order = directives.Order(
        grids=list(grids.values()),
        task=directives.Task.VISIT,
        title="走访提醒",
        deadline=timezone.now() + dt.timedelta(days=2),
    )
    t.directives = dict(zip(grids, directives.issue(order, actor=personas.city), strict=True))
    t.grids = grids
    return t.directives


def everything():
    return Directive.objects.unscoped(reason="test: did the action go through")


ROUTES = ScopedRoutes(
    name="directive pages",
    model=Directive,
    door="web",
    objects=lambda t: t.directives,
    key=lambda d: d.number,
    list_url="/directives/",
    detail_url=lambda d: f"/directives/{d.number}/",
    create_url="/directives/new/",
    create_payload=lambda t, place: {
        "grids": [t.grids[place].pk],
        "task": "patrol",
        "title": TITLE,
        "deadline": (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "source": "manual",
    },
    created=lambda t, place: everything().filter(grid=t.grids[place], title=TITLE),
    may_change=lambda user: directives.may_issue(user),
)


class TestDirectivePages(ScopingMatrix):
    ROUTES = [ROUTES]


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_step_on_another_grids_directive_is_404_and_moves_nothing(persona, personas, client):
    client.force_login(getattr(personas, persona))
    for place, directive in personas.territory.directives.items():
        for transition in directives.DIRECTIVE_WORKFLOW.transitions:
            directive = everything().get(pk=directive.pk)
            data = {f"{transition.name}-version": directive.version, f"{transition.name}-note": "矩阵"}
            response = client.post(f"/directives/{directive.number}/move/{transition.name}/", data)
            after = everything().get(pk=directive.pk)
            if place in VISIBLE[persona]:
                assert response.status_code != 404, f"{persona} / {place} / {transition.name}"
            else:
                assert response.status_code == 404, f"{persona} / {place} / {transition.name}"
                assert after.version == directive.version and after.status == directive.status
