"""Anonymous callers are limited per address: 429 with a message, never a lost accepted report."""

import pytest
from django.test import Client

from fengqiao.core import ratelimit
from fengqiao.core.models import RateWindow


def test_an_address_gets_429_past_its_limit_and_another_address_does_not(db, settings):
    settings.ANONYMOUS_READS_PER_MINUTE = 3
    one, two = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    answers = [one.get("/track/", headers={"Accept-Language": "zh-hans"}).status_code for _ in range(4)]
    assert answers[:3] == [200, 200, 200] and answers[3] == 429
    refused = one.get("/track/")
    assert refused["Retry-After"] == "60"
    assert "请求过于频繁" in refused.content.decode()
    assert two.get("/track/").status_code == 200


def test_open311_is_answered_429_in_json(db, settings):
    settings.ANONYMOUS_READS_PER_MINUTE = 1
    client = Client(REMOTE_ADDR="10.0.0.3")
    client.get("/open311/discovery.json")
    response = client.get("/open311/discovery.json")
    assert response.status_code == 429
    assert "请求过于频繁" in response.json()["detail"]


def test_signed_in_users_are_not_counted(client, personas, settings):
    settings.ANONYMOUS_READS_PER_MINUTE = 1
    client.force_login(personas.resident)
    assert [client.get("/track/").status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.django_db
def test_windows_are_counted_per_minute_and_forgotten_after_an_hour():
    import datetime as dt

    from django.utils import timezone

    now = timezone.now().replace(second=30)
    assert [ratelimit.hit("k", 2, now) for _ in range(3)] == [True, True, False]
    assert ratelimit.hit("k", 2, now + dt.timedelta(minutes=1)) is True  # a new minute
    assert ratelimit.forget_old_windows(now + dt.timedelta(hours=2)) == 2
    assert not RateWindow.objects.exists()
