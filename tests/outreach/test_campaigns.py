"""Alerts and campaigns: the station chief's approval, and real deliveries through a WeCom group
bot, an SMS gateway and a browser's push service, each a local server the test starts; the worker
is django-tasks' database worker, as ``fengqiao db_worker`` runs it."""

import base64
import datetime as dt
import json
import os
import xml.etree.ElementTree as ET

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from fengqiao.core.notifications.choices import ChannelKind
from fengqiao.core.notifications.models import Channel, Notification
from fengqiao.core.roles import Role
from fengqiao.outreach import actions
from fengqiao.outreach.cap import NAMESPACE, to_cap
from fengqiao.outreach.choices import CampaignStatus, DeliveryChannel, DeliveryState, MessageKind, Platform
from fengqiao.outreach.models import Campaign, CampaignDelivery, PushSubscription
from tests.conftest import make_user
from tests.core.test_notifications import HttpEndpoint, run_worker
from tests.outreach.conftest import build_world

WECOM_OK = {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def bot():
    endpoint = HttpEndpoint()
    endpoint.answer((200, WECOM_OK))
    yield endpoint
    endpoint.stop()


@pytest.fixture
def world(personas, bot):
    return build_world(personas, bot_url=f"{bot.url}/cgi-bin/webhook/send?key=k-A")


def draft(personas, actor=None, **extra):
    t = personas.territory
    extra.setdefault("grids", [t.grid_a])
    return actions.draft_campaign(
        actor=actor or personas.officer,
        kind=extra.pop("kind", MessageKind.ANTI_FRAUD),
        title=extra.pop("title", "警惕冒充客服退款诈骗"),
        body=extra.pop("body", "近期有骗子冒充电商客服以退款为由索要验证码，请勿转账。"),
        **extra,
    )


def commit_and_run(django_capture_on_commit_callbacks, fn, *args, **kwargs):
    """Run an action, then its on-commit work (queueing the campaign), as a real commit would."""
    with django_capture_on_commit_callbacks(execute=True):
        result = fn(*args, **kwargs)
    return result


def fast_forward() -> None:
    past = timezone.now() - dt.timedelta(seconds=1)
    DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__gt=past).update(run_after=past)


def reread(campaign) -> Campaign:
    return Campaign.objects.unscoped(reason="test").get(pk=campaign.pk)


# --- approval --------------------------------------------------------------------------------


def test_a_public_campaign_waits_for_the_station_chief(
    personas, world, bot, django_capture_on_commit_callbacks
):
    # given a draft for grid A's groups by the community officer
    campaign = draft(personas)
    actions.submit_campaign(campaign, actor=personas.officer)
    assert reread(campaign).status == CampaignStatus.SUBMITTED
    # when the officer tries to approve it himself, nothing goes out
    with pytest.raises(PermissionDenied):
        actions.approve_campaign(campaign, actor=personas.officer)
    assert run_worker() == 0 and bot.requests == []
    # when the station chief approves it
    commit_and_run(
        django_capture_on_commit_callbacks, actions.approve_campaign, campaign, actor=personas.station
    )
    run_worker()
    # then grid A's bot got the text, and the delivery and the counts are recorded
    (request,) = bot.requests
    assert request["path"] == "/cgi-bin/webhook/send?key=k-A"
    assert request["json"] == {
        "msgtype": "text",
        "text": {"content": "警惕冒充客服退款诈骗\n近期有骗子冒充电商客服以退款为由索要验证码，请勿转账。"},
    }
    (delivery,) = CampaignDelivery.objects.filter(campaign=campaign)
    assert (delivery.channel, delivery.group, delivery.status, delivery.attempts) == (
        DeliveryChannel.GROUP_BOT,
        world.groups["A"],
        DeliveryState.SENT,
        1,
    )
    campaign = reread(campaign)
    assert (campaign.status, campaign.recipients, campaign.delivered, campaign.failed) == (
        CampaignStatus.SENT,
        1,
        1,
        0,
    )
    assert campaign.decided_by == personas.station and campaign.sent_at is not None


def test_a_campaign_sent_back_never_goes_out(personas, world, bot, django_capture_on_commit_callbacks):
    campaign = draft(personas)
    actions.submit_campaign(campaign, actor=personas.officer)
    with pytest.raises(ValidationError):
        actions.reject_campaign(campaign, actor=personas.station, note="")  # a reason is needed
    commit_and_run(
        django_capture_on_commit_callbacks,
        actions.reject_campaign,
        campaign,
        actor=personas.station,
        note="措辞再改改",
    )
    assert run_worker() == 0 and bot.requests == []
    assert reread(campaign).status == CampaignStatus.REJECTED
    with pytest.raises(ValidationError):
        actions.approve_campaign(campaign, actor=personas.station)


def test_a_station_chief_cannot_approve_outside_his_station(personas, world):
    other = make_user("chief_c", Role.STATION, unit=personas.territory.station2)
    campaign = draft(personas)
    actions.submit_campaign(campaign, actor=personas.officer)
    with pytest.raises(PermissionDenied):
        actions.approve_campaign(campaign, actor=other)


def test_nobody_drafts_for_grids_outside_their_area(personas, world):
    with pytest.raises(ValidationError) as error:
        draft(personas, grids=[personas.territory.grid_b])
    assert "grids" in error.value.message_dict


def test_a_scheduled_campaign_waits_for_its_time(personas, world, bot, django_capture_on_commit_callbacks):
    at = timezone.now() + dt.timedelta(hours=3)
    campaign = draft(personas, send_at=at)
    actions.submit_campaign(campaign, actor=personas.officer)
    commit_and_run(
        django_capture_on_commit_callbacks, actions.approve_campaign, campaign, actor=personas.station
    )
    # nothing is due yet
    assert run_worker() == 0 and bot.requests == []
    (queued,) = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert abs((queued.run_after - at).total_seconds()) < 1
    # when its time comes
    Campaign.objects.unscoped(reason="test").filter(pk=campaign.pk).update(send_at=timezone.now())
    fast_forward()
    run_worker()
    assert len(bot.requests) == 1 and reread(campaign).status == CampaignStatus.SENT


# --- failures and retries --------------------------------------------------------------------


def test_a_failing_bot_is_retried_then_given_up_and_never_stops_the_others(
    personas, world, bot, django_capture_on_commit_callbacks
):
    # given a second WeCom group, in grid B, whose bot refuses every message
    refusing = HttpEndpoint()
    refusing.answer((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    try:
        actions.register_group(
            actor=personas.city,
            platform=Platform.WECOM,
            name="关渠村企业微信群",
            grid=personas.territory.grid_b,
            webhook_url=f"{refusing.url}/send?key=bad",
        )
        campaign = draft(
            personas, actor=personas.station, grids=[personas.territory.grid_a, personas.territory.grid_b]
        )
        actions.submit_campaign(campaign, actor=personas.station)
        commit_and_run(
            django_capture_on_commit_callbacks, actions.approve_campaign, campaign, actor=personas.station
        )
        # when the worker runs, and again after each back-off
        run_worker()
        first = CampaignDelivery.objects.get(campaign=campaign, group__name="关渠村企业微信群")
        assert (first.status, first.attempts) == (DeliveryState.FAILED, 1)
        assert "93000" in first.last_error
        assert reread(campaign).status == CampaignStatus.SENDING
        for _ in range(3):
            fast_forward()
            run_worker()
    finally:
        refusing.stop()
    # then the good bot got it once, the bad one three times, and the campaign is done
    assert len(bot.requests) == 1 and len(refusing.requests) == 3
    bad = CampaignDelivery.objects.get(campaign=campaign, group__name="关渠村企业微信群")
    assert (bad.status, bad.attempts) == (DeliveryState.GIVEN_UP, 3)
    campaign = reread(campaign)
    assert (campaign.status, campaign.recipients, campaign.delivered, campaign.failed) == (
        CampaignStatus.SENT,
        2,
        1,
        1,
    )


def test_sms_to_staff_go_in_batches_within_the_gateways_rate(
    personas, world, settings, django_capture_on_commit_callbacks
):
    # given a gateway that takes two messages a minute and five grid workers of grid A with phones
    settings.FENGQIAO_OUTREACH_SMS_PER_MINUTE = 2
    gateway = HttpEndpoint()
    gateway.answer((200, {}))
    try:
        Channel.objects.create(kind=ChannelKind.SMS, name="sms", url=f"{gateway.url}/sms", token="tok")
        personas.grid_a.phone = "13800000001"
        personas.grid_a.save()
        for n in range(4):
            make_user(f"gw{n}", Role.GRID_WORKER, grid=personas.territory.grid_a, phone=f"1390000000{n}")
        # when a message to the area's staff, by SMS too, is sent (staff alone: no approval)
        campaign = draft(personas, to_groups=False, to_staff=True, staff_sms=True, kind=MessageKind.INCIDENT)
        commit_and_run(
            django_capture_on_commit_callbacks, actions.submit_campaign, campaign, actor=personas.officer
        )
        run_worker()
        # then two went at once and the rest wait a minute apart
        assert len(gateway.requests) == 2
        waiting = sorted(
            DBTaskResult.objects.filter(status=TaskResultStatus.READY).values_list("run_after", flat=True)
        )
        assert len(waiting) == 2
        gap = (waiting[1] - waiting[0]).total_seconds()
        assert 59 <= gap <= 61
        fast_forward()
        run_worker()
    finally:
        gateway.stop()
    phones = sorted(r["json"]["phone"] for r in gateway.requests)
    assert phones == ["13800000001", "13900000000", "13900000001", "13900000002", "13900000003"]
    assert all(r["headers"]["Authorization"] == "Bearer tok" for r in gateway.requests)
    # and every one of them (and the officer posted to the district) has it in the app
    assert Notification.objects.filter(kind="outreach_campaign").count() == 6
    campaign = reread(campaign)
    assert (campaign.status, campaign.recipients, campaign.delivered) == (CampaignStatus.SENT, 11, 11)


def test_sms_without_a_gateway_is_recorded_as_failed(
    personas, world, settings, django_capture_on_commit_callbacks
):
    settings.FENGQIAO_OUTREACH_MAX_ATTEMPTS = 1
    personas.grid_a.phone = "13800000001"
    personas.grid_a.save()
    campaign = draft(personas, to_groups=False, to_staff=True, staff_sms=True)
    commit_and_run(
        django_capture_on_commit_callbacks, actions.submit_campaign, campaign, actor=personas.officer
    )
    run_worker()
    sms = CampaignDelivery.objects.get(campaign=campaign, channel=DeliveryChannel.SMS)
    assert sms.status == DeliveryState.GIVEN_UP and "no SMS gateway" in sms.last_error
    assert reread(campaign).status == CampaignStatus.SENT


def test_staff_get_it_by_e_mail_through_the_smtp_channel(
    personas, world, smtp_server, django_capture_on_commit_callbacks
):
    Channel.objects.create(
        kind=ChannelKind.EMAIL,
        name="mail",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_user="notifier",
        smtp_password="s3cret",
        from_email="fengqiao@example.org",
    )
    personas.grid_a.email = "grid_a@example.org"
    personas.grid_a.save()
    campaign = draft(personas, to_groups=False, to_staff=True, staff_email=True)
    commit_and_run(
        django_capture_on_commit_callbacks, actions.submit_campaign, campaign, actor=personas.officer
    )
    run_worker()
    (message,) = smtp_server.messages
    assert message["to"] == ["grid_a@example.org"] and message["login"] == "notifier"
    mail = CampaignDelivery.objects.get(campaign=campaign, channel=DeliveryChannel.EMAIL)
    assert (mail.user, mail.status) == (personas.grid_a, DeliveryState.SENT)


# --- Web Push --------------------------------------------------------------------------------


def _browser_keys():
    """What a browser's PushManager makes: a P-256 key pair and a 16-byte auth secret."""
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    encode = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()  # noqa: E731
    return private, auth, encode(public), encode(auth)


def test_web_push_reaches_the_subscribed_browser_encrypted(
    personas, world, push_service, django_capture_on_commit_callbacks
):
    # given a resident whose browser subscribed to 金积村's alerts
    private, auth, p256dh, auth_text = _browser_keys()
    actions.subscribe(
        actor=personas.resident,
        community=personas.territory.village_a,
        endpoint=f"{push_service.url}/push/abc",
        p256dh=p256dh,
        auth=auth_text,
    )
    # when an approved alert for grid A goes to subscribers
    campaign = draft(personas, to_groups=False, to_subscribers=True)
    actions.submit_campaign(campaign, actor=personas.officer)
    commit_and_run(
        django_capture_on_commit_callbacks, actions.approve_campaign, campaign, actor=personas.station
    )
    run_worker()
    # then the push service got one message that only the browser can read, signed with our key
    (request,) = push_service.requests
    assert request["path"] == "/push/abc"
    assert request["headers"]["content-encoding"] == "aes128gcm"
    assert request["headers"]["authorization"].startswith("vapid t=")
    clear = http_ece.decrypt(request["body"], private_key=private, auth_secret=auth, version="aes128gcm")
    assert json.loads(clear) == {
        "title": "警惕冒充客服退款诈骗",
        "body": "近期有骗子冒充电商客服以退款为由索要验证码，请勿转账。",
    }
    assert CampaignDelivery.objects.get(campaign=campaign).status == DeliveryState.SENT


def test_an_expired_push_subscription_is_given_up_at_once(
    personas, world, push_service, django_capture_on_commit_callbacks
):
    push_service.statuses = [410]
    _, _, p256dh, auth_text = _browser_keys()
    subscription = actions.subscribe(
        actor=personas.resident,
        community=personas.territory.village_a,
        endpoint=f"{push_service.url}/push/gone",
        p256dh=p256dh,
        auth=auth_text,
    )
    campaign = draft(personas, to_groups=False, to_subscribers=True)
    actions.submit_campaign(campaign, actor=personas.officer)
    commit_and_run(
        django_capture_on_commit_callbacks, actions.approve_campaign, campaign, actor=personas.station
    )
    run_worker()
    delivery = CampaignDelivery.objects.get(campaign=campaign)
    assert (delivery.status, delivery.attempts) == (DeliveryState.GIVEN_UP, 1)
    assert not PushSubscription.objects.get(pk=subscription.pk).is_active
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 0  # no retry queued


def test_the_vapid_key_is_kept_in_the_data_dir_owner_only(settings):
    from fengqiao.outreach import webpush

    first = webpush.public_key()
    assert webpush.public_key() == first  # made once, then read
    path = settings.FENGQIAO_VAPID_KEY_FILE
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert len(base64.urlsafe_b64decode(first + "==")) == 65  # an uncompressed P-256 point


# --- CAP 1.2 ---------------------------------------------------------------------------------


def test_an_alert_exports_as_cap_1_2(personas, world, django_capture_on_commit_callbacks):
    campaign = draft(personas, communities=[personas.territory.village_a], grids=[])
    actions.submit_campaign(campaign, actor=personas.officer)
    commit_and_run(
        django_capture_on_commit_callbacks, actions.approve_campaign, campaign, actor=personas.station
    )
    run_worker()
    root = ET.fromstring(to_cap(reread(campaign)))
    ns = {"cap": NAMESPACE}
    assert root.tag == f"{{{NAMESPACE}}}alert"
    # the alert's elements, in the order CAP 1.2's schema requires
    order = [child.tag.split("}")[1] for child in root]
    assert order == ["identifier", "sender", "sent", "status", "msgType", "scope", "info"]
    assert root.findtext("cap:identifier", namespaces=ns).endswith(f".outreach.{campaign.pk}")
    assert "@" in root.findtext("cap:sender", namespaces=ns)
    sent = root.findtext("cap:sent", namespaces=ns)
    assert dt.datetime.fromisoformat(sent).utcoffset() is not None and not sent.endswith("Z")
    assert (root.findtext("cap:status", namespaces=ns), root.findtext("cap:msgType", namespaces=ns)) == (
        "Actual",
        "Alert",
    )
    assert root.findtext("cap:scope", namespaces=ns) == "Public"
    info = root.find("cap:info", ns)
    assert info.findtext("cap:category", namespaces=ns) in {
        "Geo",
        "Met",
        "Safety",
        "Security",
        "Rescue",
        "Fire",
        "Health",
        "Env",
        "Transport",
        "Infra",
        "CBRNE",
        "Other",
    }
    assert info.findtext("cap:event", namespaces=ns) == "anti-fraud warning"
    assert info.findtext("cap:urgency", namespaces=ns) in {
        "Immediate",
        "Expected",
        "Future",
        "Past",
        "Unknown",
    }
    assert info.findtext("cap:severity", namespaces=ns) in {
        "Extreme",
        "Severe",
        "Moderate",
        "Minor",
        "Unknown",
    }
    assert info.findtext("cap:certainty", namespaces=ns) in {
        "Observed",
        "Likely",
        "Possible",
        "Unlikely",
        "Unknown",
    }
    assert info.findtext("cap:headline", namespaces=ns) == "警惕冒充客服退款诈骗"
    assert info.findtext("cap:description", namespaces=ns).startswith("近期有骗子")
    area = info.find("cap:area", ns)
    assert area.findtext("cap:areaDesc", namespaces=ns) == "金积村"
    assert [g.findtext("cap:value", namespaces=ns) for g in area.findall("cap:geocode", ns)] == [
        "640302100201"
    ]


def test_a_draft_exports_as_a_draft_for_staff_only_as_restricted(personas, world):
    campaign = draft(personas, to_groups=False, to_staff=True)
    root = ET.fromstring(to_cap(campaign))
    ns = {"cap": NAMESPACE}
    assert root.findtext("cap:status", namespaces=ns) == "Draft"
    assert root.findtext("cap:scope", namespaces=ns) == "Restricted"
    assert root.findtext("cap:restriction", namespaces=ns)
