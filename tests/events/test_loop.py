"""The closed loop through the casework engine: routing, every transition, conflicts, scope."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fengqiao.core.casework import Conflict, NotAvailable, inbox
from fengqiao.core.models import AuditEntry, TimelineEntry
from fengqiao.events import actions
from fengqiao.events.actions import move
from fengqiao.events.choices import Channel, Status
from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db


def walk(event, actor, *steps):
    for name, note, data in steps:
        event = move(event, name, actor=actor, version=event.version, note=note, data=data)
    return event


def test_report_is_placed_numbered_and_routed_to_its_grid(personas, report, monday_morning):
    event = report(at=monday_morning)
    t = personas.territory
    assert event.grid == t.grid_a
    assert event.scope_path == t.grid_a.scope_path == event.holder_path
    assert event.number == "E-640302-20261123-0001"
    assert report(at=monday_morning).number.endswith("-0002")
    assert event.status == Status.REPORTED and event.version == 1
    # 安全隐患 gives 4 working hours to file: 09:00 + 4 h = 13:00 less the lunch break → 14:30.
    assert event.due_at.astimezone(monday_morning.tzinfo).time() == dt.time(14, 30)
    assert [e.transition for e in event.timeline()] == ["open"]
    assert AuditEntry.objects.filter(action="event_report", object_id=str(event.pk)).count() == 1


def test_case_information_goes_straight_to_the_station(personas, report):
    event = report("02", actor=personas.officer)
    assert event.holder_path == personas.territory.station.path
    assert event in inbox(personas.station)
    assert event not in inbox(personas.grid_a)


def test_the_whole_loop_with_rework_rating_and_reopen(personas, report):
    event = report()
    assert event in inbox(personas.grid_a) and event in inbox(personas.grid_a)
    event = walk(
        event,
        personas.grid_a,
        ("file", "", None),
        ("dispatch", "", {"assignee": personas.grid_a.pk}),
        ("accept", "", None),
        ("report_back", "已清理楼道", None),
    )
    assert event.assignee == personas.grid_a
    event = move(event, "rework", actor=personas.officer, version=event.version, note="仍有杂物")
    assert event.status == Status.HANDLING and event.rework_count == 1
    event = walk(event, personas.grid_a, ("report_back", "已全部清理", None))
    event = move(event, "pass", actor=personas.officer, version=event.version)
    assert event.status == Status.CLOSED and event.closed_at is not None and event.due_at is None

    # The reporter (here staff entered it for an anonymous caller) rates with the tracking code.
    from fengqiao.events.actions import move_by_tracking_code

    event = move_by_tracking_code(event.tracking_code.lower(), "rate", data={"rating": 2})
    assert event.rating == 2
    event = move_by_tracking_code(event.tracking_code, "reopen", note="又堆上了")
    assert event.status == Status.HANDLING and event.reopen_count == 1 and event.closed_at is None
    assert event.rating is None
    steps = [e.transition for e in event.timeline()]
    assert steps == [
        "open",
        "file",
        "dispatch",
        "accept",
        "report_back",
        "rework",
        "report_back",
        "pass",
        "rate",
        "reopen",
    ]
    assert AuditEntry.objects.filter(action="case_transition", object_id=str(event.pk)).count() == 7


def test_a_stale_version_is_a_conflict_and_changes_nothing(personas, report):
    event = report()
    seen = event.version
    move(event, "file", actor=personas.grid_a, version=seen)
    with pytest.raises(Conflict):
        move(event, "reject", actor=personas.officer, version=seen, note="重复")
    assert Event.objects.unscoped(reason="test").get(pk=event.pk).status == Status.FILED
    assert TimelineEntry.objects.filter(case_id=event.pk, transition="reject").count() == 0


def test_rules_of_the_steps(personas, report):
    event = report()
    with pytest.raises(NotAvailable):
        move(event, "pass", actor=personas.grid_a, version=event.version)
    with pytest.raises(ValidationError) as err:
        move(event, "reject", actor=personas.grid_a, version=event.version, note="  ")
    assert "note" in err.value.message_dict
    with pytest.raises(PermissionDenied):  # another grid's worker
        move(event, "file", actor=personas.grid_b, version=event.version)
    with pytest.raises(PermissionDenied):  # an anonymous move of a staff step
        move(event, "file", actor=None, version=event.version)
    with pytest.raises(PermissionDenied):  # a resident who did not report it
        move(event, "rate", actor=personas.resident, version=event.version, data={"rating": 5})


def test_extension_is_requested_below_and_approved_above(personas, report):
    event = walk(report(), personas.grid_a, ("file", "", None))
    due = event.due_at
    event = move(
        event,
        "request_extension",
        actor=personas.grid_a,
        version=event.version,
        note="需协调物业",
        data={"hours": 8},
    )
    assert event.extension_hours == 8
    with pytest.raises(PermissionDenied):  # the holder cannot approve their own request
        move(event, "approve_extension", actor=personas.grid_a, version=event.version)
    event = move(event, "approve_extension", actor=personas.officer, version=event.version)
    assert event.due_at == due + dt.timedelta(hours=8) and event.extension_hours is None


def test_escalate_climbs_one_rung_with_a_reason(personas, report):
    t = personas.territory
    event = report()
    event = move(event, "escalate", actor=personas.grid_a, version=event.version, note="需要民警到场")
    assert event.holder_path == t.district_a.path and event.level == 1
    assert event in inbox(personas.officer)
    event = move(event, "escalate", actor=personas.officer, version=event.version, note="涉及多户")
    assert event.holder_path == t.station.path and event.level == 2


def test_merge_a_duplicate_and_recategorise_reroutes(personas, report):
    original, duplicate = report(), report()
    with pytest.raises(ValidationError):
        move(
            duplicate,
            "merge",
            actor=personas.grid_a,
            version=duplicate.version,
            data={"into": duplicate.number},
        )
    merged = move(
        duplicate, "merge", actor=personas.grid_a, version=duplicate.version, data={"into": original.number}
    )
    assert merged.status == Status.MERGED and merged.duplicate_of == original and not merged.is_open

    moved = move(
        original, "recategorise", actor=personas.officer, version=original.version, data={"category": "0504"}
    )
    assert moved.category.code == "0504" and moved.holder_path == personas.territory.station.path


def test_residents_report_and_follow_their_own(personas, report):
    event = report("0502", actor=personas.resident, channel=Channel.PORTAL)
    assert event.reporter == personas.resident and event.reporter_name == "孙八"
    assert not Event.objects.visible_to(personas.resident).exists()


def test_sweep_reminds_then_escalates_up_the_ladder(personas, report, monday_morning):
    from fengqiao.core.casework import sweep

    t = personas.territory
    event = report(at=monday_morning)  # due 14:30, reminded from 13:48
    assert sweep(monday_morning + dt.timedelta(hours=1)).reminded == 0
    result = sweep(monday_morning + dt.timedelta(hours=5))
    assert (result.reminded, result.escalated) == (1, 0)
    assert sweep(monday_morning + dt.timedelta(hours=5)).reminded == 0  # once only

    result = sweep(monday_morning + dt.timedelta(hours=6))
    assert result.escalated == 1
    event.refresh_from_db()
    assert event.holder_path == t.district_a.path and event.level == 1 and event.missed_deadlines == 1
    assert event.version == 2  # a client holding version 1 must reload
    assert event in inbox(personas.officer)
    # Each missed limit climbs one rung: district → station → county → city, and stays there.
    for expected in (t.station.path, t.county.path, t.city.path, t.city.path):
        sweep(event.due_at + dt.timedelta(seconds=1))
        event.refresh_from_db()
        assert event.holder_path == expected
    assert event.level == 4 and event.missed_deadlines == 5
    steps = [(e.transition, e.holder_path) for e in event.timeline()]
    assert steps[1] == ("remind", t.grid_a.scope_path)
    assert steps[2] == ("escalate", t.district_a.path)
    assert AuditEntry.objects.filter(action="case_sweep").count() == 6


def test_a_closed_event_is_never_swept(personas, report, monday_morning):
    from fengqiao.core.casework import sweep

    event = report(at=monday_morning)
    move(event, "reject", actor=personas.grid_a, version=event.version, note="非本辖区")
    assert sweep(monday_morning + dt.timedelta(days=30)).escalated == 0


def test_filters_share_one_vocabulary(personas, report):
    from fengqiao.events.selectors import EventFilter, board, events_for

    t = personas.territory
    a = report()
    b = report(lon=106.115, lat=37.905, actor=personas.grid_b)
    move(b, "escalate", actor=personas.grid_b, version=b.version, note="需要支援")
    mine = lambda **params: set(EventFilter.from_params(params).apply(events_for(personas.station)))  # noqa: E731
    assert mine(unit=t.district_a.path) == {a}
    assert mine(escalated="1") == {b} == set(board(personas.station))
    assert mine(status="open", grid=t.grid_b.code) == {b}
    with pytest.raises(ValidationError) as err:
        mine(status="sleeping")
    assert "status" in err.value.message_dict


def test_moves_notify_the_holder_and_the_reporter_in_their_words_but_not_the_mover(personas, report):
    from fengqiao.core.notifications.models import Notification

    event = report("0502", actor=personas.resident, channel=Channel.PORTAL)
    # A new event: the grid's worker and the district's community officer hear of it.
    assert set(
        Notification.objects.filter(title__startswith=event.number).values_list(
            "recipient__username", flat=True
        )
    ) == {
        "grid_a",
        "officer_a",
    }
    move(event, "file", actor=personas.grid_a, version=event.version)
    told = Notification.objects.filter(title__startswith=event.number).exclude(
        recipient__username="officer_a"
    )
    assert sorted(told.values_list("recipient__username", flat=True)) == ["grid_a"]
    # the reporter hears in residents' words: no step names, no number
    (heard,) = Notification.objects.filter(recipient=personas.resident)
    assert (heard.kind, heard.title) == ("event_reporter", "Your report: accepted")
    assert heard.link == f"/track/{event.tracking_code}/"


def test_duplicate_suggestions_are_near_recent_open_same_category_and_in_scope(personas, report):
    near = report(lon=106.105, lat=37.905)
    report(lon=106.105 + 0.003, lat=37.905)  # about 260 m east: too far
    report("0502", lon=106.105, lat=37.905)  # another category
    closed = report(lon=106.1051, lat=37.905)
    Event.objects.unscoped(reason="test").filter(pk=closed.pk).update(status=Status.CLOSED)
    old = report(lon=106.1052, lat=37.905, at=timezone.now() - dt.timedelta(days=8))
    category = near.category

    def suggested(user, **kwargs):
        found = actions.duplicate_candidates(category, 106.1050, 37.9051, user=user, **kwargs)
        return [e.number for e in found]

    assert suggested(personas.grid_a) == [near.number]
    assert suggested(personas.city) == [near.number]
    assert suggested(personas.grid_a, exclude=near) == []
    # The grid worker next door does not see grid A's events, so none is suggested to them.
    assert suggested(personas.grid_b) == []
    assert old.number not in suggested(personas.grid_a, at=timezone.now())


def test_duplicate_suggestions_are_the_nearest_first_and_few(personas, report):
    # given twelve open reports at growing distances (about 8 m apart) east of a point
    reports = [report(lon=106.105 + i * 0.0001, lat=37.905) for i in range(12)]
    category = reports[0].category
    # when someone reports at the point
    found = actions.duplicate_candidates(category, 106.105, 37.905, user=personas.grid_a)
    # then the nearest ten are suggested, nearest first
    assert [e.number for e in found] == [r.number for r in reports[: actions.DUPLICATE_SUGGESTIONS]]
    assert actions.duplicate_numbers(category, 106.105, 37.905, user=personas.grid_a) == [
        e.number for e in found
    ]


def test_a_case_type_has_one_workflow_registered_by_its_app():
    from fengqiao.core import casework
    from fengqiao.events.workflow import EVENT_WORKFLOW, STATES

    assert casework.workflows()["event"] is EVENT_WORKFLOW and Event.workflow is EVENT_WORKFLOW
    assert "dispute" in casework.workflows()
    casework.register(EVENT_WORKFLOW)  # registering it again changes nothing
    other = casework.Workflow("event", "X", Event, STATES, [], initial=Status.REPORTED)
    with pytest.raises(ValueError):
        casework.register(other)
    assert Event.workflow is EVENT_WORKFLOW
