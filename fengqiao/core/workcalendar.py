"""The working calendar: which days are working days, and deadlines counted in working hours.

Monday to Friday are working days, except China's official public holidays, and the weekend days
the State Council makes working days (调休) are working days too: both as the ``chinese-calendar``
package knows them. The setting ``FENGQIAO_HOLIDAYS`` adds holidays, and a
:class:`~fengqiao.core.models.CalendarDay` (kept in the admin) has the last word on its date.
Working hours are the setting ``FENGQIAO_WORKING_HOURS``: (start, end) pairs, by default
08:30–12:00 and 13:30–17:30.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar

import chinese_calendar
from django.conf import settings
from django.utils import timezone

from fengqiao.core.refcache import Reference

DEFAULT_WORKING_HOURS = (("08:30", "12:00"), ("13:30", "17:30"))


def working_periods() -> list[tuple[dt.time, dt.time]]:
    raw = getattr(settings, "FENGQIAO_WORKING_HOURS", None) or DEFAULT_WORKING_HOURS
    periods = [(dt.time.fromisoformat(start), dt.time.fromisoformat(end)) for start, end in raw]
    if any(start >= end for start, end in periods) or periods != sorted(periods):
        raise ValueError(f"FENGQIAO_WORKING_HOURS must be ordered (start, end) pairs: {raw!r}")
    return periods


class Calendar:
    """The exceptions between two dates, read once; cheap to ask day after day."""

    def __init__(self, exceptions: dict[dt.date, bool] | None = None):
        self.exceptions = exceptions if exceptions is not None else _load_exceptions()
        self.periods = working_periods()

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        current = start
        while days > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                days -= 1
        return current

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` of working time after ``start`` (an aware datetime)."""
        tz = timezone.get_current_timezone()
        local = timezone.localtime(start, tz)
        remaining = dt.timedelta(hours=hours)
        day = local.date()
        for _ in range(3660):  # ten years of days: a calendar without working days is a mistake
            if self.is_working_day(day):
                for begin, end in self.periods:
                    period_start = dt.datetime.combine(day, begin, tzinfo=local.tzinfo)
                    period_end = dt.datetime.combine(day, end, tzinfo=local.tzinfo)
                    if period_end <= local:
                        continue
                    period_start = max(period_start, local)
                    available = period_end - period_start
                    if remaining <= available:
                        return period_start + remaining
                    remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("the working calendar has no working days ahead")


def _calendar_days() -> dict[dt.date, bool]:
    from fengqiao.core.models import CalendarDay

    return dict(CalendarDay.objects.values_list("date", "working"))


# Every deadline set reads the calendar's days.
CALENDAR_DAYS = Reference("calendar_days", _calendar_days, models=("core.CalendarDay",))


# The official calendar: holidays (weekends among them) and the make-up working days.
OFFICIAL_DAYS = {
    **dict.fromkeys(chinese_calendar.holidays, False),
    **dict.fromkeys(chinese_calendar.workdays, True),
}


def _load_exceptions() -> dict[dt.date, bool]:
    """CalendarDay rows over the setting FENGQIAO_HOLIDAYS over the official calendar."""
    configured = getattr(settings, "FENGQIAO_HOLIDAYS", ()) or ()
    exceptions = dict(OFFICIAL_DAYS)
    exceptions.update(
        (v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v)), False) for v in configured
    )
    exceptions.update(CALENDAR_DAYS.get())
    return exceptions


_PINNED: ContextVar["Calendar | None"] = ContextVar("fengqiao_calendar", default=None)


def calendar() -> Calendar:
    return _PINNED.get() or Calendar()


@contextlib.contextmanager
def pinned() -> Iterator[Calendar]:
    """The calendar read once for everything inside (a bulk load's thousands of deadlines),
    rather than its version looked up for each deadline."""
    token = _PINNED.set(Calendar())
    try:
        yield _PINNED.get() or Calendar()
    finally:
        _PINNED.reset(token)


def deadline(start: dt.datetime, hours: float, *, working: bool) -> dt.datetime:
    """``hours`` after ``start``: working hours on the calendar, or clock hours (emergencies)."""
    if not working:
        return start + dt.timedelta(hours=hours)
    return calendar().add_working_hours(start, hours)
