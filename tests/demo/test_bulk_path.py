"""The kernel's bulk path (``casework.Life``, which the demo plays its cases through) leaves a case
as the per-request engine does: the same plan taken through the actions and through the bulk path
gives the same status, holder, limits and timeline."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fengqiao.core import casework
from fengqiao.core.models import TimelineEntry
from fengqiao.disputes.actions import district_path
from fengqiao.disputes.models import Dispute
from fengqiao.disputes.workflow import DISPUTE_WORKFLOW
from fengqiao.events import routing
from fengqiao.events.models import Event
from fengqiao.events.workflow import EVENT_WORKFLOW

pytestmark = pytest.mark.django_db

CASE_FIELDS = [
    "number", "status", "version", "holder_path", "assignee_id", "level", "opened_at", "step_started_at",
    "due_at", "remind_at", "reminded", "missed_deadlines", "closed_at",
]  # fmt: skip
TIMELINE_FIELDS = [
    "at", "actor_id", "actor_label", "transition", "from_status", "to_status", "holder_path", "note", "data",
]  # fmt: skip


def case_fields(case, extra=()):
    return {name: getattr(case, name) for name in [*CASE_FIELDS, *extra]}


def stored_timeline(case):
    return [
        {name: getattr(e, name) for name in TIMELINE_FIELDS}
        for e in TimelineEntry.objects.filter(case_type=case.workflow.case_type, case_id=case.pk).order_by(
            "id"
        )
    ]


def bulk_timeline(life):
    """The bulk path's rows as they come back from the database (JSON and datetimes round-tripped)."""
    case = life.case
    TimelineEntry.objects.bulk_create(life.rows())
    return stored_timeline(case)


def test_an_event_moved_in_bulk_is_the_event_moved_by_the_engine(personas, report, monday_morning):
    # given a plan: opened by the grid worker, escalated by hand, filed, dispatched, started, missed
    # its limit (the sweep takes it to the station), extended, reported back, sent back, closed,
    # rated and reopened by its reporter
    t0, hour = monday_morning, dt.timedelta(hours=1)
    officer, station, city = personas.officer, personas.station, personas.city
    plan = [
        ("escalate", t0 + 1 * hour, personas.grid_a, "超出网格处置能力", None),
        ("file", t0 + 2 * hour, officer, "", None),
        ("dispatch", t0 + 3 * hour, officer, "", {"assignee": officer.pk}),
        ("accept", t0 + 4 * hour, officer, "", None),
        ("sweep", None, None, "", None),  # at the limit of handling
        ("request_extension", 2 * hour, station, "需协调多个部门", {"hours": 16}),
        ("approve_extension", 3 * hour, city, "", None),
        ("report_back", 5 * hour, station, "已协调解决", None),
        ("rework", 6 * hour, station, "仍未整改到位", None),
        ("report_back", 7 * hour, station, "已整改到位", None),
        ("pass", 8 * hour, city, "", None),
        ("rate", 9 * hour, None, "", {"rating": 4}),
        ("reopen", 10 * hour, None, "问题再次出现", None),
    ]

    # when the engine takes it, move by move
    event = report(at=t0)
    swept_at = None
    for name, at, actor, note, data in plan:
        if name == "sweep":
            swept_at = event.due_at
            assert casework.sweep(now=swept_at).escalated == 1
            event = Event.objects.unscoped(reason="test").get(pk=event.pk)
            continue
        at = at if isinstance(at, dt.datetime) else swept_at + at
        event = casework.apply(event, name, actor=actor, version=event.version, note=note, data=data, at=at)

    # and the bulk path takes the same plan (the dispatch states what its effect sets)
    ours = Event(
        pk=event.pk + 1,
        scope_path=event.scope_path,
        holder_path=routing.holder_for(event.category, event.grid),
        kind=event.kind,
        category=event.category,
        title=event.title,
        channel=event.channel,
        grid=event.grid,
        lon=event.lon,
        lat=event.lat,
    )
    load = casework.BulkLoad(EVENT_WORKFLOW)
    life = load.open(ours, county=event.scope_path.split("/")[1], actor=personas.grid_a, at=t0)
    for name, at, actor, note, data in plan:
        if name == "sweep":
            life.overdue(swept_at)
            continue
        at = at if isinstance(at, dt.datetime) else swept_at + at
        sets = {"assignee": officer} if name == "dispatch" else None
        life.move(name, at=at, actor=actor, note=note, data=data, sets=sets)

    # then the case and its timeline are the same
    extra = ["rework_count", "reopen_count", "rating", "rated_at", "extension_hours"]
    assert case_fields(ours, extra) == case_fields(event, extra)
    assert event.status == "handling" and event.level == 2 and event.missed_deadlines == 1
    ours.number = "E-test"  # the engine's number is taken
    ours.save(force_insert=True)
    assert bulk_timeline(life) == stored_timeline(event)
    # and the numbers it hands out follow the engine's format
    assert load.numbers.last == {(event.scope_path.split("/")[1], timezone.localdate(t0)): 1}


def test_a_dispute_moved_in_bulk_is_the_dispute_moved_by_the_engine(personas, register):
    # given a plan: registered, mediated in a session, resolved with an agreement, visited, archived
    officer = personas.officer
    t0 = timezone.localtime(timezone.now() - dt.timedelta(days=40)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    day = dt.timedelta(days=1)
    session = {"held_on": (t0 + day).date(), "place": "调解室", "participants": "双方", "minutes": "释法明理"}
    terms = {
        "form": "written",
        "terms": "赔偿五百元",
        "performance_method": "一次性支付",
        "perform_by": (t0 + 20 * day).date(),
        "signed_on": (t0 + 2 * day).date(),
    }
    plan = [
        ("start", t0 + dt.timedelta(hours=2), "", None, {}),
        ("record_session", t0 + day, "", session, {}),
        ("record_agreement", t0 + 2 * day, "", terms, {}),
        ("resolve", t0 + 2 * day, "", None, {"outcome": "resolved", "outcome_at": t0 + 2 * day}),
        (
            "follow_up",
            t0 + 12 * day,
            "回访：已履行",
            {"visited_on": (t0 + 12 * day).date(), "method": "phone", "performance": "performed"},
            {},
        ),
        ("archive", t0 + 35 * day, "", None, None),
    ]

    # when the engine takes it (the effects write the session, the agreement, the visit)
    dispute = register(actor=officer, at=t0)
    for name, at, note, data, _sets in plan:
        dispute = casework.apply(
            dispute, name, actor=officer, version=dispute.version, note=note, data=data, at=at
        )

    # and the bulk path takes the same plan (its caller writes those rows: the moves say what
    # their effects set on the case)
    ours = Dispute(
        pk=dispute.pk + 1,
        scope_path=dispute.scope_path,
        holder_path=district_path(dispute.grid),
        assignee=officer,
        title=dispute.title,
        source=dispute.source,
        category=dispute.category,
        grade=dispute.grade,
        grid=dispute.grid,
        registered_by=officer,
        facts=dispute.facts,
        points=dispute.points,
    )
    load = casework.BulkLoad(DISPUTE_WORKFLOW)
    life = load.open(ours, county=dispute.scope_path.split("/")[1], actor=officer, at=t0)
    for name, at, note, data, sets in plan:
        life.move(name, at=at, actor=officer, note=note, data=data, sets=sets)

    # then the case and its timeline are the same
    extra = ["outcome", "outcome_at", "extended_days"]
    assert case_fields(ours, extra) == case_fields(dispute, extra)
    assert dispute.status == "archived" and dispute.closed_at == t0 + 35 * day
    ours.number = "TJ-test"  # the engine's number is taken
    ours.save(force_insert=True)
    ours_rows, engine_rows = bulk_timeline(life), stored_timeline(dispute)
    assert ours_rows == engine_rows


def test_the_bulk_path_refuses_what_the_workflow_does_not_declare(personas, report):
    event = report()
    life = casework.BulkLoad(EVENT_WORKFLOW).open(
        Event(category=event.category, holder_path=event.holder_path, grid=event.grid),
        county="640302",
        actor=personas.grid_a,
        at=event.opened_at,
    )
    with pytest.raises(casework.NotAvailable):
        life.move("pass", at=event.opened_at, actor=personas.officer)  # not from "reported"
    with pytest.raises(ValidationError):
        life.move("reject", at=event.opened_at, actor=personas.officer)  # a rejection needs its note
    with pytest.raises(casework.NotAvailable):
        life.overdue(event.opened_at)  # not past its limit yet
    life.move("file", at=event.opened_at + dt.timedelta(hours=1), actor=personas.officer)
    with pytest.raises(ValueError):
        life.move("dispatch", at=event.opened_at, actor=personas.officer, sets={})  # back in time
    # and whoever reported back does not pass the check of their own work
    later = event.opened_at + dt.timedelta(hours=2)
    life.move("dispatch", at=later, actor=personas.officer, data={"assignee": personas.officer.pk}, sets={})
    life.move("accept", at=later, actor=personas.officer)
    life.move("report_back", at=later, actor=personas.officer, note="已处置")
    with pytest.raises(PermissionDenied):
        life.move("pass", at=later, actor=personas.officer)
    life.move("pass", at=later, actor=personas.station)
    assert life.case.status == "closed"
