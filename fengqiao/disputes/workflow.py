"""The life of a dispute as a casework workflow (prefix TJ, 调解).

registered → mediating → resolved (with an agreement) / not resolved / referred (court,
arbitration, petition office) / terminated → follow-up visits → archived. Registration starts the
grade's response time (red: 2 hours by default); mediation must end within
``FENGQIAO_DISPUTE_LIMIT_DAYS`` (30) of registration, plus any extension the level above the
holder approved. Follow-up visits are themselves a step (``follow_up``), taken once per visit, so
each visit is on the timeline and in the audit log with the rest.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core.casework import Move, State, Transition, Workflow, above_holder, either, holder
from fengqiao.core.params import whole_number
from fengqiao.disputes import conf
from fengqiao.disputes.choices import Outcome, Performance, ReferredTo, Status, VisitMethod
from fengqiao.disputes.models import Agreement, Dispute, FollowUp

S = Status
BEFORE_OUTCOME = (S.REGISTERED, S.MEDIATING)
OUTCOMES = (S.RESOLVED, S.NOT_RESOLVED, S.REFERRED, S.TERMINATED)
MAX_EXTENSION_DAYS = 60


def mediator(user, dispute) -> bool:
    return dispute.mediators.filter(pk=user.pk).exists()


# Whoever holds the dispute (the district and the units above it), its lead officer and its mediators.
staff = either(holder(), mediator)


def parse_date(value, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise ValidationError({field: [_("Give a date as YYYY-MM-DD.")]}) from None


# ---------------------------------------------------------------------------------------------
# effects


def _start(dispute: Dispute, move: Move) -> None:
    """Whoever starts mediating leads it unless someone already does."""
    if dispute.assignee_id is None:
        dispute.assignee = move.actor
    if not dispute.mediators.exists():
        dispute.mediators.add(move.actor)


def _outcome(value: str):
    def effect(dispute: Dispute, move: Move) -> None:
        dispute.outcome = value
        dispute.outcome_at = move.at

    return effect


def _resolve(dispute: Dispute, move: Move) -> None:
    if not Agreement.objects.filter(dispute=dispute).exists():
        raise ValidationError({"agreement": [_("Record the agreement first: a resolved dispute has one.")]})
    _outcome(Outcome.RESOLVED)(dispute, move)


def _refer(dispute: Dispute, move: Move) -> None:
    to = str(move.data.get("to") or "").strip()
    if to not in ReferredTo.values:
        raise ValidationError({"to": [_("Say where it goes: a court, arbitration or the petition office.")]})
    dispute.referred_to = to
    _outcome(Outcome.REFERRED)(dispute, move)


def _visit(dispute: Dispute, move: Move) -> None:
    """A follow-up visit: what was found, and how the agreement is being performed."""
    today = timezone.localdate(move.at)  # the local day: in UTC it is still yesterday until 08:00
    visited_on = parse_date(move.data.get("visited_on") or today, "visited_on")
    if visited_on > today:
        raise ValidationError({"visited_on": [_("A visit cannot be in the future.")]})
    method = str(move.data.get("method") or VisitMethod.VISIT)
    if method not in VisitMethod.values:
        raise ValidationError({"method": [_("Unknown value: %(value)s.") % {"value": method}]})
    performance = str(move.data.get("performance") or "")
    if performance and performance not in Performance.values:
        raise ValidationError({"performance": [_("Unknown value: %(value)s.") % {"value": performance}]})
    FollowUp.objects.create(
        dispute=dispute,
        visited_on=visited_on,
        method=method,
        performance=performance,
        note=move.note,
        visited_by=move.actor,
    )
    if performance:
        Agreement.objects.filter(dispute=dispute).update(
            performance=performance, performance_updated_at=move.at
        )


def _request_extension(dispute: Dispute, move: Move) -> None:
    dispute.extension_days = whole_number(move.data.get("days"), "days", low=1, high=MAX_EXTENSION_DAYS)


def _approve_extension(dispute: Dispute, move: Move) -> None:
    if not dispute.extension_days:
        raise ValidationError({"transition": [_("No extension has been requested.")]})
    extra = dt.timedelta(days=dispute.extension_days)
    dispute.extended_days += dispute.extension_days
    if dispute.due_at is not None:
        dispute.due_at += extra
        share = dispute.workflow.remind_share
        dispute.remind_at = dispute.due_at - (dispute.due_at - dispute.step_started_at) * share
        dispute.reminded = False
    dispute.extension_days = None


def _refuse_extension(dispute: Dispute, move: Move) -> None:
    if not dispute.extension_days:
        raise ValidationError({"transition": [_("No extension has been requested.")]})
    dispute.extension_days = None


# ---------------------------------------------------------------------------------------------


def _deadline(dispute: Dispute, status: str, start: dt.datetime):
    """The grade's response time to start mediating; a month (and extensions) from registration to end it."""
    if status == S.REGISTERED:
        hours = conf.grades().get(dispute.grade, max(conf.grades().values()))
        return start + dt.timedelta(hours=hours)
    if status == S.MEDIATING:
        return dispute.opened_at + dt.timedelta(days=conf.limit_days() + dispute.extended_days)
    return None


def _recipients(dispute: Dispute, transition: Transition | None):
    User = get_user_model()
    users = {u.pk: u for u in User.posted_at(dispute.holder_path)}
    if dispute.pk:
        for user in dispute.mediators.all():
            users[user.pk] = user
    if dispute.assignee is not None:
        users[dispute.assignee.pk] = dispute.assignee
    return list(users.values())


STATES = [
    State(S.REGISTERED, gettext_lazy("registered")),
    State(S.MEDIATING, gettext_lazy("mediating")),
    State(S.RESOLVED, gettext_lazy("resolved")),
    State(S.NOT_RESOLVED, gettext_lazy("not resolved")),
    State(S.REFERRED, gettext_lazy("referred")),
    State(S.TERMINATED, gettext_lazy("terminated")),
    State(S.FOLLOW_UP, gettext_lazy("follow-up visits")),
    State(S.ARCHIVED, gettext_lazy("archived"), open=False),
]

T = Transition
TRANSITIONS = [
    T("start", gettext_lazy("start mediating"), (S.REGISTERED,), S.MEDIATING, staff, effect=_start),
    T("resolve", gettext_lazy("record as resolved"), (S.MEDIATING,), S.RESOLVED, staff, effect=_resolve),
    T(
        "fail",
        gettext_lazy("record as not resolved"),
        (S.MEDIATING,),
        S.NOT_RESOLVED,
        staff,
        needs_note=True,
        effect=_outcome(Outcome.NOT_RESOLVED),
    ),
    T("refer", gettext_lazy("refer"), BEFORE_OUTCOME, S.REFERRED, staff, needs_note=True, effect=_refer),
    T(
        "terminate",
        gettext_lazy("terminate"),
        BEFORE_OUTCOME,
        S.TERMINATED,
        staff,
        needs_note=True,
        effect=_outcome(Outcome.TERMINATED),
    ),
    T(
        "follow_up",
        gettext_lazy("record a follow-up visit"),
        (*OUTCOMES, S.FOLLOW_UP),
        S.FOLLOW_UP,
        staff,
        needs_note=True,
        effect=_visit,
    ),
    T("archive", gettext_lazy("archive"), (S.FOLLOW_UP,), S.ARCHIVED, staff),
    T(
        "request_extension",
        gettext_lazy("request an extension"),
        BEFORE_OUTCOME,
        None,
        staff,
        needs_note=True,
        effect=_request_extension,
    ),
    T(
        "approve_extension",
        gettext_lazy("approve the extension"),
        BEFORE_OUTCOME,
        None,
        above_holder,
        effect=_approve_extension,
    ),
    T(
        "refuse_extension",
        gettext_lazy("refuse the extension"),
        BEFORE_OUTCOME,
        None,
        above_holder,
        needs_note=True,
        effect=_refuse_extension,
    ),
]

DISPUTE_WORKFLOW = Workflow(
    case_type="dispute",
    prefix="TJ",
    model=Dispute,
    states=STATES,
    transitions=TRANSITIONS,
    initial=S.REGISTERED,
    deadline=_deadline,
    recipients=_recipients,
    escalation_limit=dt.timedelta(days=3),
)
