import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core.models import CalendarDay
from fengqiao.core.workcalendar import Calendar, deadline

pytestmark = pytest.mark.django_db

FRIDAY_4PM = timezone.make_aware(dt.datetime(2026, 9, 11, 16, 0))  # Asia/Shanghai


def local(moment):
    return timezone.localtime(moment).replace(tzinfo=None)


def test_working_hours_skip_lunch_nights_and_weekends():
    # 1.5 h left on Friday, then Monday from 08:30: 4 h = Monday 11:00.
    assert local(deadline(FRIDAY_4PM, 4, working=True)) == dt.datetime(2026, 9, 14, 11, 0)
    # Through the lunch break: Monday 11:00 + 2 h = 14:30.
    assert local(deadline(timezone.make_aware(dt.datetime(2026, 9, 14, 11)), 2, working=True)) == dt.datetime(
        2026, 9, 14, 14, 30
    )
    # Clock hours ignore the calendar.
    assert local(deadline(FRIDAY_4PM, 24, working=False)) == dt.datetime(2026, 9, 12, 16, 0)


def test_holidays_and_make_up_days_are_settable():
    CalendarDay.objects.create(date=dt.date(2026, 9, 14), working=False, name="假日")
    CalendarDay.objects.create(date=dt.date(2026, 9, 12), working=True, name="调休")
    # Saturday now works, Monday is off: Friday 16:00 + 4 h = Saturday 11:00.
    assert local(deadline(FRIDAY_4PM, 4, working=True)) == dt.datetime(2026, 9, 12, 11, 0)
    calendar = Calendar()
    assert calendar.add_working_days(dt.date(2026, 9, 11), 2) == dt.date(2026, 9, 15)


NATIONAL_DAY_EVE = timezone.make_aware(dt.datetime(2026, 9, 30, 16, 0))  # a Wednesday


def test_the_official_holidays_and_make_up_days_count_without_configuration():
    # 1.5 h on Wednesday 30 September, the National Day holiday 1-7 October, then Thursday and
    # Friday (7.5 h each) and Saturday 10 October, a make-up working day: 24 h end at its 17:30.
    assert local(deadline(NATIONAL_DAY_EVE, 24, working=True)) == dt.datetime(2026, 10, 10, 17, 30)
    calendar = Calendar()
    assert not calendar.is_working_day(dt.date(2026, 10, 5))  # a Monday of the holiday
    assert calendar.is_working_day(dt.date(2026, 9, 20))  # a make-up Sunday
    assert calendar.add_working_days(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)


def test_calendar_days_and_the_setting_override_the_official_calendar(settings):
    # given Thursday 8 October off by the setting and the make-up Saturday off in the admin
    settings.FENGQIAO_HOLIDAYS = ["2026-10-08"]
    CalendarDay.objects.create(date=dt.date(2026, 10, 10), working=False, name="不调休")
    # then 24 h from the eve run through Friday 9 and Monday 12 into Tuesday 13 October
    assert local(deadline(NATIONAL_DAY_EVE, 24, working=True)) == dt.datetime(2026, 10, 13, 17, 30)
    # and a CalendarDay makes a holiday a working day
    CalendarDay.objects.create(date=dt.date(2026, 10, 7), working=True, name="值班")
    assert Calendar().is_working_day(dt.date(2026, 10, 7))


def test_a_start_outside_hours_counts_from_the_next_period(settings):
    settings.FENGQIAO_WORKING_HOURS = [("09:00", "17:00")]
    sunday_night = timezone.make_aware(dt.datetime(2026, 9, 27, 23, 0))
    assert local(deadline(sunday_night, 8, working=True)) == dt.datetime(2026, 9, 28, 17, 0)
    settings.FENGQIAO_WORKING_HOURS = [("17:00", "09:00")]
    with pytest.raises(ValueError):
        deadline(sunday_night, 1, working=True)
