"""The command room: every figure on the dashboard is the count of the records its link opens
(for a station and the city, read off the rollups, and for a district, counted directly); the
rollups follow every change; rates keep their numerator and denominator and are greyed below the
minimum; a station cannot open another station's figures (404), a grid worker not the page (403)."""

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from fengqiao.analytics import rollups
from fengqiao.analytics.dashboard import dashboard
from fengqiao.analytics.models import DailyCount, MonthlyCount
from fengqiao.analytics.selectors import directives_for
from fengqiao.disputes.selectors import DisputeFilter, disputes_for
from fengqiao.events.actions import solve_event
from fengqiao.events.selectors import EventFilter, events_for
from fengqiao.outreach import selectors as outreach
from fengqiao.selfservice.selectors import certificates_for
from tests.fixtures.matrix import PERSONAS, VISIBLE
from tests.patrols.lists import prevention_count

pytestmark = pytest.mark.django_db

TZ = timezone.get_current_timezone()
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
IN_B = {"lon": 106.115, "lat": 37.905}
IN_C = {"lon": 106.005, "lat": 38.005}


def at(year, month, day, hour=10):
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


@pytest.fixture
def story(personas, report, register):
    """Criminal cases in station ps01 (grid A; grid B only in October), a year earlier, the month
    before, one in the other county; a social event, a 110 burglary, a dispute."""
    p = personas
    s = {}
    s["burglary1"] = report("020111", title="入室盗窃案", at=at(2026, 11, 3))
    s["burglary2"] = report("020111", title="入室盗窃案", at=at(2026, 11, 20))
    s["robbery"] = report("020105", title="抢劫案", at=at(2026, 11, 5))
    s["fraud"] = report("020131", title="刷单返利诈骗案", fraud_type="order_brushing", at=at(2026, 11, 9))
    s["social"] = report("0401", at=at(2026, 11, 10))
    s["incident"] = report("0101", title="有人入室盗窃", crime_class="burglary", at=at(2026, 11, 11))
    s["ebike_october"] = report("020112", actor=p.grid_b, at=at(2026, 10, 15), **IN_B)
    s["burglary_october"] = report("020111", at=at(2026, 10, 2))
    for day in (4, 12, 25):
        report("020111", at=at(2025, 11, day))
    s["elsewhere"] = report("020111", actor=p.city, at=at(2026, 11, 6), **IN_C)
    s["dispute"] = register(at=at(2026, 11, 8))
    solve_event(s["burglary1"], actor=p.station, method="video", at=at(2026, 11, 25))
    return s


def linked_count(user, url: str) -> int:
    """How many records the list at ``url`` shows ``user``: the list pages' own filter."""
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query))
    if parts.path == reverse("event_list"):
        return EventFilter.from_params(params).apply(events_for(user)).count()
    if parts.path == reverse("dispute_list"):
        return DisputeFilter.from_params(params).apply(disputes_for(user)).count()
    if parts.path == reverse("directive_list"):
        return directives_for(user, params).count()
    if (counted := prevention_count(user, url)) is not None:
        return counted
    outreach_lists = {reverse(f"outreach_{kind}"): kind for kind in outreach.LISTS}
    if parts.path in outreach_lists:
        return outreach.listed(outreach_lists[parts.path], user, params).count()
    if parts.path == reverse("certificate_list"):
        return certificates_for(user, params).count()
    raise AssertionError(f"no list behind {url}")


def assert_figures_match_their_lists(user, result):
    checked = 0
    for figure in result.figures.values():
        if figure.rate or figure.section == "registry" or not figure.url:
            continue
        assert linked_count(user, figure.url) == figure.value, figure.name
        checked += 1
    assert checked >= 14


def test_every_figure_is_the_count_of_its_list_for_a_station_and_the_city(personas, story, client):
    p, t = personas, personas.territory
    station = dashboard(p.station, unit=t.station.path, start=NOVEMBER[0], end=NOVEMBER[1])
    city = dashboard(p.city, unit=t.city.path, start=NOVEMBER[0], end=NOVEMBER[1])
    assert station.from_rollups and city.from_rollups
    assert_figures_match_their_lists(p.station, station)
    assert_figures_match_their_lists(p.city, city)

    f = station.figures
    assert f["events.criminal"].value == 4  # two burglaries, a robbery, a fraud (not the 110 incident)
    assert city.figures["events.criminal"].value == 5  # and the other county's burglary
    assert f["events.burglary"].value == 2 and f["events.burglary"].last_year == 3
    assert f["events.burglary"].yoy == pytest.approx(-1 / 3)
    assert f["events.burglary"].previous == 1 and f["events.burglary"].mom == pytest.approx(1.0)
    assert f["events.serious_violent"].value == 1  # the robbery
    assert f["events.two_robberies"].value == 1
    assert f["events.theft"].value == 2 and f["events.theft"].previous == 2  # + October's e-bike
    assert f["events.fraud"].value == 1
    assert f["events.criminal_incidents"].value == 1
    assert f["events.solved_by_video"].value == 1
    solve = f["events.solve_rate"]
    assert (solve.numerator, solve.denominator) == (1, 4) and solve.value == pytest.approx(0.25)
    assert f["disputes.found"].value == 1
    # Village A had cases in November, village B only in October.
    share = f["analytics.no_crime_share"]
    assert (share.numerator, share.denominator) == (1, 2)
    assert share.previous == 0.0

    # A district below the station is counted from the records: the same figures.
    district = dashboard(p.station, unit=t.district_a.path, start=NOVEMBER[0], end=NOVEMBER[1])
    assert not district.from_rollups
    assert_figures_match_their_lists(p.station, district)
    assert district.figures["events.criminal"].value == 4

    # The links open for the user.
    client.force_login(p.station)
    assert client.get(f["events.burglary"].url).status_code == 200


def test_rollups_follow_each_change_and_equal_a_rebuild(personas, story):
    p, t = personas, personas.territory
    before = dashboard(p.station, unit=t.station.path, start=NOVEMBER[0], end=NOVEMBER[1])
    solve_event(story["robbery"], actor=p.station, method="on_scene", at=at(2026, 11, 28))
    after = dashboard(p.station, unit=t.station.path, start=NOVEMBER[0], end=NOVEMBER[1])
    assert after.figures["events.solved"].value == before.figures["events.solved"].value + 1
    kept = set(DailyCount.objects.values_list("indicator", "path", "day", "value"))
    months = set(MonthlyCount.objects.values_list("indicator", "path", "month", "value"))
    rollups.rebuild()
    assert set(DailyCount.objects.values_list("indicator", "path", "day", "value")) == kept
    assert set(MonthlyCount.objects.values_list("indicator", "path", "month", "value")) == months
    assert ("events.burglary", t.station.path, dt.date(2026, 11, 1), 2) in months
    assert ("events.criminal", t.station.path, dt.date(2026, 11, 3), 1) in kept


def test_a_rate_from_fewer_cases_than_the_minimum_is_greyed(personas, story, client, settings):
    p, t = personas, personas.territory
    client.force_login(p.station)
    url = f"{reverse('command')}?unit={t.station.path}&start=2026-11-01&end=2026-11-30"
    settings.RATE_MIN_CASES = 5
    figure = dashboard(p.station, unit=t.station.path, start=NOVEMBER[0], end=NOVEMBER[1]).figures
    assert not figure["events.solve_rate"].reliable  # 4 criminal cases
    page = client.get(url).content.decode()
    assert 'class="command-figure unreliable" data-figure="events.solve_rate"' in page
    assert "1 / " in page and "4</p>" in page  # the numerator and denominator are shown
    settings.RATE_MIN_CASES = 4
    page = client.get(url).content.decode()
    assert 'class="command-figure" data-figure="events.solve_rate"' in page


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_command_room_is_scoped(personas, persona, client):
    """Stations and the city open the figures of the units in their scope and get 404 for the
    others; the grid workers, the officer and residents do not get the page (403)."""
    t = personas.territory
    user = getattr(personas, persona)
    client.force_login(user)
    places = {"A": t.district_a, "B": t.district_b, "C": t.district_c}
    commanding = persona in ("station", "city")
    for place, unit in places.items():
        for name in ("command", "command_wall"):
            status = client.get(reverse(name), {"unit": unit.path}).status_code
            if not commanding:
                assert status == 403, (persona, place)
            elif place in VISIBLE[persona]:
                assert status == 200, (persona, place)
            else:
                assert status == 404, (persona, place)


def test_the_pages_draw_figures_links_and_the_wall_refreshes(personas, story, client):
    client.force_login(personas.city)
    page = client.get(reverse("command"), {"start": "2026-11-01", "end": "2026-11-30"})
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-figure="events.criminal"' in body and "command-chart-data" in body
    assert "<script>" not in body.replace('<script src="', "")  # no inline script: the CSP
    wall = client.get(reverse("command_wall"), {"start": "2026-11-01", "end": "2026-11-30"})
    assert wall.status_code == 200
    assert 'data-refresh-seconds="60"' in wall.content.decode()


def test_a_bad_period_is_told_in_chinese_and_counts_nothing(personas, client):
    client.force_login(personas.station)
    response = client.get(reverse("command"), {"start": "2026-11-30", "end": "2026-11-01"})
    assert response.status_code == 400
    assert "开始日期晚于结束日期" in response.content.decode()
    assert not DailyCount.objects.exists()


@pytest.mark.parametrize(
    "start, end",
    [
        (dt.date(2026, 10, 1), dt.date(2026, 11, 20)),  # a whole month and the days after it
        (dt.date(2026, 10, 10), dt.date(2026, 11, 5)),  # days on either side, no whole month
        (dt.date(2025, 11, 3), dt.date(2026, 11, 28)),  # days, eleven whole months, days
    ],
)
def test_periods_of_whole_months_and_odd_days_read_the_rollups_right(personas, story, start, end):
    p, t = personas, personas.territory
    result = dashboard(p.city, unit=t.city.path, start=start, end=end)
    assert result.from_rollups
    assert_figures_match_their_lists(p.city, result)
    for figure in result.figures.values():
        if figure.url and not figure.rate and figure.section != "registry":
            previous = urlsplit(figure.url)
            params = dict(parse_qsl(previous.query))
            params["opened_from"] = result.previous.start.isoformat()
            params["opened_to"] = result.previous.end.isoformat()
            if previous.path == reverse("event_list"):
                counted = EventFilter.from_params(params).apply(events_for(p.city)).count()
                assert counted == figure.previous, figure.name
