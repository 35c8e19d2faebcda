"""Sending a campaign, run by the worker (django-tasks, database backend).

:func:`start` claims an approved campaign whose time has come (one conditional UPDATE, so a
campaign queued twice goes out once), writes one delivery row per group bot and per recipient,
and queues the batches: SMS in batches of the gateway's rate a minute apart, everything else at
once. Each batch makes one attempt at each of its deliveries; a failure is recorded on its row and
never stops the others; the failed ones are tried again later in a batch of their own, until the
attempts run out. After every batch the campaign's counts are taken again from its deliveries.
"""

import datetime as dt
import logging
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django_tasks import task

from fengqiao.core.notifications import adapters
from fengqiao.core.notifications.choices import ChannelKind
from fengqiao.core.notifications.models import Channel, Notification
from fengqiao.geo.models import PoliceUnit
from fengqiao.outreach import conf, webpush
from fengqiao.outreach.actions import audience_grids
from fengqiao.outreach.choices import CampaignStatus, DeliveryChannel, DeliveryState
from fengqiao.outreach.models import Campaign, CampaignDelivery, PushSubscription, ResidentGroup

logger = logging.getLogger(__name__)

UNSCOPED = "outreach: the worker sends an approved campaign to its whole audience"
BATCH = 200  # deliveries of the fast channels in one task run
BOT_TIMEOUT = 10
OPEN = (DeliveryState.PENDING, DeliveryState.FAILED)
NOTIFICATION_KIND = "outreach_campaign"


def schedule(campaign_id: int, send_at: dt.datetime | None) -> None:
    """Queue the campaign's start for its time (now when it has none or it has come)."""
    if send_at is not None and send_at > timezone.now():
        send_campaign.using(run_after=send_at).enqueue(campaign_id)
    else:
        send_campaign.enqueue(campaign_id)


@task()
def send_campaign(campaign_id: int) -> dict:
    return start(campaign_id)


@task()
def send_batch(campaign_id: int, delivery_ids: list[int]) -> dict:
    return run_batch(campaign_id, delivery_ids)


def _campaigns():
    return Campaign.objects.unscoped(reason=UNSCOPED)


def start(campaign_id: int, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    due = Q(send_at__isnull=True) | Q(send_at__lte=now)
    with transaction.atomic():
        claimed = (
            _campaigns()
            .filter(due, pk=campaign_id, status=CampaignStatus.APPROVED)
            .update(status=CampaignStatus.SENDING, started_at=now, updated_at=now)
        )
        if not claimed:
            return {"campaign": campaign_id, "skipped": True}
        campaign = _campaigns().get(pk=campaign_id)
        rows = _deliveries(campaign, now)
        CampaignDelivery.objects.bulk_create(rows, batch_size=1000)
    ids = {
        channel: list(
            CampaignDelivery.objects.filter(campaign=campaign, channel=channel).values_list("pk", flat=True)
        )
        for channel in DeliveryChannel.values
    }
    sms = ids.pop(DeliveryChannel.SMS)
    fast = [pk for channel_ids in ids.values() for pk in channel_ids]
    for offset in range(0, len(fast), BATCH):
        send_batch.enqueue(campaign_id, fast[offset : offset + BATCH])
    rate = conf.sms_per_minute()
    for n, offset in enumerate(range(0, len(sms), rate)):
        batch = sms[offset : offset + rate]
        if n == 0:
            send_batch.enqueue(campaign_id, batch)
        else:
            send_batch.using(run_after=now + dt.timedelta(minutes=n)).enqueue(campaign_id, batch)
    refresh_counts(campaign_id)
    return {"campaign": campaign_id, "deliveries": len(rows)}


def _deliveries(campaign: Campaign, now) -> list[CampaignDelivery]:
    """One row per group bot, per subscribed browser and per member of staff by each channel."""
    grids = audience_grids(campaign)
    communities = set(campaign.communities.values_list("pk", flat=True)) | set(
        grids.values_list("community_id", flat=True)
    )
    rows = []

    def add(channel, **target):
        rows.append(CampaignDelivery(campaign=campaign, channel=channel, created_at=now, **target))

    if campaign.to_groups:
        groups = ResidentGroup.objects.unscoped(reason=UNSCOPED).filter(
            Q(grid__in=grids) | Q(grid__isnull=True, community__in=communities), is_active=True
        )
        for group in groups.filter(has_bot=True):
            add(DeliveryChannel.GROUP_BOT, group=group)
    if campaign.to_subscribers:
        for subscription in PushSubscription.objects.filter(community__in=communities, is_active=True):
            add(DeliveryChannel.WEB_PUSH, subscription=subscription)
    if campaign.to_staff:
        paths = list(grids.values_list("scope_path", flat=True))
        districts = PoliceUnit.objects.filter(pk__in=grids.values("district")).values_list("path", flat=True)
        staff = get_user_model().posted_at(*paths, *districts).distinct()
        for user in staff:
            add(DeliveryChannel.IN_APP, user=user)
            if campaign.staff_sms and user.phone:
                add(DeliveryChannel.SMS, user=user)
            if campaign.staff_email and user.email:
                add(DeliveryChannel.EMAIL, user=user)
    return rows


def payload(campaign: Campaign) -> dict:
    return {"kind": NOTIFICATION_KIND, "title": campaign.title, "body": campaign.body, "link": ""}


def _channel(kind: str, scope_path: str):
    """The most specific active channel of ``kind`` that takes campaign messages for the place."""
    candidates = [
        c
        for c in Channel.objects.filter(kind=kind, is_active=True)
        if c.applies_to(kind=NOTIFICATION_KIND, scope_path=scope_path)
    ]
    return max(candidates, key=lambda c: len(c.scope_path), default=None)


def send_one(delivery: CampaignDelivery, campaign: Campaign, message: dict) -> None:
    """Send one delivery through its channel; DeliveryError (or WebPushGone) when it did not go."""
    if delivery.channel == DeliveryChannel.GROUP_BOT:
        group = delivery.group
        if group is None or not group.webhook_url or not group.is_active:
            raise adapters.DeliveryError("the group has no bot any more")
        adapters.send_wecom(SimpleNamespace(url=group.webhook_url, timeout=BOT_TIMEOUT), message)
    elif delivery.channel == DeliveryChannel.WEB_PUSH:
        subscription = delivery.subscription
        if subscription is None or not subscription.is_active:
            raise webpush.Gone("the browser unsubscribed")
        webpush.send(subscription, message)
    elif delivery.channel == DeliveryChannel.SMS:
        channel = _channel(ChannelKind.SMS, campaign.scope_path)
        if channel is None:
            raise adapters.DeliveryError("no SMS gateway is set up for this area")
        adapters.send_sms(channel, delivery.user.phone, message)
    elif delivery.channel == DeliveryChannel.EMAIL:
        channel = _channel(ChannelKind.EMAIL, campaign.scope_path) or SimpleNamespace(
            smtp_host="", from_email="", timeout=BOT_TIMEOUT
        )
        adapters.send_email(channel, delivery.user.email, message)
    elif delivery.channel == DeliveryChannel.IN_APP:
        Notification.objects.create(
            recipient=delivery.user,
            kind=NOTIFICATION_KIND,
            title=campaign.title[:200],
            body=campaign.body,
            scope_path=campaign.scope_path,
        )
    else:
        raise adapters.DeliveryError(f"unknown channel {delivery.channel!r}")


def backoff(attempt: int) -> dt.timedelta:
    return dt.timedelta(minutes=2 ** (attempt - 1))


def run_batch(campaign_id: int, delivery_ids: list[int]) -> dict:
    campaign = _campaigns().filter(pk=campaign_id).first()
    if campaign is None:
        return {"campaign": campaign_id, "missing": True}
    message = payload(campaign)
    limit = conf.max_attempts()
    sent = failed = 0
    retry = []
    rows = CampaignDelivery.objects.filter(pk__in=delivery_ids, campaign=campaign, status__in=OPEN)
    for delivery in rows.select_related("group", "user", "subscription"):
        error, final = "", False
        try:
            send_one(delivery, campaign, message)
        except webpush.Gone as exc:
            error, final = str(exc), True
            if delivery.subscription_id:
                PushSubscription.objects.filter(pk=delivery.subscription_id).update(is_active=False)
        except adapters.DeliveryError as exc:
            error = str(exc)
        except Exception as exc:  # a broken channel must not stop the rest of the campaign
            logger.exception("campaign %s delivery %s failed unexpectedly", campaign_id, delivery.pk)
            error = f"{type(exc).__name__}: {exc}"
        attempts = delivery.attempts + 1
        done = timezone.now()
        mine = CampaignDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts)
        if not error:
            mine.update(status=DeliveryState.SENT, attempts=attempts, sent_at=done, last_error="")
            sent += 1
        elif final or attempts >= limit:
            mine.update(status=DeliveryState.GIVEN_UP, attempts=attempts, last_error=error[:400])
            failed += 1
        else:
            mine.update(status=DeliveryState.FAILED, attempts=attempts, last_error=error[:400])
            retry.append((delivery.pk, attempts))
    if retry:
        wait = backoff(max(a for _, a in retry))
        send_batch.using(run_after=timezone.now() + wait).enqueue(campaign_id, [pk for pk, _ in retry])
    refresh_counts(campaign_id)
    return {"campaign": campaign_id, "sent": sent, "given_up": failed, "retrying": len(retry)}


def refresh_counts(campaign_id: int) -> None:
    """The campaign's counts from its deliveries; sent once none is open any more."""
    counts = CampaignDelivery.objects.filter(campaign_id=campaign_id).aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(status=DeliveryState.SENT)),
        given_up=Count("pk", filter=Q(status=DeliveryState.GIVEN_UP)),
        open=Count("pk", filter=Q(status__in=OPEN)),
    )
    now = timezone.now()
    values = {
        "recipients": counts["total"],
        "delivered": counts["sent"],
        "failed": counts["given_up"],
        "updated_at": now,
    }
    campaigns = _campaigns().filter(pk=campaign_id)
    campaigns.update(**values)
    if not counts["open"]:
        campaigns.filter(status=CampaignStatus.SENDING).update(status=CampaignStatus.SENT, sent_at=now)
