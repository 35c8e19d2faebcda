"""The ledger's pages join the scoping matrix: every persona on the ledger, a dispute's page and
the registration form, through the same checks as the grid and registry routes."""

import pytest

from fengqiao.disputes.actions import may_register
from fengqiao.disputes.models import Dispute
from tests.fixtures.disputes import APPLICANT_ID, RESPONDENT_ID
from tests.fixtures.matrix import PERSONAS, VISIBLE, ScopedRoutes, ScopingMatrix

PLACES = ("A", "B", "C")


@pytest.fixture(autouse=True)
def dispute_places(personas, register):
    t = personas.territory
    t.disputes = {
        place: register(actor=personas.city, grid=grid, title=f"纠纷{place}")
        for place, grid in zip(PLACES, (t.grid_a, t.grid_b, t.grid_c), strict=True)
    }
    return t.disputes


def grid_of(t, place):
    return {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}[place]


def payload(t, place):
    return {
        "title": f"矩阵纠纷{place}",
        "grid": grid_of(t, place).pk,
        "source": "screening",
        "category": "neighbours",
        "grade": "blue",
        "facts": "事实",
        "points": "争议",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "2",
        "parties-MAX_NUM_FORMS": "20",
        "parties-0-role": "applicant",
        "parties-0-name": "甲某",
        "parties-0-id_number": APPLICANT_ID,
        "parties-1-role": "respondent",
        "parties-1-name": "乙某",
        "parties-1-id_number": RESPONDENT_ID,
    }


ROUTES = ScopedRoutes(
    name="dispute pages",
    model=Dispute,
    door="web",
    objects=lambda t: t.disputes,
    key=lambda d: f'href="/disputes/{d.number}/"',
    list_url="/disputes/",
    detail_url=lambda d: f"/disputes/{d.number}/",
    create_url="/disputes/new/",
    create_payload=payload,
    created=lambda t, place: Dispute.objects.unscoped(reason="test: did the create go through").filter(
        title=f"矩阵纠纷{place}"
    ),
    may_change=may_register,
)


class TestDisputePages(ScopingMatrix):
    ROUTES = [ROUTES]


@pytest.mark.parametrize("persona", PERSONAS)
def test_documents_and_moves_are_404_outside_scope(persona, personas, door):
    at = door(persona, ROUTES)
    for place, dispute in personas.territory.disputes.items():
        moved = at.create(
            f"/disputes/{dispute.number}/move/", {"transition": "start", "version": dispute.version}
        )
        session = at.get(f"/disputes/{dispute.number}/sessions/new/")
        pdf = at.get(f"/disputes/{dispute.number}/agreement.pdf")
        if place not in VISIBLE[persona]:
            assert (moved.status_code, session.status_code, pdf.status_code) == (404, 404, 404), persona
            assert Dispute.objects.unscoped(reason="test").get(pk=dispute.pk).status == "registered"
