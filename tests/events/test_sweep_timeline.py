"""The sweep's timeline entries, written set-based (INSERT ... SELECT) from the case rows."""

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core.casework import sweep
from fengqiao.core.models import TimelineEntry
from fengqiao.events.actions import move
from fengqiao.events.choices import Status

pytestmark = pytest.mark.django_db


def sweep_entries(event):
    return [
        (e.transition, e.from_status, e.to_status, e.holder_path, e.data, e.actor_id, e.note)
        for e in event.timeline()
        if e.transition in ("remind", "escalate")
    ]


def test_each_reminder_and_escalation_is_one_entry_naming_where_the_case_goes(
    personas, report, monday_morning
):
    t = personas.territory
    # given an event due at 14:30 in grid A
    event = report(at=monday_morning)

    # when the sweep runs before the first limit, then past it, then past each new limit
    at = monday_morning + dt.timedelta(hours=5)
    assert sweep(at).reminded == 1
    sweep(monday_morning + dt.timedelta(hours=6))
    event.refresh_from_db()
    for _rung in range(4):  # district → station → county → city, then the city again
        sweep(event.due_at + dt.timedelta(seconds=1))
        event.refresh_from_db()

    # then each sweep wrote one entry, at its own time, by no one, with where the case went
    grid, district = t.grid_a.scope_path, t.district_a.path
    station, county, city = t.station.path, t.county.path, t.city.path
    reported = Status.REPORTED
    assert sweep_entries(event) == [
        ("remind", reported, reported, grid, {}, None, ""),
        ("escalate", reported, reported, district, {"from": grid}, None, ""),
        ("escalate", reported, reported, station, {"from": district}, None, ""),
        ("escalate", reported, reported, county, {"from": station}, None, ""),
        ("escalate", reported, reported, city, {"from": county}, None, ""),
        ("escalate", reported, reported, city, {"from": city}, None, ""),
    ]
    remind = TimelineEntry.objects.get(case_id=event.pk, transition="remind")
    assert remind.at == at and remind.case_type == "event"
    assert event.holder_path == city and event.level == 4 and event.missed_deadlines == 5


def test_one_sweep_moves_many_cases_and_writes_one_entry_each(personas, report, monday_morning):
    # given events in grid A and grid B, one of them filed, all past their limits a month on
    events = [report(at=monday_morning) for _ in range(3)]
    events.append(report(at=monday_morning, lon=106.115, lat=37.905, actor=personas.grid_b))
    events[0] = move(events[0], "file", actor=personas.grid_a, version=events[0].version)

    # when one sweep runs
    result = sweep(timezone.now() + dt.timedelta(days=30))

    # then each moved one rung and has exactly one escalation entry, from where it was
    assert result.escalated == 4
    t = personas.territory
    for event in events:
        old = event.holder_path
        event.refresh_from_db()
        assert event.level == 1 and event.missed_deadlines == 1
        status = event.status
        assert sweep_entries(event) == [
            ("escalate", status, status, event.holder_path, {"from": old}, None, "")
        ]
    assert events[0].status == Status.FILED
    assert {e.holder_path for e in events} == {t.district_a.path, t.district_b.path}
