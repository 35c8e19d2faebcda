"""Weekly trends: the Poisson control limit against hand-computed values, the seasonal baseline
from the same weeks a year earlier, and a week beyond its limit flagged the same for a station
(read off the rollups) and a district (counted from the records)."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.analytics.trends import baseline, poisson_cdf, trends, unusual, upper_limit

TZ = timezone.get_current_timezone()


def at(year, month, day, hour=10):
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def test_the_poisson_limit_is_the_hand_computed_one():
    # mean 1: P(X ≤ 4) = e⁻¹(1 + 1 + 1/2 + 1/6 + 1/24) = 0.99634 < 0.999,
    #         P(X ≤ 5) = 0.99634 + e⁻¹/120 = 0.99941 ≥ 0.999, so the limit is 5.
    assert poisson_cdf(4, 1.0) == pytest.approx(0.996340, abs=1e-6)
    assert poisson_cdf(5, 1.0) == pytest.approx(0.999406, abs=1e-6)
    assert upper_limit(1.0) == 5
    # mean 2: P(X ≤ 7) = 0.99890, P(X ≤ 8) = 0.99976: the limit is 8.
    assert upper_limit(2.0) == 8
    # mean 0 is taken as 0.5 a week: P(X ≤ 3) = 0.99825, P(X ≤ 4) = 0.99983: the limit is 4.
    assert upper_limit(0.0) == upper_limit(0.5) == 4
    # mean 20: P(X ≤ 34) = 0.99851, P(X ≤ 35) = 0.99920: the limit is 35.
    assert upper_limit(20.0) == 35


def test_the_baseline_is_the_same_season_a_year_earlier_else_the_weeks_before():
    week = dt.date(2026, 11, 16)
    a_year = week - dt.timedelta(weeks=52)
    counts = {a_year - dt.timedelta(weeks=1): 1, a_year: 2, a_year + dt.timedelta(weeks=1): 6, week: 40}
    mean, basis = baseline(counts, week, covered_from=a_year - dt.timedelta(weeks=1))
    assert (mean, basis) == (3.0, "seasonal")
    # Records from only half a year back: the eight weeks before, no season.
    recent = {week - dt.timedelta(weeks=k): k for k in range(1, 9)}
    mean, basis = baseline(recent, week, covered_from=week - dt.timedelta(weeks=26))
    assert (mean, basis) == (4.5, "recent")
    assert baseline({}, week, covered_from=week - dt.timedelta(weeks=2)) == (None, "")


@pytest.mark.django_db
def test_a_week_beyond_its_limit_is_unusual_for_a_station_and_a_district(personas, report):
    p, t = personas, personas.territory
    # A year earlier, the same three weeks: 1, 2 and 0 burglaries — a baseline of 1 a week.
    report("020111", at=at(2025, 11, 11))
    report("020111", at=at(2025, 11, 18))
    report("020111", at=at(2025, 11, 20))
    # This year: none the week before, six in the week of 16 November (limit 5).
    for day in (16, 17, 17, 19, 20, 22):
        report("020111", at=at(2026, 11, day))

    end = dt.date(2026, 11, 22)
    node, station = trends(p.station, unit=t.station.path, end=end, weeks=4)
    _node, district = trends(p.station, unit=t.district_a.path, end=end, weeks=4)
    for found in (station, district):
        by_key = {tr.key: tr for tr in found}
        burglary = by_key["events.burglary"]
        assert [w.start for w in burglary.weeks][-1] == dt.date(2026, 11, 16)
        assert [w.count for w in burglary.weeks] == [0, 0, 0, 6]
        last = burglary.last
        assert (last.baseline, last.basis, last.limit, last.unusual) == (1.0, "seasonal", 5, True)
        assert not burglary.weeks[-2].unusual
        assert by_key["events.theft"].last.unusual  # the group the burglaries belong to
        assert not by_key["events.homicide"].last.unusual
        category = by_key["category:02"]
        assert category.kind == "category" and category.last.count == 6
        flagged = [tr.key for tr, _week in unusual(found)]
        assert "events.burglary" in flagged and "events.fraud" not in flagged
    assert node.path == t.station.path
