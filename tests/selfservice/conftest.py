"""Fixtures of the self-service tests: an SMS gateway (a local HTTP server), applicants, and a
way to apply as a resident does (the code read from what the gateway received)."""

import datetime as dt
import re

import pytest

from fengqiao.core.notifications.choices import ChannelKind
from fengqiao.core.notifications.models import Channel
from fengqiao.registry.validators import make_id_number
from fengqiao.selfservice import actions
from fengqiao.selfservice.rules import Application
from tests.core.test_notifications import HttpEndpoint, run_worker

ID_A = make_id_number("640302", dt.date(1990, 5, 1), "M", 7)
ID_B = make_id_number("640302", dt.date(1985, 3, 2), "F", 9)
PHONE = "13800001234"


@pytest.fixture(autouse=True)
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def gateway(db):
    endpoint = HttpEndpoint()
    endpoint.answer((200, {"id": "m"}))
    Channel.objects.create(kind=ChannelKind.SMS, name="sms", url=f"{endpoint.url}/sms", token="t")
    yield endpoint
    endpoint.stop()


def last_code(gateway, phone=PHONE) -> str:
    """The one-time code of the latest SMS to ``phone``, as the resident reads it."""
    run_worker()
    texts = [r["json"]["text"] for r in gateway.requests if r["json"]["phone"] == phone]
    assert texts, "no SMS went to the phone"
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


@pytest.fixture
def applied(gateway, territory, django_capture_on_commit_callbacks):
    """Apply as a resident: ask for the code, read it off the gateway, apply."""

    def apply(*, id_number=ID_A, phone=PHONE, name="马小明", purpose="employment", proof=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            actions.send_phone_code(phone, scope_path=territory.station.path)
        code = last_code(gateway, phone)
        application = Application(
            name=name, id_number=id_number, phone=phone, purpose=purpose, station=territory.station, **kwargs
        )
        with django_capture_on_commit_callbacks(execute=True):
            return actions.apply(application, code=code, proof=proof)

    return apply


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login
