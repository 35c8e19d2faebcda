import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core.models import CalendarDay
from fengqiao.core.workcalendar import Calendar, deadline

pytestmark = pytest.mark.django_db

FRIDAY_4PM = timezone.make_aware(dt.datetime(2026, 9, 25, 16, 0))  # Asia/Shanghai


def local(moment):
    return timezone.localtime(moment).replace(tzinfo=None)


def test_working_hours_skip_lunch_nights_and_weekends():
    # 1.5 h left on Friday, then Monday from 08:30: 4 h = Monday 11:00.
    assert local(deadline(FRIDAY_4PM, 4, working=True)) == dt.datetime(2026, 9, 28, 11, 0)
    # Through the lunch break: Monday 11:00 + 2 h = 14:30.
    assert local(deadline(timezone.make_aware(dt.datetime(2026, 9, 28, 11)), 2, working=True)) == dt.datetime(
        2026, 9, 28, 14, 30
    )
    # Clock hours ignore the calendar.
    assert local(deadline(FRIDAY_4PM, 24, working=False)) == dt.datetime(2026, 9, 26, 16, 0)


def test_holidays_and_make_up_days_are_settable():
    CalendarDay.objects.create(date=dt.date(2026, 9, 28), working=False, name="假日")
    CalendarDay.objects.create(date=dt.date(2026, 9, 26), working=True, name="调休")
    # Saturday now works, Monday is off: Friday 16:00 + 4 h = Saturday 11:00.
    assert local(deadline(FRIDAY_4PM, 4, working=True)) == dt.datetime(2026, 9, 26, 11, 0)
    calendar = Calendar()
    assert calendar.add_working_days(dt.date(2026, 9, 25), 2) == dt.date(2026, 9, 29)


def test_a_start_outside_hours_counts_from_the_next_period(settings):
    settings.FENGQIAO_WORKING_HOURS = [("09:00", "17:00")]
    sunday_night = timezone.make_aware(dt.datetime(2026, 9, 27, 23, 0))
    assert local(deadline(sunday_night, 8, working=True)) == dt.datetime(2026, 9, 28, 17, 0)
    settings.FENGQIAO_WORKING_HOURS = [("17:00", "09:00")]
    with pytest.raises(ValueError):
        deadline(sunday_night, 1, working=True)
