"""The loop's indicators: events moved through the real engine, each figure held to the list of
events its link selects, 同比 and 环比, step times, scope; the page and the API."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from fengqiao.core import casework
from fengqiao.core.casework import sweep
from fengqiao.events import indicators as ind
from fengqiao.events.indicators import Period
from fengqiao.events.selectors import EventFilter, events_for

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()
NOVEMBER = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def at(month, day, hour=9, year=2026):
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


def step(event, name, actor, when, note="", data=None):
    """One move through the casework engine at a given time (the API's move has no clock to set)."""
    return casework.apply(
        event, name, actor=actor, version=event.version, note=note or "说明", data=data, at=when
    )


LOOP = ("file", "dispatch", "accept", "report_back", "pass")


def walk(event, actor, start, names=LOOP, hours=1, checker=None):
    """Take the steps one after another, ``hours`` apart, starting ``hours`` after ``start``;
    the check is passed by ``checker``, by default the city bureau (whoever reported back may not
    pass their own work)."""
    from django.contrib.auth import get_user_model

    checker = checker or get_user_model().objects.get(username="city")
    when = start
    for name in names:
        when += dt.timedelta(hours=hours)
        event = step(event, name, checker if name == "pass" else actor, when)
    return event


@pytest.fixture
def story(personas, report):
    """November 2026 in station ps01 (grid A in district d01, grid B in d02), a year earlier and
    the month before, and one event in another county."""
    p = personas
    in_b = {"lon": 106.115, "lat": 37.905, "actor": p.grid_b}
    s = {}
    # e8 (grid B) misses its limit: the sweep takes it up to district d02, where it is closed.
    s["late"] = report(at=at(11, 10), **in_b)
    sweep(at(11, 12))
    s["late"].refresh_from_db()
    s["late"] = walk(s["late"], p.station, at(11, 12))
    # grid A: on time in the grid, each step one hour
    s["plain"] = walk(report(at=at(11, 2)), p.grid_a, at(11, 2))
    # grid A: reworked once, then passed
    e = walk(report(at=at(11, 3)), p.grid_a, at(11, 3), LOOP[:4])
    e = step(e, "rework", p.officer, at(11, 3, 14), note="仍有杂物")
    e = step(e, "report_back", p.grid_a, at(11, 3, 15))
    s["reworked"] = step(e, "pass", p.officer, at(11, 3, 16))
    # grid A: escalated by the grid worker to the district, closed there
    e = step(report(at=at(11, 4)), "escalate", p.grid_a, at(11, 4, 10), note="需要民警")
    s["escalated"] = walk(e, p.officer, at(11, 4, 10))
    # grid A: rejected; left waiting; merged as a duplicate of the waiting one
    s["rejected"] = step(report(at=at(11, 5)), "reject", p.grid_a, at(11, 5, 10), note="非本辖区")
    s["waiting"] = report(at=at(11, 6))
    s["merged"] = step(
        report(at=at(11, 6, 10)), "merge", p.grid_a, at(11, 6, 11), data={"into": s["waiting"].number}
    )
    # grid A: closed, then reopened by the reporter with the tracking code
    e = walk(report(at=at(11, 9)), p.grid_a, at(11, 9))
    s["reopened"] = casework.apply(e, "reopen", actor=None, version=None, note="又堆上了", at=at(11, 11))
    # grid B: case information goes straight to the station, which closes it
    s["station"] = walk(report("02", at=at(11, 20), **in_b), p.station, at(11, 20))
    # a year earlier: two received in grid A, one closed; the month before: one received
    walk(report(at=at(11, 15, year=2025)), p.grid_a, at(11, 15, year=2025))
    report(at=at(11, 16, year=2025))
    report(at=at(10, 20))
    # another county: only the city sees it
    s["elsewhere"] = report(lon=106.005, lat=38.005, actor=p.city, at=at(11, 2))
    return s


def count_of(user, params) -> int:
    return EventFilter.from_params(params).apply(events_for(user)).count()


def assert_links_match(user, result):
    """Every figure of every row equals the number of events its link lists."""
    checked = 0
    for row in [*result.rows, result.total]:
        for figure in row.figures.values():
            if figure.rate:  # a rate lists its numerator's events, a figure per 10,000 its count's
                expected = row.figures[ind.RATES[figure.name][1]].value
            elif figure.name in ind.PER_10K:
                expected = row.figures[ind.PER_10K[figure.name][1]].value
            else:
                expected = figure.value
            assert count_of(user, figure.params) == expected, (row.path, figure.name, figure.params)
            checked += 1
    return checked


def test_each_figure_equals_the_list_behind_it(personas, story):
    # given the November story, seen by the station
    result = ind.indicators(personas.station, start=NOVEMBER.start, end=NOVEMBER.end)
    t = personas.territory
    # then the rows are the station's two districts
    assert [r.path for r in result.rows] == [t.district_a.path, t.district_b.path]
    assert result.node.path == t.station.path
    # and every figure (counts and the numerators of the rates) equals its list's length
    assert assert_links_match(personas.station, result) == 3 * (
        len(ind.COUNT_NAMES) + len(ind.RATES) + len(ind.PER_10K)
    )
    # the city sees the same through its county, plus the other county
    city = ind.indicators(personas.city, start=NOVEMBER.start, end=NOVEMBER.end)
    assert [r.path for r in city.rows] == [t.county.path, t.county2.path]
    assert city.total.figures["received"].value == 10
    assert_links_match(personas.city, city)


def test_the_figures_of_the_story(personas, story):
    result = ind.indicators(personas.station, start=NOVEMBER.start, end=NOVEMBER.end)
    f = {name: fig.value for name, fig in result.total.figures.items()}
    assert f["received"] == 9
    assert f["filed"] == 6  # not the rejected, the merged, nor the one still waiting to be filed
    assert f["closed"] == 5  # the reopened one is open again
    assert f["closed_on_time"] == 4  # the late one missed its limit
    assert f["handled"] == 6 and f["reworked"] == 1
    assert f["closed_in_grid"] == 2  # plain, reworked
    assert f["closed_in_community"] == 4  # + escalated (district d01) and late (district d02)
    assert f["escalated"] == 2 and f["reopened"] == 1
    assert f["closure_rate"] == pytest.approx(5 / 6)
    assert f["on_time_rate"] == pytest.approx(4 / 6)
    assert f["rework_rate"] == pytest.approx(1 / 6)
    assert f["grid_share"] == pytest.approx(2 / 5)
    assert f["community_share"] == pytest.approx(4 / 5)
    # by district: d01 has seven events, d02 two, the rates per district
    d01, d02 = result.rows
    assert d01.figures["received"].value == 7 and d02.figures["received"].value == 2
    assert d02.figures["closure_rate"].value == 1.0 and d02.figures["grid_share"].value == 0.0


def test_year_on_year_and_against_the_month_before(personas, story):
    result = ind.indicators(personas.station, start=NOVEMBER.start, end=NOVEMBER.end)
    assert result.last_year == Period(dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    assert result.previous == Period(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    received = result.total.figures["received"]
    assert (received.value, received.last_year, received.previous) == (9, 2, 1)
    assert received.yoy == pytest.approx((9 - 2) / 2)  # 同比 = (this − last year) / last year
    assert received.mom == pytest.approx(8.0)
    closure = result.total.figures["closure_rate"]
    # a year earlier: one filed (the other still waits to be filed) and closed → 100 %
    assert closure.last_year == 1.0
    assert closure.yoy == pytest.approx(5 / 6 - 1.0)  # rates change in points
    assert closure.previous is None and closure.mom is None  # nothing filed in October
    # the district's last year links to the same list as a count of that period would
    last_year = ind.indicators(personas.station, start=result.last_year.start, end=result.last_year.end)
    assert last_year.total.figures["received"].value == received.last_year


def test_average_time_per_step(personas, story):
    result = ind.indicators(personas.station, start=NOVEMBER.start, end=NOVEMBER.end)
    steps = {s.status: s for s in result.total.steps}
    # "filed" is left one hour after it is entered in every walk
    assert steps["filed"].hours == 1.0
    # handling: plain 1, reworked 1 + 1 (two stays), escalated 1, reopened 1, late 1, station 1
    assert steps["handling"].count == 7 and steps["handling"].hours == 1.0
    # reported: plain 1, reworked 1, escalated 2 (the escalation keeps the status), reopened 1,
    # station 1, late 49 (10th 09:00 to 12th 10:00), rejected 1, merged 1; the waiting one is unfinished
    assert steps["reported"].count == 8
    assert steps["reported"].hours == pytest.approx((1 + 1 + 2 + 1 + 1 + 49 + 1 + 1) / 8, abs=0.01)
    d02 = {s.status: s for s in result.rows[1].steps}
    assert d02["reported"].hours == pytest.approx((49 + 1) / 2, abs=0.01)


def test_a_grid_is_its_own_row_and_scope_is_enforced(personas, story):
    t = personas.territory
    grid = ind.indicators(personas.officer, unit=t.grid_a.scope_path, start=NOVEMBER.start, end=NOVEMBER.end)
    assert [r.path for r in grid.rows] == [t.grid_a.scope_path]
    assert grid.rows[0].figures["received"].value == 7
    assert [n.path for n in grid.breadcrumbs] == [t.district_a.path]
    assert_links_match(personas.officer, grid)
    # a unit outside the user's scope names the field, like a missing one
    for unit in (t.district_b.path, "640300/nowhere"):
        with pytest.raises(ValidationError) as err:
            ind.indicators(personas.officer, unit=unit)
        assert "unit" in err.value.message_dict
    with pytest.raises(PermissionDenied):
        ind.indicators(personas.resident)


def test_periods():
    march = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    assert march.previous() == Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert march.last_year() == Period(dt.date(2023, 3, 1), dt.date(2023, 3, 31))
    leap = Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert leap.last_year() == Period(dt.date(2023, 2, 1), dt.date(2023, 2, 28))
    quarter = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert quarter.previous() == Period(dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    month_to_date = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    assert month_to_date.previous() == Period(dt.date(2026, 2, 1), dt.date(2026, 2, 10))
    week = Period(dt.date(2026, 3, 9), dt.date(2026, 3, 15))
    assert week.previous() == Period(dt.date(2026, 3, 2), dt.date(2026, 3, 8))
    assert ind.default_period(dt.date(2026, 1, 15)) == Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    with pytest.raises(ValidationError) as err:
        ind.check_period(dt.date(2026, 3, 2), dt.date(2026, 3, 1))
    assert "start" in err.value.message_dict


def test_monthly_chart(personas, story):
    result = ind.indicators(personas.station, start=NOVEMBER.start, end=NOVEMBER.end)
    assert len(result.monthly) == 12 and result.monthly[-1]["label"] == "2026-11"
    november, october = result.monthly[-1], result.monthly[-2]
    assert (november["received"], november["closed"]) == (9, 5)
    assert (october["received"], october["closed"]) == (1, 0)
    assert result.monthly[0]["label"] == "2025-12"


# --- the page and the API --------------------------------------------------------------------


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_the_page(client, personas, story):
    login(client, personas.station)
    response = client.get("/events/indicators/", {"start": "2026-11-01", "end": "2026-11-30"})
    assert response.status_code == 200
    html = response.content.decode()
    t = personas.territory
    assert t.district_a.name in html and t.district_b.name in html
    assert 'id="event-chart"' in html and "echarts.min.js" in html
    # a district's name drills down; a bad unit is a form error, not a crash
    assert f"unit={t.district_a.path.replace('/', '%2F')}" in html
    response = client.get("/events/indicators/", {"unit": t.county2.path})
    assert response.status_code == 200 and "in your area" in response.content.decode()
    # residents have no indicators
    client.logout()
    login(client, personas.resident)
    assert client.get("/events/indicators/").status_code == 403


def test_the_api(client, personas, story):
    from tests.fixtures.api import ApiCaller

    api = ApiCaller(client)
    t = personas.territory
    response = api.get(
        "/api/v1/events/indicators", as_=personas.station, params={"start": "2026-11-01", "end": "2026-11-30"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["node"]["path"] == t.station.path
    assert [r["path"] for r in body["rows"]] == [t.district_a.path, t.district_b.path]
    received = body["total"]["figures"]["received"]
    assert (received["value"], received["last_year"], received["previous"]) == (9, 2, 1)
    assert received["yoy"] == pytest.approx(3.5)
    # a rate gives its counts, whether it rests on enough cases, and which way is better
    rework = body["total"]["figures"]["rework_rate"]
    assert (rework["better"], received["better"], received["numerator"]) == ("lower", "", None)
    assert rework["value"] == pytest.approx(rework["numerator"] / rework["denominator"])
    assert rework["reliable"] is (rework["denominator"] >= settings.RATE_MIN_CASES)
    for row in [*body["rows"], body["total"]]:
        for name, figure in row["figures"].items():
            if name in ind.COUNT_NAMES:
                assert count_of(personas.station, figure["params"]) == figure["value"], name
    assert {s["status"] for s in body["total"]["steps"]} >= {"reported", "handling"}
    assert len(body["monthly"]) == 12
    # out of scope: the field is named
    response = api.get("/api/v1/events/indicators", as_=personas.officer, params={"unit": t.district_b.path})
    assert response.status_code == 422 and "unit" in response.content.decode()
    assert api.get("/api/v1/events/indicators", as_=personas.resident).status_code == 403
    assert api.get("/api/v1/events/indicators").status_code == 401


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield
