"""Collection statistics: counts per period and jurisdiction, the same period a year earlier, the
year-on-year change, scoping per persona, and a fixed number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fengqiao.registry.stats import collection_statistics, collection_totals, year_on_year
from tests.fixtures.registry import make_address, make_house, make_organisation, make_person

pytestmark = pytest.mark.django_db

D = dt.date


def collect(grid, day, *, people=0, houses=0, organisations=0, retired=False):
    """Records of each kind collected in ``grid`` on ``day``."""
    retired_at = timezone.now() if retired else None
    for _ in range(people):
        make_person(make_address(grid), collected_at=day, retired_at=retired_at)
    for _ in range(houses):
        make_house(make_address(grid), collected_at=day, retired_at=retired_at)
    for _ in range(organisations):
        make_organisation(make_address(grid), collected_at=day, retired_at=retired_at)


# Node paths of the test territory.
LT = "640300/640302"  # county 640302
QT = "640300/640381"  # county 640381
PS = f"{LT}/ps01"
D1, D2 = f"{PS}/d01", f"{PS}/d02"
GA, GB = f"{D1}/640302100201001", f"{D2}/640302100202001"


def table(rows):
    """{(node path, period label): (people, houses, organisations, people a year earlier, …)}"""
    return {
        (r.path, r.period_label): (
            r.people,
            r.houses,
            r.organisations,
            r.people_last_year,
            r.houses_last_year,
            r.organisations_last_year,
        )
        for r in rows
    }


@pytest.fixture
def collected(personas):
    """March and June 2025 and the same months of 2024, in grids A, B (county 640302) and C (640381)."""
    t = personas.territory
    collect(t.grid_a, D(2025, 3, 3), people=3, houses=1, organisations=1)
    collect(t.grid_a, D(2025, 3, 31), people=1)
    collect(t.grid_a, D(2024, 3, 15), people=2, organisations=1)
    collect(t.grid_a, D(2025, 6, 1), houses=2)
    collect(t.grid_b, D(2025, 3, 10), people=1)
    collect(t.grid_b, D(2024, 3, 10), people=1, houses=1)
    collect(t.grid_c, D(2025, 3, 10), people=5)
    # not counted: retired, or outside the periods asked for
    collect(t.grid_a, D(2025, 3, 5), people=4, retired=True)
    collect(t.grid_a, D(2025, 4, 1), people=1)
    return personas


def test_counts_per_county_and_month_with_the_same_month_a_year_earlier(collected):
    # given records collected in March 2024 and 2025 across two counties
    # when the city asks for March 2025 by county
    rows = collection_statistics(collected.city, period="month", start=D(2025, 3, 1), end=D(2025, 3, 31))
    # then each county has its counts, the same month of 2024, and the change
    assert table(rows) == {
        (LT, "2025-03"): (5, 1, 1, 3, 1, 1),
        (QT, "2025-03"): (5, 0, 0, 0, 0, 0),
    }
    lt = next(r for r in rows if r.code == "640302")
    assert lt.people_yoy == pytest.approx((5 - 3) / 3)
    assert lt.houses_yoy == 0.0 and lt.organisations_yoy == 0.0
    qt = next(r for r in rows if r.code == "640381")
    assert qt.people_yoy is None  # nothing a year earlier to compare with
    assert qt.name == "青铜峡市公安局" and qt.level == "county" and qt.complete


def test_every_node_and_every_period_is_listed_with_zeros(collected):
    # when the city asks for March to June 2025 by grid
    rows = collection_statistics(
        collected.city, period="month", start=D(2025, 3, 15), end=D(2025, 6, 2), by="grid"
    )
    t = collected.territory
    # then each of the three grids has four months, in order, zeros included
    assert [(r.code, r.period) for r in rows] == [
        (grid.code, D(2025, month, 1))
        for grid in sorted((t.grid_a, t.grid_b, t.grid_c), key=lambda g: g.scope_path)
        for month in (3, 4, 5, 6)
    ]
    counts = table(rows)
    assert counts[(GA, "2025-03")] == (4, 1, 1, 2, 0, 1)
    assert counts[(GA, "2025-04")] == (1, 0, 0, 0, 0, 0)
    assert counts[(GA, "2025-05")] == (0, 0, 0, 0, 0, 0)
    assert counts[(GA, "2025-06")] == (0, 2, 0, 0, 0, 0)
    assert counts[(GB, "2025-03")] == (1, 0, 0, 1, 1, 0)


def test_quarters_and_years(collected):
    quarters = table(
        collection_statistics(
            collected.city, period="quarter", start=D(2025, 2, 1), end=D(2025, 4, 1), by="district"
        )
    )
    assert quarters[(D1, "2025Q1")] == (4, 1, 1, 2, 0, 1)
    assert quarters[(D1, "2025Q2")] == (1, 2, 0, 0, 0, 0)
    assert quarters[(D2, "2025Q1")] == (1, 0, 0, 1, 1, 0)
    assert quarters[(f"{QT}/ps01/d01", "2025Q1")] == (5, 0, 0, 0, 0, 0)
    years = table(
        collection_statistics(collected.city, period="year", start=D(2025, 6, 1), end=D(2025, 6, 1))
    )
    assert years == {(LT, "2025"): (6, 3, 1, 3, 1, 1), (QT, "2025"): (5, 0, 0, 0, 0, 0)}


@pytest.mark.parametrize(
    ("persona", "by", "expected"),
    [
        # a grid worker sees their own grid only
        ("grid_a", "grid", {(GA, "2025-03"): (4, 1, 1, 2, 0, 1)}),
        ("grid_b", "grid", {(GB, "2025-03"): (1, 0, 0, 1, 1, 0)}),
        # the officer of district d01 sees d01; the station above counts only what the officer sees
        ("officer", "district", {(D1, "2025-03"): (4, 1, 1, 2, 0, 1)}),
        ("officer", "station", {(PS, "2025-03"): (4, 1, 1, 2, 0, 1)}),
        # the station chief sees both districts, and not the other county's station
        ("station", "district", {(D1, "2025-03"): (4, 1, 1, 2, 0, 1), (D2, "2025-03"): (1, 0, 0, 1, 1, 0)}),
        ("station", "station", {(PS, "2025-03"): (5, 1, 1, 3, 1, 1)}),
        # a resident sees nothing
        ("resident", "county", {}),
    ],
)
def test_scoped_per_persona(collected, persona, by, expected):
    # when a persona asks for March 2025
    rows = collection_statistics(
        getattr(collected, persona), period="month", start=D(2025, 3, 1), end=D(2025, 3, 31), by=by
    )
    # then only what is in their scope is listed and counted
    assert table(rows) == expected


def test_a_node_above_the_posting_is_marked_incomplete(collected):
    rows = collection_statistics(
        collected.officer, period="month", start=D(2025, 3, 1), end=D(2025, 3, 1), by="county"
    )
    assert [(r.code, r.complete) for r in rows] == [("640302", False)]
    assert rows[0].people == 4  # the officer's district only
    own = collection_statistics(
        collected.officer, period="month", start=D(2025, 3, 1), end=D(2025, 3, 1), by="district"
    )
    assert [(r.code, r.complete) for r in own] == [("d01", True)]


def test_a_fixed_number_of_queries_whatever_the_data(personas):
    # given a user whose postings are already loaded
    t = personas.territory
    city = personas.city
    city.scope_paths()

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            collection_statistics(city, period="month", start=D(2024, 1, 1), end=D(2025, 12, 31), by="grid")
        return len(ctx.captured_queries)

    # when the statistics are asked for with few and with many records in many periods
    few = queries()
    for month in range(1, 13):
        collect(t.grid_a, D(2025, month, 2), people=2, houses=1)
        collect(t.grid_b, D(2024, month, 3), people=1, organisations=1)
        collect(t.grid_c, D(2025, month, 4), houses=1)
    many = queries()
    # then the number of queries is the same: the nodes, and one GROUP BY per kind of record
    assert few == many == 4


def test_totals_for_the_dashboard(collected):
    totals = collection_totals(collected.city, start=D(2025, 1, 1), end=D(2025, 3, 31))
    assert (totals.current.people, totals.current.houses, totals.current.organisations) == (10, 1, 1)
    assert (totals.last_year.people, totals.last_year.houses, totals.last_year.organisations) == (3, 1, 1)
    assert totals.people_yoy == pytest.approx(7 / 3)
    mine = collection_totals(collected.grid_b, start=D(2025, 1, 1), end=D(2025, 3, 31))
    assert (mine.current.people, mine.last_year.people, mine.last_year.houses) == (1, 1, 1)
    assert collection_totals(collected.resident, start=D(2025, 1, 1), end=D(2025, 3, 31)).current.people == 0


def test_year_on_year_is_a_ratio_of_the_change():
    assert year_on_year(209, 100) == pytest.approx(1.09)
    assert year_on_year(112, 100) == pytest.approx(0.12)
    assert year_on_year(0, 5) == -1.0
    assert year_on_year(5, 0) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": "week"}, "period must be one of month, quarter, year"),
        ({"by": "village"}, "by must be one of county, station, district, grid"),
        ({"start": D(2025, 5, 1), "end": D(2025, 4, 1)}, "after the end"),
    ],
)
def test_bad_arguments_are_named(personas, kwargs, message):
    args = {"period": "month", "start": D(2025, 1, 1), "end": D(2025, 2, 1), "by": "county", **kwargs}
    with pytest.raises(ValueError, match=message):
        collection_statistics(personas.city, **args)
