"""Ranking boards per community: only volunteers who chose to appear (a choice they alone make, on
the record), ranked by points earned in the period, names masked, the reader's own line marked;
volunteers of the station and staff in scope see them."""

import pytest
from django.core.exceptions import PermissionDenied

from fengqiao.core.audit import AuditEntry
from fengqiao.core.roles import Role
from fengqiao.patrols.actions import add_member
from fengqiao.points import actions
from fengqiao.points.selectors import ranking_boards
from tests.conftest import make_user
from tests.fixtures.registry import valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(world, personas):
    """Team A (金积村) has 王兰花 (40 points) and 马小芳 (60); team B (关渠村) has 马志强 (25);
    team C (小坝村, another station) has 丙某某 (10). All but 马小芳 chose to appear."""
    w = world
    w.vol_a2 = make_user("vol_a2", Role.VOLUNTEER, full_name="马小芳")
    w.member_a2 = add_member(
        w.teams["A"], actor=personas.city, name="马小芳", id_number=valid_id_number(), user=w.vol_a2
    )
    w.vol_c = make_user("vol_c", Role.VOLUNTEER, full_name="丙某某")
    w.member_c = add_member(
        w.teams["C"], actor=personas.city, name="丙某某", id_number=valid_id_number(), user=w.vol_c
    )
    chief_c = make_user("chief_c", Role.STATION, unit=personas.territory.station2)
    for member, points, clerk in (
        (w.member_a, 40, w.clerk),
        (w.member_a2, 60, w.clerk),
        (w.member_b, 25, w.clerk),
        (w.member_c, 10, chief_c),
    ):
        actions.award_points(member, actor=clerk, points=points, reason="巡逻")
    for user in (w.vol_a, w.vol_b, w.vol_c):
        actions.set_ranking_choice(actor=user, shown=True)
    return w


def lines(boards) -> dict[str, list[tuple[int, str, int, bool]]]:
    return {b.title: [(line.rank, line.name, line.points, line.own) for line in b.lines] for b in boards}


def test_only_those_who_chose_appear_masked_ranked_and_marked(board, personas):
    seen = lines(ranking_boards(board.vol_a))
    # a volunteer sees every community of their station, not another station's
    assert seen == {
        "关渠村": [(1, "马**", 25, False)],
        "金积村": [(1, "王**", 40, True)],
    }
    # 马小芳 earned more but did not choose to appear; once she does, she leads, masked
    actions.set_ranking_choice(actor=board.vol_a2, shown=True)
    assert lines(ranking_boards(board.vol_a))["金积村"] == [(1, "马**", 60, False), (2, "王**", 40, True)]
    # and a reversed credit no longer counts
    txn = actions.award_points(board.member_a, actor=board.clerk, points=30, reason="记错")
    assert lines(ranking_boards(board.vol_a))["金积村"][0] == (1, "王**", 70, True)
    actions.reverse_transaction(txn, actor=board.clerk, reason="记错")
    assert lines(ranking_boards(board.vol_a))["金积村"][0] == (1, "马**", 60, False)


def test_leaving_the_board_takes_the_line_off_and_is_on_the_record(board):
    actions.set_ranking_choice(actor=board.vol_a, shown=False)
    assert "金积村" not in lines(ranking_boards(board.vol_b))
    choices = AuditEntry.objects.filter(action="points_ranking_choice", actor=board.vol_a)
    assert [e.after["on_ranking"] for e in choices.order_by("pk")] == [True, False]
    # nobody else makes the choice for a volunteer
    with pytest.raises(PermissionDenied):
        actions.set_ranking_choice(actor=board.clerk, shown=True)


def test_staff_see_the_communities_in_their_scope(board, personas):
    assert set(lines(ranking_boards(personas.grid_a))) == {"金积村"}
    assert set(lines(ranking_boards(personas.station))) == {"金积村", "关渠村"}
    assert set(lines(ranking_boards(personas.city))) == {"金积村", "关渠村", "小坝村"}


def test_the_pages(client, board, personas):
    client.force_login(board.vol_b)
    mine = client.get("/points/mine/").content.decode()
    assert 'id="ranking-leave"' in mine
    assert client.post("/points/ranking/choice/", {"on_ranking": "0"}).status_code == 302
    assert 'id="ranking-join"' in client.get("/points/mine/").content.decode()
    body = client.get("/points/ranking/?period=year").content.decode()
    page = body[body.index("<main") : body.index("</main>")]
    assert "王**" in page and "王兰花" not in page and "马志强" not in page
    assert client.get(f"/points/ranking/?community={personas.territory.village_c.pk}").status_code == 404
    client.force_login(personas.resident)
    assert client.get("/points/ranking/").status_code == 403
