"""The certificate's life on the casework kernel (the Ministry's 2021 rules on criminal-record
queries): submitted → issued or refused by the station within 3 working days; a refusal may be
reviewed (复查) once, by the level above (the county bureau), which issues or upholds it; an
issued certificate may be revoked."""

import datetime as dt
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import workcalendar
from fengqiao.core.casework import Move, State, Transition, Workflow, holder, roles
from fengqiao.core.notifications.actions import text_phone
from fengqiao.core.roles import Role
from fengqiao.selfservice import conf
from fengqiao.selfservice.choices import Status
from fengqiao.selfservice.models import Certificate

DECIDERS = (Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND)
REVIEWERS = (Role.COUNTY_BUREAU, Role.CITY_COMMAND)
OPEN = (Status.SUBMITTED, Status.IN_REVIEW)
SERIAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off paper

deciders = roles(*DECIDERS)


def reviewers(user, case) -> bool:
    """The level above the station that refused: posted where the review is held, or above."""
    return (user.is_superuser or user.role in REVIEWERS) and holder()(user, case)


def _no_public_door(user, case) -> bool:
    """A review is asked for by the applicant, by number and phone digits (no account)."""
    return False


def final_records(case):
    from fengqiao.selfservice.selectors import final_records_of

    return final_records_of(case.id_number_hash)


def new_serial(day: dt.date) -> str:
    return f"WFZ{day:%Y}" + "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(10))


def jurisdiction_of(station) -> str:
    """What the search covered: the register of the city bureau above the station."""
    unit = station
    while unit.parent_id is not None:
        unit = unit.parent
    return unit.name


def _issue(case: Certificate, move: Move) -> None:
    if final_records(case).exists():
        raise ValidationError(
            {
                "transition": [
                    _("A final judgement is on record for this ID number: the certificate cannot be issued.")
                ]
            }
        )
    case.serial = new_serial(timezone.localdate(move.at))
    case.decided_at = move.at
    case.valid_until = timezone.localdate(move.at) + dt.timedelta(days=conf.valid_days())
    case.jurisdiction = jurisdiction_of(case.station)
    case.record = None
    case.refusal_reason = ""


def _refuse(case: Certificate, move: Move) -> None:
    case.decided_at = move.at
    case.refusal_reason = move.note
    case.jurisdiction = jurisdiction_of(case.station)
    case.record = final_records(case).order_by("-judged_on").first()


def _no_final_record(case: Certificate):
    if final_records(case).exists():
        return gettext_lazy(
            "A final judgement is on record for this ID number: the certificate cannot be issued."
        )
    return None


def _ask_review(case: Certificate, move: Move) -> None:
    case.holder_path = case.holder_path.rsplit("/", 1)[0]


def _uphold(case: Certificate, move: Move) -> None:
    case.reviewed = True
    case.refusal_reason = f"{case.refusal_reason}\n{_('Review')}: {move.note}".strip()


def _review_possible(case: Certificate):
    return gettext_lazy("The refusal has been reviewed already.") if case.reviewed else None


def _revoke(case: Certificate, move: Move) -> None:
    case.revoked_at = move.at
    case.revoke_reason = move.note


def hours_per_day() -> float:
    return sum(
        (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).total_seconds()
        / 3600
        for start, end in workcalendar.working_periods()
    )


def _deadline(case: Certificate, status: str, start: dt.datetime):
    if status in OPEN:
        return workcalendar.deadline(start, conf.decision_days() * hours_per_day(), working=True)
    return None


def _recipients(case: Certificate, transition: Transition | None):
    """New: the station; a review asked for: the level above."""
    if transition is None or transition.name == "request_review":
        return get_user_model().list_posted_at(case.holder_path)
    return []


def _tell(case: Certificate, transition: Transition, from_status: str, actor) -> None:
    """The applicant hears of a decision by SMS, with the number to follow it by."""
    if transition.name not in ("issue", "refuse", "overturn", "uphold"):
        return
    text_phone(
        case.phone,
        kind="certificate_decided",
        title=_("Your no-criminal-record certificate application %(number)s: %(status)s")
        % {"number": case.number, "status": case.status_label},
        link="/certificates/track/",
        scope_path=case.scope_path,
    )


S = Status
T = Transition
TRANSITIONS = [
    T(
        "issue",
        gettext_lazy("issue the certificate"),
        (S.SUBMITTED,),
        S.ISSUED,
        deciders,
        effect=_issue,
        possible=_no_final_record,
    ),
    T("refuse", gettext_lazy("refuse"), (S.SUBMITTED,), S.REFUSED, deciders, needs_note=True, effect=_refuse),
    T(
        "request_review",
        gettext_lazy("ask for a review"),
        (S.REFUSED,),
        S.IN_REVIEW,
        _no_public_door,
        needs_note=True,
        public=True,
        effect=_ask_review,
        possible=_review_possible,
    ),
    T(
        "overturn",
        gettext_lazy("overturn and issue"),
        (S.IN_REVIEW,),
        S.ISSUED,
        reviewers,
        needs_note=True,
        effect=_issue,
    ),
    T(
        "uphold",
        gettext_lazy("uphold the refusal"),
        (S.IN_REVIEW,),
        S.REFUSED,
        reviewers,
        needs_note=True,
        effect=_uphold,
    ),
    T("revoke", gettext_lazy("revoke"), (S.ISSUED,), S.REVOKED, deciders, needs_note=True, effect=_revoke),
]

CERTIFICATE_WORKFLOW = Workflow(
    case_type="certificate",
    prefix="C",
    model=Certificate,
    states=[State(s, s.label, open=s in OPEN) for s in Status],
    transitions=TRANSITIONS,
    initial=S.SUBMITTED,
    deadline=_deadline,
    recipients=_recipients,
    tell=_tell,
    working_hours=True,
    escalation_limit=dt.timedelta(hours=8),
)
