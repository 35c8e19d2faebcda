"""What goes in and out of the events API (the closed loop). Input schemas refuse unknown fields."""

import datetime as dt
from dataclasses import fields
from typing import Any

from ninja import Field, Schema
from pydantic import create_model

from fengqiao.api.schemas import GridRef, InputSchema, Text, TransitionOut
from fengqiao.core.casework import LEVELS
from fengqiao.events.inputs import category_label
from fengqiao.events.rules import DESCRIPTION_MAX, TITLE_MAX
from fengqiao.events.selectors import EventFilter
from fengqiao.registry.selectors import shown_phone

# What each parameter of ``events.selectors.EventFilter`` means, for the OpenAPI page.
FILTER_HELP = {
    "status": "A status, or `open` / `done`.",
    "kind": "An event kind (incident, case, opinion, social, help, ...).",
    "category": "A category code: that category and everything under it.",
    "channel": "How it came in: staff, phone, portal, api, open311, 110.",
    "unit": "A tree path: events that happened at or under it.",
    "grid": "A grid code.",
    "holder": "A tree path: events held exactly there.",
    "opened_from": "Opened on or after this date (YYYY-MM-DD).",
    "opened_to": "Opened on or before this date (YYYY-MM-DD).",
    "closed_from": "Closed on or after this date (YYYY-MM-DD).",
    "closed_to": "Closed on or before this date (YYYY-MM-DD).",
    "overdue": "`1`: open and past its limit.",
    "escalated": "`1`: climbed at least one rung of the ladder.",
    "reworked": "`1`: sent back for rework at least once.",
    "reopened": "`1`: reopened by the reporter.",
    "filed": "`1`: filed (not awaiting filing, rejected or merged).",
    "handled": "`1`: reported back at least once.",
    "on_time": "`1` / `0`: closed without / after missing a limit.",
    "within": "`grid` / `community`: closed while held by a grid / a police district.",
    "offence": "`criminal` / `administrative`: the kind of case.",
    "crime": "A crime class (burglary, fraud, ...) or a group: serious_violent, theft, two_robberies.",
    "fraud_type": "The kind of a telecom or online fraud (order_brushing, investment, ...).",
    "solved": "`1` / `0`: solved / not solved yet.",
    "solved_by": "How it was solved: video, on_scene, investigation, forensics, tip, other.",
    "q": "Part of the number or of the title.",
}

# The query parameters are EventFilter's own fields, read from it: the one filter vocabulary of
# the list page, the API and the indicators' links cannot drift apart.
EventFilters = create_model(
    "EventFilters",
    __base__=InputSchema,
    __doc__="The filters of the events list (``events.selectors.EventFilter``).",
    **{f.name: (str, Field("", description=FILTER_HELP.get(f.name, ""))) for f in fields(EventFilter)},
)


class CategoryRef(Schema):
    code: str
    name: str


class StaffRef(Schema):
    username: str
    full_name: str


class EventListItem(Schema):
    number: str
    kind: str
    category: CategoryRef
    title: str
    status: str
    status_label: str
    channel: str
    grid: GridRef
    scope_path: str = Field(description="Where it happened: the grid's path in the police tree.")
    holder_path: str = Field(description="Whose inbox holds it: a grid's or a unit's path.")
    holder_level: str = Field(description=f"The rung of the holder: {', '.join(LEVELS.values())}.")
    assignee: StaffRef | None
    level: int = Field(description="How many rungs it has climbed.")
    opened_at: dt.datetime
    due_at: dt.datetime | None
    closed_at: dt.datetime | None
    overdue: bool
    version: int = Field(description="Send it back in `If-Match` to move the event.")
    lon: float | None
    lat: float | None
    address_text: str

    @staticmethod
    def resolve_status_label(event) -> str:
        return str(event.status_label)


class TimelineOut(Schema):
    at: dt.datetime
    transition: str
    from_status: str
    to_status: str
    holder_path: str
    actor: str = Field(description="The username of who took the step; empty for the system or the public.")
    note: str
    data: dict[str, Any]

    @staticmethod
    def resolve_actor(entry) -> str:
        return entry.actor_label


class AttachmentOut(Schema):
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime

    @staticmethod
    def resolve_name(attachment) -> str:
        return attachment.original_name


class EventOut(EventListItem):
    description: str
    address: str | None = Field(description="The registry address code, when it was given.")
    reporter_name: str
    reporter_phone: str = Field(description="Masked unless the caller's role sees phones whole.")
    external_id: str
    duplicate_of: str | None = Field(description="The number of the event this one was merged into.")
    rework_count: int
    reopen_count: int
    extension_hours: int | None = Field(description="Hours of extension requested and not yet decided.")
    rating: int | None
    rated_at: dt.datetime | None
    reply: str = Field(
        description="The reply to the reporter (give it as `reply` in the data of report_back, pass or "
        "reject): the reporter reads it once the event is closed or not taken up, and gets it by SMS "
        "at closing when they gave a phone. The steps' notes are never shown to them."
    )
    attachments: list[AttachmentOut]
    timeline: list[TimelineOut]
    transitions: list[TransitionOut] = Field(description="The steps the caller may take now.")

    @staticmethod
    def resolve_address(event) -> str | None:
        return event.address.code if event.address_id else None

    @staticmethod
    def resolve_reporter_phone(event, context) -> str:
        return shown_phone(context["request"].auth, event.reporter_phone)

    @staticmethod
    def resolve_duplicate_of(event) -> str | None:
        return event.duplicate_of.number if event.duplicate_of_id else None

    @staticmethod
    def resolve_attachments(event) -> list:
        return list(event.attachments.order_by("id"))

    @staticmethod
    def resolve_timeline(event) -> list:
        return list(event.timeline())

    @staticmethod
    def resolve_transitions(event, context) -> list:
        return event.workflow.available(event, context["request"].auth)


class EventIn(InputSchema):
    """An event taken in by staff. Place it with a point (``lon`` and ``lat``) or a registry
    address code (``address``); the point wins when both are given."""

    category: str = Field(min_length=1, max_length=16, description="A category code, e.g. 0401.")
    title: Text = Field(min_length=1, max_length=TITLE_MAX, description="A few words on what happened.")
    description: Text = Field("", max_length=DESCRIPTION_MAX)
    lon: float | None = Field(None, ge=-180, le=180, strict=True, allow_inf_nan=False)
    lat: float | None = Field(None, ge=-90, le=90, strict=True, allow_inf_nan=False)
    address: str | None = Field(None, max_length=64, description="A standard address code in your area.")
    address_text: Text = Field("", max_length=400, description="The place in words.")
    reporter_name: Text = Field("", max_length=64, description="Who called or came in, if anyone.")
    reporter_phone: Text = Field("", max_length=20)
    external_id: Text = Field("", max_length=64, description="The number another system gave it.")


class AlreadyTakenInOut(Schema):
    detail: str
    number: str | None = Field(description="The event holding the number, when you may see it.")


class EventCreatedOut(Schema):
    number: str
    tracking_code: str = Field(
        description="Given once, here: read it out to the caller, who follows, rates and reopens the "
        "event with it (and the last four digits of their phone). No other answer shows it."
    )
    status: str
    version: int
    possible_duplicates: list[str] = Field(
        description="The nearest (at most 10) open events of the same category within 100 m and 7 days "
        "that you can see, nearest first."
    )


class InboxItem(Schema):
    """One case of any type that is the caller's to do."""

    case_type: str
    number: str
    title: str
    status: str
    status_label: str
    holder_path: str
    holder_level: str
    assignee: StaffRef | None
    level: int
    opened_at: dt.datetime
    due_at: dt.datetime | None
    overdue: bool

    @staticmethod
    def resolve_case_type(case) -> str:
        return case.workflow.case_type

    @staticmethod
    def resolve_title(case) -> str:
        return str(getattr(case, "title", "") or "")

    @staticmethod
    def resolve_status_label(case) -> str:
        return str(case.status_label)


class MyReportOut(Schema):
    """One of the caller's own reports, as the reporter sees it: their words for its status, the
    category's name, the reply once it is done with; no staff, notes, holder or codes."""

    tracking_code: str
    title: str
    category: str = Field(description="The category's name.")
    status: str
    status_label: str = Field(description="The status in the words residents read.")
    reply: str = Field(description="The reply of the people who handled it, once the event is closed.")
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    rating: int | None

    @staticmethod
    def resolve_category(event) -> str:
        return category_label(event.category)

    @staticmethod
    def resolve_status_label(event) -> str:
        return event.public_status_label

    @staticmethod
    def resolve_reply(event) -> str:
        return event.public_reply
