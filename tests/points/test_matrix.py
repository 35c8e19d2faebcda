"""The points pages join the scoping matrix: every persona on the monthly report, the ranking
boards, and the credits confirmed on a dispute's or a lecture's page (tests/fixtures/matrix.py):
lists show exactly what is in scope, anything else is 404, in scope without the right is 403."""

import pytest
from django.utils import timezone

from fengqiao.core.roles import Role
from fengqiao.outreach.actions import record_lecture
from fengqiao.patrols.actions import add_member
from fengqiao.patrols.models import Team
from fengqiao.points import actions
from fengqiao.points.models import Account, Transaction
from tests.conftest import make_user
from tests.fixtures.matrix import PERSONAS, VISIBLE, ScopedRoutes, ScopingMatrix
from tests.fixtures.registry import valid_id_number
from tests.patrols.conftest import build_world

PLACES = ("A", "B", "C")


@pytest.fixture(autouse=True)
def points_places(personas):
    """A volunteer in each of grids A, B (station 金积) and C (station 小坝), each credited this
    month and on the ranking board."""
    t, city = personas.territory, personas.city
    w = build_world(personas)
    vol_c = make_user("vol_c", Role.VOLUNTEER)
    member_c = add_member(w.teams["C"], actor=city, name="丙某某", id_number=valid_id_number(), user=vol_c)
    t.teams = w.teams
    t.members = {"A": w.member_a, "B": w.member_b, "C": member_c}
    t.accounts = {}
    for place, member in t.members.items():
        actions.award_points(member, actor=city, points=10, reason="巡逻")
        actions.set_ranking_choice(actor=member.user, shown=True)
        station = actions.station_of(member.team.scope_path)
        t.accounts[place] = actions.member_account(station, member)
    return t


def _station_of(team):
    return actions.station_of(team.scope_path)


REPORT = ScopedRoutes(
    name="monthly report",
    model=Team,
    door="web",
    objects=lambda t: t.teams,
    key=lambda team: f'data-team="{team.pk}"',
    list_url="/points/report/",
    detail_url=lambda team: f"/points/report/?station={_station_of(team).pk}",
)


class TestReport(ScopingMatrix):
    """The report is the stations' and the bureaus': others see none of it (403 on the page, 404 on
    a station's report, like a station that does not exist)."""

    ROUTES = [REPORT]

    def visible_places(self, persona):
        return {"station": {"A", "B"}, "city": {"A", "B", "C"}}.get(persona, set())


RANKING = ScopedRoutes(
    name="ranking boards",
    model=Account,
    door="web",
    objects=lambda t: t.accounts,
    key=lambda account: f'data-account="{account.pk}"',
    list_url="/points/ranking/",
    detail_url=lambda account: f"/points/ranking/?community={account.member.team.community_id}",
)


class TestRanking(ScopingMatrix):
    ROUTES = [RANKING]


def test_a_volunteer_sees_the_boards_of_their_station_only(client, personas):
    t = personas.territory
    client.force_login(t.members["A"].user)
    body = client.get("/points/ranking/").content.decode()
    assert f'data-account="{t.accounts["A"].pk}"' in body and f'data-account="{t.accounts["B"].pk}"' in body
    assert f'data-account="{t.accounts["C"].pk}"' not in body
    assert client.get(f"/points/ranking/?community={t.village_c.pk}").status_code == 404


def _credited(source, member) -> bool:
    return Transaction.objects.unscoped(reason="test").filter(source=source, member=member).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_mediation_help_is_credited_only_by_those_working_on_the_dispute(persona, personas, register, client):
    t = personas.territory
    grids = {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}
    user = getattr(personas, persona)
    client.force_login(user)
    for place in PLACES:
        dispute = register(actor=personas.city, grid=grids[place], title=f"纠纷{place}")
        member = t.members[place]
        status = client.post(f"/points/mediation/{dispute.number}/", {"member": member.pk}).status_code
        # the district and the units above it hold a dispute: its officer, the station, the city
        works_on = persona in ("officer", "station", "city")
        if place not in VISIBLE[persona]:
            assert status == 404, f"{persona} / {place}"
        elif not works_on:
            assert status == 403, f"{persona} / {place}"
        else:
            assert status == 302, f"{persona} / {place}"
        assert _credited("mediation", member) == (place in VISIBLE[persona] and works_on)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_lecture_is_credited_by_whoever_recorded_it_or_the_station(persona, personas, client):
    t = personas.territory
    grids = {"A": t.grid_a, "B": t.grid_b, "C": t.grid_c}
    user = getattr(personas, persona)
    client.force_login(user)
    for place in PLACES:
        lecture = record_lecture(
            actor=personas.city,
            kind="lecture",
            held_on=timezone.localdate(),
            place_text="村委会",
            topic=f"讲座{place}",
            speaker="钱七",
            grid=grids[place],
        )
        member = t.members[place]
        status = client.post(f"/points/lectures/{lecture.pk}/", {"member": member.pk}).status_code
        keeps = persona in ("station", "city")  # the city recorded them; the station keeps A and B's ledger
        if place not in VISIBLE[persona]:
            assert status == 404, f"{persona} / {place}"
        elif not keeps:
            assert status == 403, f"{persona} / {place}"
        else:
            assert status == 302, f"{persona} / {place}"
        assert _credited("lecture", member) == (place in VISIBLE[persona] and keeps)
