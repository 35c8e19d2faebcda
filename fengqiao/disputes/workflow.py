"""The life of a dispute as a casework workflow (prefix TJ, 调解).

registered → mediating → resolved (with an agreement) / not resolved / referred (court,
arbitration, petition office) / terminated → follow-up visits → archived. The kind of mediation
(people's, public-order, joint: ``disputes.rules``) is chosen at registration and may change
until the agreement is recorded (``set_kind``). A public-order mediation that fails, or whose
agreement is not performed, goes on to the punishment procedure (``to_punishment``) instead of
ending as not resolved; its agreement has no judicial confirmation. Mediation sessions, the
agreement and its performance are steps too (the status stays), each on the timeline and in the
audit log with what it changed. Registration starts the
grade's response time (red: 2 hours by default); mediation must end within
``FENGQIAO_DISPUTE_LIMIT_DAYS`` (30) of registration, plus any extension the level above the
holder approved. Follow-up visits are themselves a step (``follow_up``), taken once per visit, so
each visit is on the timeline and in the audit log with the rest.
"""

import datetime as dt
import hashlib

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import audit
from fengqiao.core.casework import (
    Move,
    State,
    Transition,
    Workflow,
    either,
    extension_steps,
    holder,
    next_number,
)
from fengqiao.disputes import conf, rules
from fengqiao.disputes.choices import MediationKind, Outcome, Performance, Status
from fengqiao.disputes.inputs import (
    AgreementInput,
    FollowUpInput,
    JudicialInput,
    KindInput,
    PerformanceInput,
    ReferInput,
    SessionInput,
)
from fengqiao.disputes.models import Agreement, Dispute, FollowUp, MediationSession

S = Status
BEFORE_OUTCOME = (S.REGISTERED, S.MEDIATING)
OUTCOMES = (S.RESOLVED, S.NOT_RESOLVED, S.REFERRED, S.TERMINATED)
MAX_EXTENSION_DAYS = 60
AGREEMENT_PREFIX = "TJXY"
AGREEMENT_FIELDS = ["form", "terms", "performance_method", "perform_by", "signed_on"]


def mediator(user, dispute) -> bool:
    return dispute.mediators.filter(pk=user.pk).exists()


# Whoever holds the dispute (the district and the units above it), its lead officer and its mediators.
staff = either(holder(), mediator)


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


def _set_kind(dispute: Dispute, move: Move) -> None:
    """Choose the kind of mediation (and its committee) before the agreement is made."""
    if Agreement.objects.filter(dispute=dispute).exists():
        raise ValidationError({"kind": [_("The agreement is recorded: its kind of mediation stays.")]})
    committee = rules.check_kind(
        move.data["kind"],
        category=dispute.category,
        origin_event=dispute.origin_event,
        committee=move.data["committee"],
        community=dispute.grid.community.name,
    )
    dispute.kind, dispute.committee = move.data["kind"], committee  # the engine audits the change


def _public_order_only(dispute: Dispute):
    if dispute.kind != MediationKind.PUBLIC_ORDER:
        return _("Only a public-order mediation goes on to the punishment procedure.")
    if dispute.status != S.MEDIATING:
        agreement = Agreement.objects.filter(dispute=dispute).first()
        if agreement is None or agreement.performance != Performance.BREACHED:
            return _("Only when the agreement is not performed.")
    return None


def _not_public_order(dispute: Dispute):
    if dispute.kind == MediationKind.PUBLIC_ORDER:
        return _("A public-order mediation that fails goes on to the punishment procedure.")
    return None


def _confirmable(dispute: Dispute):
    if not rules.may_be_confirmed(dispute.kind):
        return _("A public-order mediation agreement is not judicially confirmed.")
    return None


def _to_punishment(dispute: Dispute, move: Move) -> None:
    """Public-order mediation failed or its agreement is not performed: the station deals with the
    case under the Punishments Law (art. 9), and the dispute's outcome is not resolved."""
    dispute.to_punishment = True
    _outcome(Outcome.NOT_RESOLVED)(dispute, move)


def _refer(dispute: Dispute, move: Move) -> None:
    dispute.referred_to = move.data["to"]
    _outcome(Outcome.REFERRED)(dispute, move)


def _session(dispute: Dispute, move: Move) -> None:
    session = MediationSession.objects.create(dispute=dispute, recorded_by=move.actor, **move.data)
    move.after.update(session=session.pk, held_on=session.held_on, place=session.place)


def content_hash(dispute: Dispute, agreement: Agreement) -> str:
    """The fingerprint of what the agreement says: printed on it and shown by the verification page."""
    parties = [(p.role, p.name, p.id_number) for p in dispute.parties.order_by("role", "id")]
    text = "\n".join(
        [
            agreement.serial,
            agreement.form,
            agreement.signed_on.isoformat(),
            repr(parties),
            dispute.facts,
            dispute.points,
            agreement.terms,
            agreement.performance_method,
            agreement.perform_by.isoformat(),
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _agreement(dispute: Dispute, move: Move) -> None:
    """Record the agreement the parties reached or, while still mediating, correct it."""
    agreement = Agreement.objects.filter(dispute=dispute).first()
    if agreement is None:
        county = dispute.scope_path.split("/")[1]
        serial = next_number(AGREEMENT_PREFIX, county, move.data["signed_on"])
        agreement = Agreement(dispute=dispute, serial=serial)
    else:
        move.before.update(audit.snapshot(agreement, AGREEMENT_FIELDS))
    for name in AGREEMENT_FIELDS:
        setattr(agreement, name, move.data[name])
    agreement.made_by = move.actor
    agreement.content_hash = content_hash(dispute, agreement)
    agreement.save()
    move.after.update(audit.snapshot(agreement, ["serial", *AGREEMENT_FIELDS, "content_hash"]))


def _agreement_of(dispute: Dispute, field: str) -> Agreement:
    agreement = Agreement.objects.filter(dispute=dispute).first()
    if agreement is None:
        raise ValidationError({field: [_("This dispute has no agreement yet.")]})
    return agreement


def _change(agreement: Agreement, move: Move, **values) -> None:
    """Change the dispute's agreement, its before and after in the move's audit entry."""
    move.before.update(audit.snapshot(agreement, list(values)))
    for name, value in values.items():
        setattr(agreement, name, value)
    agreement.save(update_fields=[*values, "updated_at"])
    move.after.update(audit.snapshot(agreement, list(values)))


def _perform(dispute: Dispute, move: Move, performance: str) -> None:
    """The one writer of an agreement's performance: recorded on its own or seen on a visit."""
    agreement = _agreement_of(dispute, "performance")
    _change(
        agreement, move, performance=performance, performance_note=move.note, performance_updated_at=move.at
    )


def _judicial(dispute: Dispute, move: Move) -> None:
    """The parties applied for the court's confirmation within the window after the agreement."""
    agreement = _agreement_of(dispute, "applied_on")
    applied = move.data["applied_on"]
    if not agreement.signed_on <= applied <= agreement.judicial_window_closes:
        message = _("The parties may apply within %(days)s days of the agreement, by %(date)s.") % {
            "days": conf.judicial_days(),
            "date": agreement.judicial_window_closes,
        }
        raise ValidationError({"applied_on": [message]})
    _change(
        agreement,
        move,
        judicial_applied_on=applied,
        judicial_confirmed_on=move.data["confirmed_on"],
        judicial_court=move.data["court"].strip(),
    )


def _visit(dispute: Dispute, move: Move) -> None:
    """A follow-up visit: what was found, and how the agreement is being performed."""
    FollowUp.objects.create(dispute=dispute, note=move.note, visited_by=move.actor, **move.data)
    if move.data["performance"]:
        _perform(dispute, move, move.data["performance"])


def _extended(dispute: Dispute, days: int) -> None:
    dispute.extended_days += days  # the mediation limit runs from registration: it counts them


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
        possible=_not_public_order,
    ),
    T(
        "to_punishment",
        gettext_lazy("hand over to the punishment procedure"),
        (S.MEDIATING, S.RESOLVED, S.FOLLOW_UP),
        S.NOT_RESOLVED,
        staff,
        needs_note=True,
        effect=_to_punishment,
        possible=_public_order_only,
    ),
    T(
        "refer",
        gettext_lazy("refer"),
        BEFORE_OUTCOME,
        S.REFERRED,
        staff,
        needs_note=True,
        effect=_refer,
        input=ReferInput,
    ),
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
        input=FollowUpInput,
    ),
    T("archive", gettext_lazy("archive"), (S.FOLLOW_UP,), S.ARCHIVED, staff),
    T(
        "set_kind",
        gettext_lazy("change the kind of mediation"),
        BEFORE_OUTCOME,
        None,
        staff,
        effect=_set_kind,
        input=KindInput,
        possible=lambda dispute: (
            _("The agreement is recorded: its kind of mediation stays.")
            if Agreement.objects.filter(dispute=dispute).exists()
            else None
        ),
    ),
    T(
        "record_session",
        gettext_lazy("record a mediation session"),
        (S.MEDIATING,),
        None,
        staff,
        effect=_session,
        input=SessionInput,
    ),
    T(
        "record_agreement",
        gettext_lazy("record the agreement"),
        (S.MEDIATING,),
        None,
        staff,
        effect=_agreement,
        input=AgreementInput,
    ),
    T(
        "record_performance",
        gettext_lazy("record the performance"),
        (S.MEDIATING, *OUTCOMES, S.FOLLOW_UP),
        None,
        staff,
        effect=lambda dispute, move: _perform(dispute, move, move.data["performance"]),
        input=PerformanceInput,
    ),
    T(
        "record_judicial",
        gettext_lazy("record judicial confirmation"),
        (S.MEDIATING, *OUTCOMES, S.FOLLOW_UP),
        None,
        staff,
        effect=_judicial,
        input=JudicialInput,
        possible=_confirmable,
    ),
    *extension_steps(
        BEFORE_OUTCOME,
        allowed=staff,
        asks="days",
        pending="extension_days",
        unit=dt.timedelta(days=1),
        most=MAX_EXTENSION_DAYS,
        label=gettext_lazy("Extra days"),
        granted=_extended,
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
