"""Figures shown fairly (core.rates through web.rates): a rate from fewer cases than the minimum
shows its count, greyed, and is left out of the ranking; a change is red or green by the
figure's direction, written once in its definition; on a phone each number carries its label
(data-label, no JavaScript); a city-wide registry table folds by county, the user's own open."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone, translation

from fengqiao.core import casework
from fengqiao.core.rates import HIGHER, LOWER, NEUTRAL, Rate, judged
from fengqiao.events import indicators as ind
from fengqiao.web.events.stats import COLUMNS, _cell
from fengqiao.web.rates import rate_cell
from tests.fixtures.registry import make_address, make_person

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
CSS = Path(__file__).resolve().parents[2] / "fengqiao" / "web" / "static" / "web" / "app.css"


def at(day, hour=9):
    return dt.datetime(2026, 11, day, hour, tzinfo=TZ)


def test_a_change_is_judged_by_the_figures_direction():
    assert judged(0.05, HIGHER) == "better" and judged(-0.05, HIGHER) == "worse"
    assert judged(0.05, LOWER) == "worse" and judged(-0.05, LOWER) == "better"
    assert judged(0.05, NEUTRAL) == "" and judged(0, LOWER) == "" and judged(None, HIGHER) == ""
    # and the directions are the indicators' own: rework and overdue are lower-is-better
    assert ind.RATES["rework_rate"][3] == LOWER and ind.RATES["closure_rate"][3] == HIGHER
    counts = {d.name: d.better for d in ind._counts(timezone.now())}
    assert counts["overdue"] == LOWER and counts["received"] == NEUTRAL and counts["closed"] == HIGHER
    # worse is red, better green
    css = CSS.read_text(encoding="utf-8")
    assert ".worse { color: var(--danger); }" in css and ".better { color: var(--ok); }" in css


def test_a_rising_rework_rate_is_shown_worse_and_a_rising_closure_rate_better(settings):
    settings.RATE_MIN_CASES = 20

    def figure(name, better, now, then):
        return ind.Figure(
            name, name, now.value, then.value, then.value, {}, rate=True, better=better, share=now
        )

    rework = _cell(figure("rework_rate", LOWER, Rate(9, 30), Rate(3, 30)), "")
    closure = _cell(figure("closure_rate", HIGHER, Rate(27, 30), Rate(21, 30)), "")
    assert rework["yoy"]["trend"] == "worse" and rework["yoy"]["text"].startswith("+20.0")
    assert closure["yoy"]["trend"] == "better"
    # a rate from too few cases is not compared with another period at all
    few = _cell(figure("rework_rate", LOWER, Rate(2, 3), Rate(0, 3)), "")
    assert few["yoy"]["text"] == "—" and few["rate"]["reliable"] is False


def test_a_rate_from_too_few_cases_shows_its_count_greyed(settings):
    settings.RATE_MIN_CASES = 20
    with translation.override("zh-hans"):
        assert rate_cell(Rate(3, 3))["text"] == "100%（3/3）"
    with translation.override("en"):
        assert rate_cell(Rate(3, 3)) == {
            "text": "100% (3/3)",
            "title": "Fewer than 20 cases: shown, not compared or ranked.",
            "reliable": False,
        }
    reliable = rate_cell(Rate(97, 100))
    assert reliable["text"] == "97.0%" and reliable["title"] == "97/100" and reliable["reliable"]
    assert rate_cell(Rate(0, 0))["text"] == "—"


def test_the_indicators_page_greys_and_leaves_unranked_a_district_with_too_few_cases(
    client, settings, personas, report
):
    # given three filed events in district A (one closed) and one in district B, minimum three
    settings.RATE_MIN_CASES = 3
    p, t = personas, personas.territory
    for day in (2, 3, 4):
        event = casework.apply(report(at=at(day)), "file", actor=p.grid_a, version=1, at=at(day, 10))
    when = at(4, 10)
    for name in ("dispatch", "accept", "report_back", "pass"):
        when += dt.timedelta(hours=1)
        event = casework.apply(
            event,
            name,
            actor=p.city if name == "pass" else p.grid_a,
            version=event.version,
            at=when,
            note="说明",
        )
    in_b = report(at=at(5), lon=106.115, lat=37.905, actor=p.grid_b)
    casework.apply(in_b, "file", actor=p.grid_b, version=in_b.version, at=at(5, 10))
    # when the station opens its indicators for November
    client.force_login(p.station)
    response = client.get("/events/indicators/", {"start": "2026-11-01", "end": "2026-11-30"})
    html = response.content.decode()
    # then district A is ranked with its rate; district B shows 0%（0/1）greyed, unranked
    result = response.context["result"]
    assert [row.name for row in result.ranking] == [t.district_a.name]
    assert [row.name for row in result.unranked] == [t.district_b.name]
    row_b = re.search(rf'data-node="{t.district_b.code}".*?</tr>', html, re.S).group(0)
    cell = re.search(r'data-figure="closure_rate"[^>]*>(.*?)</td>', row_b, re.S).group(1)
    assert 'class="rate unreliable"' in cell and "0%（0/1）" in cell
    ranking = re.search(r'<section class="card" id="ranking">.*?</section>', html, re.S).group(0)
    assert t.district_a.name in ranking and "33.3%" in ranking
    assert "不足3件，不参与排名" in ranking and t.district_b.name in ranking
    # and every number of the table carries its label for the phone's cards
    cells = re.findall(r'<td class="num" data-figure="(\w+)" data-label="([^"]+)"', row_b)
    assert dict(cells)["closure_rate"] == "结案率" and len(cells) == len(COLUMNS)


def test_a_figure_per_10000_residents_divides_by_the_registrys_population(client, personas, report):
    # given two people recorded in grid A (district A), none in B, and one event in each
    t = personas.territory
    address = make_address(t.grid_a)
    make_person(address, name="甲")
    make_person(address, name="乙")
    report(at=at(2))
    report(at=at(3), lon=106.115, lat=37.905, actor=personas.grid_b)
    # when the station counts November
    result = ind.indicators(personas.station, start=dt.date(2026, 11, 1), end=dt.date(2026, 11, 30))
    rows = {row.name: row.figures["received_per_10k"] for row in result.rows}
    # then one event among two residents is 5,000 per 10,000; without residents there is no figure
    assert (rows[t.district_a.name].value, rows[t.district_a.name].population) == (5000.0, 2)
    assert rows[t.district_b.name].value is None
    assert result.total.figures["received_per_10k"].population == 2
    client.force_login(personas.station)
    html = client.get("/events/indicators/", {"start": "2026-11-01", "end": "2026-11-30"}).content.decode()
    assert 'title="按登记实有人口2人计，每万人的件数">5000.0<' in html


def test_a_city_wide_registry_table_folds_by_county_with_the_users_own_open(client, personas):
    t = personas.territory
    # a city user: every county folded (more than one county), each a <details>
    client.force_login(personas.city)
    html = client.get(
        "/registry/statistics/",
        {"period": "year", "start": "2026-01-01", "end": "2026-12-31", "by": "station"},
    ).content.decode()
    counties = re.findall(r'<details class="by-county" data-county="([^"]+)"( open)?>', html)
    assert len(counties) >= 2 and not any(opened for _path, opened in counties)
    assert "data-label=" in html
    # a station's chief sees their own county open
    client.force_login(personas.station)
    html = client.get(
        "/registry/statistics/", {"period": "year", "start": "2026-01-01", "end": "2026-12-31", "by": "grid"}
    ).content.decode()
    opened = re.findall(r'<details class="by-county" data-county="([^"]+)" open>', html)
    assert opened == [t.county.path]
