"""The portal's alert subscription: the page hands the browser our VAPID public key, the browser's
subscription is kept for the community chosen, and stopping ends it."""

import json

from fengqiao.outreach import webpush
from fengqiao.outreach.models import PushSubscription


def subscription(endpoint="https://push.example.org/send/abc"):
    return {
        "endpoint": endpoint,
        "keys": {
            "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7",
            "auth": "tBHItJI5svbpez7KI4CCXg",
        },
    }


def test_a_resident_subscribes_a_browser_to_a_communitys_alerts(personas, client):
    client.force_login(personas.resident)
    page = client.get("/alerts/").content.decode()
    assert webpush.public_key() in page and "金积村" in page
    response = client.post(
        "/alerts/subscribe/",
        json.dumps({"community": personas.territory.village_a.pk, "subscription": subscription()}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    (kept,) = PushSubscription.objects.filter(user=personas.resident, is_active=True)
    assert kept.community == personas.territory.village_a
    # the same browser choosing another community moves its subscription
    client.post(
        "/alerts/subscribe/",
        json.dumps({"community": personas.territory.village_b.pk, "subscription": subscription()}),
        content_type="application/json",
    )
    assert PushSubscription.objects.get().community == personas.territory.village_b
    client.post("/alerts/unsubscribe/")
    assert not PushSubscription.objects.filter(is_active=True).exists()


def test_what_a_browser_sends_is_checked(personas, client):
    client.force_login(personas.resident)
    for body in (
        "not json",
        json.dumps({"community": personas.territory.town.pk, "subscription": subscription()}),
        json.dumps(
            {"community": personas.territory.village_a.pk, "subscription": subscription("javascript:x")}
        ),
    ):
        response = client.post("/alerts/subscribe/", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_the_alerts_page_needs_a_login(client, db):
    assert client.get("/alerts/").status_code == 302
    assert client.post("/alerts/subscribe/", "{}", content_type="application/json").status_code == 302
