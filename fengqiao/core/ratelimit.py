"""Rate limits on what anonymous callers reach (the portal, tracking, rating, Open311, agreement
checks), per address, counted in the database.

The rate-limit libraries need a shared cache with an atomic increment (memcached or Redis); the
embedded deployment has neither, and the database is shared by every process anyway: a window's
count is one row, moved with a conditional ``UPDATE … SET hits = hits + 1`` (docs/adr/0006).
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from fengqiao.core.models import RateWindow


@dataclass(frozen=True)
class Limit:
    name: str
    prefixes: tuple[str, ...]
    methods: frozenset[str]
    per_minute: int


def limits() -> list[Limit]:
    """Reports are written, the rest is read: each group has its own budget per address."""
    writes, every = frozenset({"POST"}), frozenset({"GET", "HEAD", "POST"})
    reports = ("/report/", "/open311/v2/requests.")
    public = ("/track/", "/open311/", "/verify/", "/report/", "/places/")
    return [
        Limit("report", reports, writes, settings.ANONYMOUS_REPORTS_PER_MINUTE),
        Limit("public", public, every, settings.ANONYMOUS_READS_PER_MINUTE),
    ]


def hit(key: str, per_minute: int, now: dt.datetime | None = None, *, cost: int = 1) -> bool:
    """Count one request (or ``cost`` of them) under ``key`` in the current minute; whether it is
    within the limit."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    counted = RateWindow.objects.filter(key=key, window=window)
    with transaction.atomic():
        if not counted.update(hits=F("hits") + cost):
            try:
                with transaction.atomic():
                    RateWindow.objects.create(key=key, window=window, hits=cost)
                return per_minute >= cost
            except IntegrityError:  # another process opened the window first
                counted.update(hits=F("hits") + cost)
        return counted.values_list("hits", flat=True).get() <= per_minute


def address_key(limit_name: str, address: str | None) -> str:
    return f"{limit_name}:{address or ''}"


def charge_public(address: str | None, cost: int) -> None:
    """Spend ``cost`` requests of an address's public budget at once: a wrong answer to a check
    anyone may try (a phone's last digits) costs more than a read, so guessing runs out soon."""
    hit(address_key("public", address), settings.ANONYMOUS_READS_PER_MINUTE, cost=cost)


def forget_old_windows(now: dt.datetime | None = None) -> int:
    """The periodic clean-up: windows more than an hour old count for nothing."""
    cutoff = (now or timezone.now()) - dt.timedelta(hours=1)
    return RateWindow.objects.filter(window__lt=cutoff).delete()[0]


def refused(request) -> Limit | None:
    """The limit an anonymous request goes over, if any (each group it falls in is counted)."""
    if request.user.is_authenticated or request.headers.get("Authorization"):
        return None
    over = None
    for limit in limits():
        if request.method in limit.methods and request.path.startswith(limit.prefixes):
            key = address_key(limit.name, request.META.get("REMOTE_ADDR", ""))
            if not hit(key, limit.per_minute) and over is None:
                over = limit
    return over
