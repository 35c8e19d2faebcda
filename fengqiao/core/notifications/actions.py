"""Changes to notifications.

:func:`notify` is the one entry point for everyone who tells people something (the casework
engine, outreach, ...). It is called inside the caller's transaction and writes the in-app
messages there; the outbound deliveries are created and queued only once that transaction has
committed, and nothing a channel does can reach the caller. It writes no audit entry of its own:
the caller's action is the audited change.
"""

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.notifications import tasks
from fengqiao.core.notifications.choices import ChannelKind, DeliveryStatus
from fengqiao.core.notifications.models import Channel, Delivery, Notification
from fengqiao.core.refcache import Reference

logger = logging.getLogger(__name__)

NOTIFICATIONS_READ = audit.register("notifications_read", "marked notifications read")
DELIVERY_RETRY = audit.register("delivery_retry", "retried a notification delivery")

# Read after every notifying commit: kept per process until a channel changes.
ACTIVE_CHANNELS = Reference(
    "notification_channels",
    lambda: list(Channel.objects.filter(is_active=True).order_by("id")),
    models=("core.Channel",),
)


def notify(
    recipients: Iterable, *, kind: str, title: str, body: str = "", link: str = "", scope_path: str = ""
) -> list[Notification]:
    """Tell each recipient in the app now, and through the outbound channels after commit:
    an SMS to their phone and an e-mail to their address through the most specific active
    channel of each kind that applies, and a message to every WeCom group whose channel's scope
    is at or above ``scope_path``. Returns the in-app notifications."""
    if not kind:
        raise ValidationError({"kind": _("A notification needs a kind.")})
    if not title:
        raise ValidationError({"title": _("A notification needs a title.")})
    users, seen = [], set()
    for user in recipients:
        if user is not None and user.pk not in seen and user.is_active:
            seen.add(user.pk)
            users.append(user)
    now = timezone.now()
    title = title[: Notification._meta.get_field("title").max_length]
    payload = {"kind": kind, "title": title, "body": body, "link": link, "scope_path": scope_path}
    rows = Notification.objects.bulk_create(
        Notification(recipient=u, created_at=now, **payload) for u in users
    )
    ids = [n.pk for n in rows]

    def queue_deliveries():
        _queue_deliveries(ids, payload)

    transaction.on_commit(queue_deliveries, robust=True)
    return rows


def text_phone(
    phone: str, *, kind: str, title: str, body: str = "", link: str = "", scope_path: str = ""
) -> None:
    """An SMS to a phone number that belongs to no account (a reporter without one), through the
    SMS channel closest to ``scope_path`` that takes ``kind``; queued after the caller's commit,
    like :func:`notify`'s deliveries, and nothing in the app."""
    phone = (phone or "").strip()
    if not phone or not kind or not title:
        return
    title = title[: Notification._meta.get_field("title").max_length]
    payload = {"kind": kind, "title": title, "body": body, "link": link, "scope_path": scope_path}

    def queue():
        try:
            channel = _personal_channels(_channels_for(kind, scope_path)).get(ChannelKind.SMS)
            if channel is None:
                return
            with transaction.atomic():
                now = timezone.now()
                delivery = Delivery.objects.create(
                    channel=channel,
                    kind=kind,
                    address=phone,
                    payload=payload,
                    next_attempt_at=now,
                    created_at=now,
                )
                tasks.enqueue(delivery.pk)
        except Exception:
            logger.exception("could not queue the SMS of %s %r", kind, title)

    transaction.on_commit(queue, robust=True)


def _personal_channels(channels: list[Channel]) -> dict[str, Channel]:
    """Per kind of personal channel (SMS, e-mail), the one closest to the place."""
    personal: dict[str, Channel] = {}
    for channel in channels:
        if channel.kind in (ChannelKind.SMS, ChannelKind.EMAIL):
            best = personal.get(channel.kind)
            if best is None or len(channel.scope_path) > len(best.scope_path):
                personal[channel.kind] = channel
    return personal


def _queue_deliveries(notification_ids: list[int], payload: dict) -> None:
    """After the caller's commit: one Delivery per address and channel, each with its task."""
    try:
        channels = _channels_for(payload["kind"], payload["scope_path"])
        if not channels:  # the usual case in the app alone: no write transaction at all
            return
        with transaction.atomic():
            deliveries = _plan_deliveries(notification_ids, payload, channels)
            for delivery in deliveries:
                tasks.enqueue(delivery.pk)
    except Exception:
        # The caller has committed and must not hear of this; the notifications are in the app.
        logger.exception("could not queue the deliveries of %s %r", payload["kind"], payload["title"])


def _channels_for(kind: str, scope_path: str) -> list[Channel]:
    return [c for c in ACTIVE_CHANNELS.get() if c.applies_to(kind=kind, scope_path=scope_path)]


def _plan_deliveries(notification_ids: list[int], payload: dict, channels: list[Channel]) -> list[Delivery]:
    kind, scope_path = payload["kind"], payload["scope_path"]
    # Per person, one SMS and one e-mail: through the channel closest to the place.
    personal = _personal_channels(channels)
    now = timezone.now()
    plan = []
    notifications = Notification.objects.filter(pk__in=notification_ids).select_related("recipient")
    for notification in notifications.order_by("id"):
        recipient = notification.recipient
        for channel_kind, address in (
            (ChannelKind.SMS, recipient.phone),
            (ChannelKind.EMAIL, recipient.email),
        ):
            chosen = personal.get(channel_kind)
            if chosen is not None and address:
                plan.append(Delivery(channel=chosen, notification=notification, address=address))
    # A group bot speaks to the group of a place: only notifications about a place go there.
    if scope_path:
        plan.extend(Delivery(channel=c) for c in channels if c.kind == ChannelKind.WECOM)
    for delivery in plan:
        delivery.kind = kind
        delivery.payload = payload
        delivery.next_attempt_at = now
        delivery.created_at = now
    return Delivery.objects.bulk_create(plan)


@transaction.atomic
def mark_read(notification_ids: Iterable[int] | None = None, *, actor) -> int:
    """Mark the actor's own notifications read: the given ones, or all when none are given.
    Anyone else's notifications are not touched (and not told apart from missing ones)."""
    if actor is None or not actor.is_authenticated:
        raise PermissionDenied(_("Log in to read your notifications."))
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    ids = None
    if notification_ids is not None:
        ids = sorted({int(pk) for pk in notification_ids})
        qs = qs.filter(pk__in=ids)
    count = qs.update(read_at=timezone.now())
    audit.record(
        NOTIFICATIONS_READ,
        actor=actor,
        object_type=Notification._meta.label_lower,
        object_id=",".join(map(str, ids))[:64] if ids else "all",
        object_repr=str(actor),
        after={"count": count, "ids": ids},
    )
    return count


@transaction.atomic
def retry_delivery(delivery: Delivery, *, actor) -> Delivery:
    """Try a failed or given-up delivery again now, with a fresh series of attempts."""
    if not (actor.is_superuser or actor.has_perm("core.change_channel")):
        raise PermissionDenied(_("Only administrators may retry deliveries."))
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status not in (DeliveryStatus.FAILED, DeliveryStatus.GIVEN_UP):
        raise ValidationError({"status": _("Only a failed delivery can be retried.")})
    before = audit.snapshot(delivery, ["status", "attempts", "last_error"])
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), updated_at=timezone.now()
    )
    delivery.refresh_from_db()
    audit.record(
        DELIVERY_RETRY,
        delivery,
        actor=actor,
        before=before,
        after=audit.snapshot(delivery, ["status", "attempts", "last_error"]),
    )
    pk = delivery.pk

    def queue_retry():
        tasks.enqueue(pk)

    transaction.on_commit(queue_retry, robust=True)
    return delivery
