"""The staff page: a commander posts and un-posts the staff of their own subtree, and nowhere else."""

import pytest

from fengqiao.accounts.models import Posting
from fengqiao.core.models import AuditEntry


@pytest.fixture
def chief(client, personas):
    client.force_login(personas.station)
    client.cookies["django_language"] = "zh-hans"
    return client


def test_the_chief_sees_their_staff_and_the_menu_leads_there(chief, personas):
    page = chief.get("/staff/").content.decode()
    assert "张三" in page and "李四" in page and "王五" in page
    assert "钱七" not in page  # the city commander is above, not below
    assert 'href="/staff/"' in chief.get("/").content.decode()


@pytest.mark.parametrize("persona", ["officer", "grid_a", "resident"])
def test_nobody_else_reaches_it_or_sees_it_in_the_menu(client, personas, persona):
    client.force_login(getattr(personas, persona))
    assert client.get("/staff/").status_code == 403
    assert 'href="/staff/"' not in client.get("/").content.decode()


def test_the_chief_posts_and_ends_with_a_reason(chief, personas):
    t = personas.territory
    response = chief.post("/staff/", {"username": "grid_b", "place": t.grid_a.code, "reason": "支援"})
    assert response.status_code == 302
    posting = Posting.objects.get(user=personas.grid_b, grid=t.grid_a)
    # ending needs a reason, then is on the record
    chief.post(f"/staff/postings/{posting.pk}/end/", {"reason": ""})
    assert Posting.objects.filter(pk=posting.pk).exists()
    chief.post(f"/staff/postings/{posting.pk}/end/", {"reason": "支援结束"})
    assert not Posting.objects.filter(pk=posting.pk).exists()
    assert AuditEntry.objects.filter(action="posting_end", reason="支援结束").exists()


def test_a_place_outside_the_station_is_refused_in_chinese(chief, personas):
    t = personas.territory
    page = chief.post("/staff/", {"username": "grid_b", "place": t.grid_c.code, "reason": "x"})
    assert page.status_code == 200
    assert "您的辖区内没有" in page.content.decode()
    assert not Posting.objects.filter(user=personas.grid_b, grid=t.grid_c).exists()
    # and another station's posting cannot be ended from here
    city = personas.city.postings.get()
    assert chief.post(f"/staff/postings/{city.pk}/end/", {"reason": "x"}).status_code == 404  # out of scope
