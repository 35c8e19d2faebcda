"""The pages of who read what join the scoping matrix: a station chief sees the reading of the
staff posted under them, the city command everyone's; anyone else gets a 403 on the list and a
404 on a member of staff's page, missing or not theirs alike (tests/fixtures/matrix.py)."""

import pytest
from django.urls import reverse

from fengqiao.core.roles import Role
from fengqiao.registry import access, reads
from tests.conftest import make_user
from tests.fixtures.matrix import ScopedRoutes, ScopingMatrix
from tests.fixtures.registry import make_address, make_person

PLACES = ("A", "B", "C")
# Who reviews the reading of staff posted in each place: their station chief and the city.
REVIEWERS = {"station": {"A", "B"}, "city": {"A", "B", "C"}}


@pytest.fixture(autouse=True)
def readers(personas):
    """A grid worker in each place who read one person of their grid this week."""
    t = personas.territory
    t.readers = {}
    for place, grid in zip(PLACES, (t.grid_a, t.grid_b, t.grid_c), strict=True):
        worker = make_user(f"reader_{place.lower()}", Role.GRID_WORKER, grid=grid)
        person = make_person(make_address(grid), name=f"被查阅{place}")
        with reads.collecting("visit") as collected:
            collected.add(reads.PERSON, person.pk)
            access.flush(worker, collected)
        t.readers[place] = worker
    return t.readers


class TestStaffReadsScoping(ScopingMatrix):
    ROUTES = [
        ScopedRoutes(
            name="web:staff-reads",
            model=type(None),
            door="web",
            objects=lambda t: t.readers,
            key=lambda user: reverse("registry_staff_reads", args=[user.pk]),
            list_url=reverse("registry_staff_reads_index"),
            detail_url=lambda user: reverse("registry_staff_reads", args=[user.pk]),
        )
    ]

    def visible_places(self, persona) -> set:
        return REVIEWERS.get(persona, set())
