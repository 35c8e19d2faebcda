import datetime as dt

import pytest

from fengqiao.core.roles import Role
from fengqiao.duty import actions
from tests.conftest import make_user

MONTH = dt.date(2026, 2, 1)  # 28 days, Monday 2 February


@pytest.fixture
def small_unit(personas):
    """Station ps01 with its chief, the officer of district d01 and three staff at the station;
    shifts of 8 and 12 hours and the rules of issue 17, scaled to a small unit."""
    t, chief = personas.territory, personas.station
    staff = [make_user(f"aux{i}", Role.AUXILIARY, unit=t.station, full_name=f"辅警{i}") for i in range(1, 4)]
    for code, name, start, hours in (("早", "早班", 8, 8), ("夜", "夜班", 20, 12), ("办", "办公班", 9, 8)):
        actions.save_shift(
            actor=chief, unit=t.station, code=code, name=name, start=dt.time(start), hours=hours
        )

    def rule(kind, value, **kw):
        return actions.save_rule(actor=chief, unit=t.station, kind=kind, value=value, **kw)

    rule("coverage", 1, area=t.station)
    rule("reception", 1, area=t.district_a, weekdays=[0, 1, 2, 3, 4], start_hour=9, end_hour=17)
    rule("rest", 12)
    rule("weekly_hours", 48)
    rule("district_days", 4)
    t.staff = staff
    return t
