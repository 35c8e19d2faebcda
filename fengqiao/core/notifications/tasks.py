"""Background delivery, run by the worker (django-tasks, database backend).

One task run is one attempt at one Delivery. A failed attempt records its error and enqueues the
next one after a back-off; past the channel's maximum the delivery is given up. Claiming an
attempt is one conditional UPDATE, so a delivery queued twice is still sent once.
"""

import datetime as dt
import logging

from django.db.models import F
from django.utils import timezone
from django_tasks import task

from fengqiao.core.notifications import adapters
from fengqiao.core.notifications.choices import DeliveryStatus
from fengqiao.core.notifications.models import Delivery

logger = logging.getLogger(__name__)

# Wait before attempt 2, 3, ...; the last step repeats.
BACKOFF = [
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=6),
]
# How long an attempt holds its delivery: a worker that dies mid-send frees it after this.
LEASE = dt.timedelta(minutes=2)
# A due delivery older than this has lost its task (worker crash, failed enqueue): queue it again.
STALE = dt.timedelta(minutes=5)
OPEN = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


def backoff(attempt: int) -> dt.timedelta:
    """The wait after failed attempt number ``attempt`` (1-based)."""
    return BACKOFF[min(attempt, len(BACKOFF)) - 1]


@task()
def deliver(delivery_id: int) -> dict:
    """Make one attempt at a delivery; see :func:`attempt_delivery`."""
    return attempt_delivery(delivery_id)


def enqueue(delivery_id: int, run_after: dt.datetime | None = None) -> None:
    (deliver.using(run_after=run_after) if run_after else deliver).enqueue(delivery_id)


def attempt_delivery(delivery_id: int) -> dict:
    """Claim the delivery if it is due, send it, record the outcome, and queue the retry."""
    now = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status__in=OPEN, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + LEASE, updated_at=now
    )
    delivery = Delivery.objects.select_related("channel").filter(pk=delivery_id).first()
    if delivery is None:
        return {"delivery": delivery_id, "status": "missing"}
    if not claimed:
        # Sent already, given up, not due yet, or another worker holds it.
        return {"delivery": delivery_id, "status": delivery.status, "skipped": True}

    channel = delivery.channel
    error = ""
    try:
        if not channel.is_active:
            raise adapters.DeliveryError("the channel has been switched off")
        adapters.send(channel, delivery.address, delivery.payload)
    except adapters.DeliveryError as exc:
        error = str(exc)
    except Exception as exc:  # a broken adapter must not lose the delivery record
        logger.exception("delivery %s through %s failed unexpectedly", delivery_id, channel)
        error = f"{type(exc).__name__}: {exc}"

    done = timezone.now()
    mine = Delivery.objects.filter(pk=delivery_id, attempts=delivery.attempts)
    if not error:
        mine.update(
            status=DeliveryStatus.SENT, sent_at=done, next_attempt_at=None, last_error="", updated_at=done
        )
        return {"delivery": delivery_id, "status": DeliveryStatus.SENT, "attempts": delivery.attempts}

    out_of_tries = delivery.attempts >= channel.max_attempts or not channel.is_active
    if out_of_tries:
        mine.update(status=DeliveryStatus.GIVEN_UP, next_attempt_at=None, last_error=error, updated_at=done)
        logger.warning("gave up delivery %s through %s: %s", delivery_id, channel, error)
        return {"delivery": delivery_id, "status": DeliveryStatus.GIVEN_UP, "error": error}
    retry_at = done + backoff(delivery.attempts)
    mine.update(status=DeliveryStatus.FAILED, next_attempt_at=retry_at, last_error=error, updated_at=done)
    enqueue(delivery_id, run_after=retry_at)
    return {
        "delivery": delivery_id,
        "status": DeliveryStatus.FAILED,
        "error": error,
        "retry_at": retry_at.isoformat(),
    }


def requeue_stale(now: dt.datetime | None = None) -> int:
    """Queue again the open deliveries whose attempt is overdue, e.g. after a worker died or an
    enqueue failed. For the worker's periodic sweep; returns how many were queued."""
    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(status__in=OPEN, next_attempt_at__lte=now - STALE).values_list(
            "pk", flat=True
        )
    )
    for delivery_id in ids:
        enqueue(delivery_id)
    return len(ids)
