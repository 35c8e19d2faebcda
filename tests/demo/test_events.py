"""The demo events: two years at the chosen rate, lives consistent with their timelines, numbers
unique and continued by the engine, every indicator meaningful, the demo accounts' inboxes."""

import datetime as dt
import itertools
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.core.casework import inbox
from fengqiao.core.models import AuditEntry, CaseCounter, TimelineEntry
from fengqiao.demo import events as plan
from fengqiao.demo.actions import DEMO_EVENTS, generate_demo_events
from fengqiao.demo.names import DemoAccount
from fengqiao.events import indicators as ind
from fengqiao.events.actions import Report, report_event
from fengqiao.events.choices import Channel, Status
from fengqiao.events.models import Category, Event
from fengqiao.events.selectors import EventFilter, events_for
from fengqiao.events.workflow import OPEN
from fengqiao.geo import locator
from fengqiao.geo.models import Grid
from tests.demo.conftest import SEED

pytestmark = pytest.mark.django_db

# 0.05 of the realistic rate on the city at scale 0.05 (174 grids): ~1,700 events over two years.
EVENTS_SCALE = 0.05
NOW = timezone.make_aware(dt.datetime(2026, 6, 17, 15, 30))
ALL = "test: inspect every demo event"


def all_events():
    return Event.objects.unscoped(reason=ALL)


@pytest.fixture
def demo_events(small_city, runner):
    return generate_demo_events(actor=runner, scale=EVENTS_SCALE, seed=SEED, now=NOW)


def test_counts_spread_and_fates(demo_events):
    grids = Grid.objects.unscoped(reason=ALL).count()
    n = all_events().count()
    # two years at 5 events a grid a year, plus the showcase grids' recent ones
    expected = plan.EVENTS_PER_GRID_YEAR * EVENTS_SCALE * grids * 2
    assert 0.85 * expected <= n <= 1.15 * expected + 100
    assert demo_events.counts["events"] == n
    assert TimelineEntry.objects.filter(case_type="event").count() == demo_events.counts["timeline"]
    # over two years up to now, a little more in the second
    first = all_events().order_by("opened_at").first().opened_at
    assert first >= NOW - dt.timedelta(days=2 * 366) and first < NOW - dt.timedelta(days=700)
    assert not all_events().filter(opened_at__gt=NOW).exists()
    year_ago = NOW - dt.timedelta(days=365)
    assert (
        all_events().filter(opened_at__gt=year_ago).count()
        > all_events().filter(opened_at__lte=year_ago).count()
    )
    # over grids and categories
    assert all_events().values("grid").distinct().count() > 0.9 * grids
    assert all_events().values("category").distinct().count() >= 15
    # most closed, and within the grid; some of everything else
    status = Counter(all_events().values_list("status", flat=True))
    assert status[Status.CLOSED] > 0.8 * n
    assert status[Status.REJECTED] and status[Status.MERGED]
    assert sum(status[s] for s in OPEN) > 0
    closed = all_events().filter(status=Status.CLOSED)
    in_grid = EventFilter(within="grid").apply(closed).count()
    assert in_grid > 0.5 * closed.count()
    assert all_events().filter(level__gt=0).exists()
    assert all_events().filter(rework_count__gt=0).exists()
    assert all_events().filter(reopen_count__gt=0).exists()
    assert all_events().filter(missed_deadlines__gt=0).exists()
    assert all_events().filter(status__in=OPEN, due_at__lte=NOW).exists()  # overdue now
    ratings = Counter(closed.exclude(rating=None).values_list("rating", flat=True))
    assert set(ratings) == {1, 2, 3, 4, 5} and ratings[5] > ratings[1]
    assert all(e.duplicate_of_id for e in all_events().filter(status=Status.MERGED))
    # long jobs run on approved extensions
    assert TimelineEntry.objects.filter(case_type="event", transition="approve_extension").exists()


def test_statuses_agree_with_the_timelines(demo_events):
    entries = defaultdict(list)
    for e in (
        TimelineEntry.objects.filter(case_type="event")
        .order_by("id")
        .values("case_id", "at", "transition", "from_status", "to_status", "holder_path", "data")
    ):
        entries[e["case_id"]].append(e)
    events = list(
        all_events().values(
            "pk", "status", "holder_path", "opened_at", "closed_at", "version", "level", "missed_deadlines",
            "rework_count", "reopen_count", "rating", "step_started_at", "due_at",
        )
    )  # fmt: skip
    for event in events:
        steps = entries[event["pk"]]
        first, last = steps[0], steps[-1]
        assert (first["transition"], first["to_status"], first["at"]) == (
            "open",
            Status.REPORTED,
            event["opened_at"],
        )
        # each step starts where the previous one ended, in time order
        for before, after in itertools.pairwise(steps):
            assert after["from_status"] == before["to_status"] and after["at"] >= before["at"]
        assert last["to_status"] == event["status"]
        assert steps[-1]["holder_path"] == event["holder_path"]
        assert event["version"] == len(steps)
        names = [s["transition"] for s in steps]
        assert names.count("rework") == event["rework_count"]
        assert names.count("reopen") == event["reopen_count"]
        assert names.count("escalate") == event["level"]
        sweeps = [s for s in steps if s["transition"] == "escalate" and s["data"].get("from")]
        assert len(sweeps) == event["missed_deadlines"]
        if event["status"] == Status.CLOSED:
            passed = [s for s in steps if s["transition"] == "pass"]
            assert event["closed_at"] == passed[-1]["at"]
        if event["status"] in OPEN:
            assert event["closed_at"] is None and event["due_at"] is not None
            assert event["due_at"] > event["step_started_at"]
        if event["rating"] is not None:
            assert names[-1] == "rate" and steps[-1]["data"] == {"rating": event["rating"]}


def test_numbers_are_unique_and_the_engine_continues_them(demo_events, runner):
    numbers = list(all_events().values_list("number", "opened_at", "scope_path"))
    assert len({n for n, _at, _path in numbers}) == len(numbers)
    assert all_events().values("tracking_code").distinct().count() == len(numbers)
    for number, opened, path in numbers[:200]:
        prefix, county, day, seq = number.split("-")
        assert prefix == "E" and county == path.split("/")[1]
        assert day == timezone.localtime(opened).strftime("%Y%m%d") and len(seq) == 4
    # the counters hold the last number of each county and day
    last = {}
    for number, _at, _path in numbers:
        _e, county, day, seq = number.split("-")
        last[(county, day)] = max(last.get((county, day), 0), int(seq))
    counters = {(c.county, f"{c.day:%Y%m%d}"): c.last for c in CaseCounter.objects.filter(prefix="E")}
    assert counters == last
    # a new report on a day that has demo events takes the next number
    grid = all_events().order_by("-opened_at").first().grid
    at = NOW - dt.timedelta(hours=1)
    county, day = grid.scope_path.split("/")[1], timezone.localtime(at).strftime("%Y%m%d")
    lon, lat = all_events().filter(grid=grid).values_list("lon", "lat").first()
    locator.reset()  # this test's grids
    report = Report(category=Category.objects.get(code="0401"), title="楼道堆放杂物", lon=lon, lat=lat)
    event = report_event(
        report, actor=User.objects.get(username=DemoAccount.ADMIN), channel=Channel.STAFF, at=at
    )
    assert event.number == f"E-{county}-{day}-{last.get((county, day), 0) + 1:04d}"


def test_every_indicator_is_meaningful(demo_events):
    city = User.objects.get(username=DemoAccount.CITY)
    start, end = dt.date(2026, 1, 1), dt.date(2026, 5, 31)
    result = ind.indicators(city, start=start, end=end)
    total = result.total.figures
    for name in ind.COUNT_NAMES:
        if name in ("open", "overdue"):
            continue  # five months back everything is done
        assert total[name].value > 0, name
        assert total[name].last_year > 0, name
    for name in ind.RATES:
        assert 0 < total[name].value <= 1, name
    assert 0.6 < total["closure_rate"].value < 1
    assert total["grid_share"].value > 0.5
    assert all(s.hours and s.hours > 0 for s in result.total.steps)
    # now is open and overdue
    recent = ind.indicators(city, start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 17))
    assert recent.total.figures["open"].value > 0 and recent.total.figures["overdue"].value > 0
    # and each figure is still its list
    for row in [*result.rows, result.total]:
        for name, figure in row.figures.items():
            listed = EventFilter.from_params(figure.params).apply(events_for(city)).count()
            if name in ind.PER_10K:  # its list is the count it divides by the population
                assert listed == row.figures[ind.PER_10K[name][1]].value
            elif not figure.rate:
                assert listed == figure.value


def test_the_demo_accounts_have_work(demo_events):
    for username in (DemoAccount.GRID, DemoAccount.GRID2, DemoAccount.OFFICER, DemoAccount.STATION):
        user = User.objects.get(username=username)
        assert inbox(user), username
    resident = User.objects.get(username=DemoAccount.RESIDENT)
    assert all_events().filter(reporter=resident).exists()


def test_deterministic_rerun_and_reset(small_city, runner):
    first = generate_demo_events(actor=runner, scale=0.01, seed=SEED, now=NOW)
    snapshot = list(all_events().order_by("number").values_list("number", "status", "title", "grid__code"))
    again = generate_demo_events(actor=runner, scale=0.01, seed=SEED, now=NOW)
    assert not again.created and all_events().count() == first.counts["events"]
    redone = generate_demo_events(actor=runner, scale=0.01, seed=SEED, now=NOW, reset=True)
    assert redone.created
    assert (
        list(all_events().order_by("number").values_list("number", "status", "title", "grid__code"))
        == snapshot
    )
    assert AuditEntry.objects.filter(action=DEMO_EVENTS.name).count() == 2


def test_the_command_generates_events(wuzhong):
    from io import StringIO

    from django.utils import translation

    out = StringIO()
    with translation.override("en"):
        call_command("demo", "--scale", "0.05", "--seed", str(SEED), "--registry-scale", "0",
                     "--events-scale", "0.01", stdout=out, stderr=StringIO())  # fmt: skip
    assert "Demo events generated" in out.getvalue()
    assert all_events().exists()
    # --reset builds the city again, events and all
    with translation.override("en"):
        call_command("demo", "--reset", "--scale", "0.05", "--seed", str(SEED), "--registry-scale", "0",
                     "--events-scale", "0.01", stdout=StringIO(), stderr=StringIO())  # fmt: skip
    assert all_events().exists()
