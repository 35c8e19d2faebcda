"""Postings (the source of every user's scope) change only through audited actions, by a
commander, below their own post."""

from fengqiao.accounts.models import Posting
from fengqiao.core.models import AuditEntry

STAFF = "/api/v1/staff"


def test_a_station_chief_lists_the_staff_of_their_subtree_only(api, personas):
    listed = api.get(STAFF, as_=personas.station).json()
    assert {s["username"] for s in listed} == {"grid_a", "grid_b", "officer_a"}
    # nor may a community officer or a grid worker list staff
    assert api.get(STAFF, as_=personas.officer).status_code == 403
    assert api.get(STAFF, as_=personas.grid_a).status_code == 403


def test_a_chief_posts_moves_and_ends_a_posting_audited(api, personas):
    t = personas.territory
    # when the station chief also posts grid worker A at grid B
    response = api.post(
        "/api/v1/users/grid_a/postings", {"grid": t.grid_b.code, "reason": "支援"}, as_=personas.station
    )
    assert response.status_code == 201, response.content
    posting_id = response.json()["id"]
    # then grid worker A sees grid B's subtree at once
    me = api.get("/api/v1/me", as_=personas.grid_a).json()
    assert {p["path"] for p in me["postings"]} == {t.grid_a.scope_path, t.grid_b.scope_path}
    # when it moves to district B, then ends
    moved = api.post(
        f"/api/v1/postings/{posting_id}/move",
        {"unit": t.district_b.path, "reason": "调整"},
        as_=personas.station,
    )
    assert moved.status_code == 200 and moved.json()["path"] == t.district_b.path
    ended = api.post(f"/api/v1/postings/{posting_id}/end", {"reason": "支援结束"}, as_=personas.station)
    assert ended.status_code == 204
    assert not Posting.objects.filter(pk=posting_id).exists()
    # then each change is on the record, with its reason and before/after
    entries = AuditEntry.objects.filter(action__startswith="posting_").order_by("id")
    assert [(e.action, e.reason) for e in entries] == [
        ("posting_create", "支援"),
        ("posting_move", "调整"),
        ("posting_end", "支援结束"),
    ]
    assert entries[1].before["node"] == t.grid_b.scope_path and entries[1].after["node"] == t.district_b.path


def test_nobody_posts_outside_their_subtree_or_above_themself(api, personas):
    t = personas.territory
    # a place outside the chief's station is refused, naming the field
    outside = api.post(
        "/api/v1/users/grid_a/postings", {"grid": t.grid_c.code, "reason": "x"}, as_=personas.station
    )
    assert outside.status_code == 422
    # a commander cannot post themself, and an officer posts nobody
    own = api.post(
        "/api/v1/users/station/postings", {"unit": t.district_a.path, "reason": "x"}, as_=personas.station
    )
    assert own.status_code == 403
    officer = api.post("/api/v1/users/grid_a/postings", {"grid": t.grid_a.code}, as_=personas.officer)
    assert officer.status_code in (403, 422)
    # another station's posting is 404 to the chief
    city_posting = personas.city.postings.get()
    assert (
        api.post(f"/api/v1/postings/{city_posting.pk}/end", {"reason": "x"}, as_=personas.station).status_code
        == 404
    )
    assert Posting.objects.filter(pk=city_posting.pk).exists()


def test_the_admin_shows_postings_read_only(client, personas):
    client.force_login(personas.admin)
    page = client.get(f"/admin/accounts/user/{personas.grid_a.pk}/change/")
    assert page.status_code == 200
    assert 'name="postings-0-grid"' not in page.content.decode()
