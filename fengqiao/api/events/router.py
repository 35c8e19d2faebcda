"""Events of the closed loop through the API: lists, details, intake, moves, the inbox and the board.

Reads go through ``events.selectors`` (scoped: an event outside the caller's scope is 404, like a
missing one), intake through ``events.actions.report_event``, every move through the casework
engine — the doors the pages use. Moves are optimistic: a client sends the version it saw
(``If-Match: "3"``, the detail's ``ETag``); a stale one is 412 with the current version, and a
move without any version is 428, so nobody overwrites a step they have not seen.
"""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from fengqiao.api import cases
from fengqiao.api.events.schemas import (
    AlreadyTakenInOut,
    EventCreatedOut,
    EventFilters,
    EventIn,
    EventListItem,
    EventOut,
    InboxItem,
    MyReportOut,
)
from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.schemas import ERRORS, ConflictOut, ErrorOut, TransitionIn
from fengqiao.core import casework
from fengqiao.events import actions, selectors
from fengqiao.events.choices import Channel
from fengqiao.events.selectors import EventFilter

router = Router(tags=["events"])


def _ordered(events):
    return events.order_by("-opened_at", "-id")


@router.get(
    "/events",
    response={200: list[EventListItem], **ERRORS},
    url_name="events",
    summary="List events",
)
@paginate(LimitOffset)
def list_events(request, filters: Query[EventFilters]):
    """The events in the caller's scope, newest first, narrowed by the same parameters as the
    events page and the indicators' links. An unknown value is 422 naming the parameter."""
    events = selectors.events_for(request.auth)
    return _ordered(EventFilter.from_params(filters.dict()).apply(events))


@router.post(
    "/events",
    response={201: EventCreatedOut, 409: AlreadyTakenInOut, **ERRORS},
    url_name="event-create",
    summary="Take in an event",
)
def create_event(request, payload: EventIn, response: HttpResponse):
    """Staff take in an event (channel ``api``) at a point or a registry address in their area.
    It is placed in its grid, numbered, routed to the grid or its station and its first deadline
    set; ``possible_duplicates`` names open events of the same kind nearby."""
    user = request.auth
    report = actions.build_report(**payload.dict(), public_only=False, actor=user)
    # report_event refuses a caller who is not staff, or a place outside their area, before it
    # writes anything.
    try:
        event = actions.report_event(report, actor=user, channel=Channel.API)
    except actions.AlreadyTakenIn as taken:
        return Status(409, _already_taken_in(taken.event, user))
    duplicates = actions.duplicate_numbers(report.category, event.lon, event.lat, user=user, exclude=event)
    response["Location"] = f"{request.path.rstrip('/')}/{event.number}"
    response["ETag"] = cases.etag(event.version)
    return Status(
        201,
        {
            "number": event.number,
            "tracking_code": event.tracking_code,
            "status": event.status,
            "version": event.version,
            "possible_duplicates": duplicates,
        },
    )


def _already_taken_in(event, user) -> dict:
    """The 409 answer: the event's number when the caller may see it (else only that it exists)."""
    visible = selectors.events_for(user).filter(pk=event.pk).exists()
    return {
        "detail": _("An event with this external number was taken in already."),
        "number": event.number if visible else None,
    }


# Declared before /events/{number}, which would otherwise take "board" for a number.
@router.get(
    "/events/board",
    response={200: list[EventListItem], **ERRORS},
    url_name="events-board",
    summary="The command room's board",
)
@paginate(LimitOffset)
def events_board(request):
    """Open events in the caller's scope that are past their limit or have been escalated, the
    highest rung first, then the longest overdue."""
    return selectors.board(request.auth)


@router.get(
    "/events/{number}",
    response={200: EventOut, **ERRORS},
    url_name="event",
    summary="One event",
)
def get_event(request, number: str, response: HttpResponse):
    """An event with its timeline and the steps the caller may take; the ``ETag`` header is its
    version, to send back in ``If-Match`` with a move. 404 outside the caller's scope."""
    event = selectors.event_for(request.auth, number)
    response["ETag"] = cases.etag(event.version)
    return event


@router.post(
    "/events/{number}/transitions",
    response={200: EventOut, 412: ConflictOut, 428: ErrorOut, **ERRORS},
    url_name="event-transition",
    summary="Move an event one step",
    openapi_extra=cases.IF_MATCH_PARAMETER,
)
def move_event(request, number: str, payload: TransitionIn, response: HttpResponse):
    """Take one step of the loop (``file``, ``dispatch``, ``accept``, ``report_back``, ``pass``,
    ``rework``, ``escalate``, ...) against the version the caller saw: ``If-Match: "<version>"``
    (or ``version`` in the body). 412 when someone moved the event since (nothing is applied; the
    answer gives the current version), 428 without a version, 403 when the step is not the
    caller's to take, 422 naming the field when it is not possible now or its input is wrong."""
    user = request.auth
    event = selectors.event_for(user, number)
    refused = cases.move(request, event, payload, response, take=actions.move)
    if refused is not None:
        return refused
    moved = selectors.event_for(user, number)
    response["ETag"] = cases.etag(moved.version)
    return moved


@router.get(
    "/inbox",
    response={200: list[InboxItem], **ERRORS},
    url_name="inbox",
    summary="My inbox",
)
@paginate(LimitOffset)
def my_inbox(request):
    """Every open case of every type that is the caller's to do — assigned to them, or held where
    they are posted — the most urgent first."""
    return casework.inbox(request.auth)


@router.get(
    "/my-reports",
    response={200: list[MyReportOut], **ERRORS},
    url_name="my-reports",
    summary="My own reports",
)
@paginate(LimitOffset)
def my_reports(request):
    """What the caller reported with their account, newest first, as the portal's "my reports"
    shows it: the status in residents' words and the reply once the event is closed."""
    return selectors.own_reports(request.auth).order_by("-opened_at", "-id")
