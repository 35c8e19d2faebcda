"""Reference data kept per process until its version moves (core.refcache)."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from fengqiao.core.models import CalendarDay, ReferenceVersion
from fengqiao.core.workcalendar import CALENDAR_DAYS

NATIONAL_DAY = dt.date(2026, 10, 1)


def reads(reference) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as queries:
        value = reference.get()
    return value, len(queries)


@pytest.mark.django_db
def test_the_data_is_read_once_until_it_changes():
    # given a calendar written through the ORM
    CalendarDay.objects.create(date=NATIONAL_DAY, working=False, name="国庆节")
    first, _ = reads(CALENDAR_DAYS)
    # when it is read again, then only its version is asked for
    again, queries = reads(CALENDAR_DAYS)
    assert again == first == {NATIONAL_DAY: False}
    assert queries == 1
    # when a day is added, then the next read sees it
    CalendarDay.objects.create(date=dt.date(2026, 10, 10), working=True, name="调休")
    assert CALENDAR_DAYS.get() == {NATIONAL_DAY: False, dt.date(2026, 10, 10): True}
    # and a deletion too
    CalendarDay.objects.filter(date=NATIONAL_DAY).get().delete()
    assert CALENDAR_DAYS.get() == {dt.date(2026, 10, 10): True}


@pytest.mark.django_db
def test_a_change_by_another_process_is_seen():
    CalendarDay.objects.create(date=NATIONAL_DAY, working=False)
    assert CALENDAR_DAYS.get() == {NATIONAL_DAY: False}
    # when another process writes behind this one's back and moves the version, as its bump() does
    CalendarDay.objects.filter(date=NATIONAL_DAY).update(working=True)
    assert CALENDAR_DAYS.get() == {NATIONAL_DAY: False}  # nothing told this process yet
    ReferenceVersion.objects.filter(name="calendar_days").update(token="moved-by-another-process")
    # then this process reads the data again
    assert CALENDAR_DAYS.get() == {NATIONAL_DAY: True}


@pytest.mark.django_db
def test_data_seen_inside_a_rolled_back_transaction_is_not_kept():
    CalendarDay.objects.create(date=NATIONAL_DAY, working=False)
    assert CALENDAR_DAYS.get() == {NATIONAL_DAY: False}
    # when a change is read inside a transaction that then rolls back
    with pytest.raises(RuntimeError), transaction.atomic():
        CalendarDay.objects.create(date=dt.date(2026, 10, 2), working=False)
        assert dt.date(2026, 10, 2) in CALENDAR_DAYS.get()
        raise RuntimeError("rolled back")
    # then the next read does not answer from it
    assert CALENDAR_DAYS.get() == {NATIONAL_DAY: False}
