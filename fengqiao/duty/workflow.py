"""A shift swap's life on the casework kernel: staff A asks (the colleague B is its assignee) →
B agrees or declines → the chief of the station approves (the two assignments are exchanged and
the roster's rules checked again: a swap that breaks one is refused naming it) or refuses. A
may withdraw while it is open. No deadline climbs the ladder: a swap past its shift's day can
no longer be agreed or approved."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core.casework import Move, State, Transition, Workflow
from fengqiao.core.roles import Role
from fengqiao.core.scoping import path_within, scope_prefixes
from fengqiao.duty.choices import SwapStatus
from fengqiao.duty.models import Roster, SwapRequest
from fengqiao.geo.choices import UnitKind

APPROVERS = {Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND}
OPEN = (SwapStatus.ASKED, SwapStatus.AGREED)
UNSCOPED_LOCK = "duty: an approval locks the roster whose shifts it exchanges"


def approving_unit_path(swap: SwapRequest) -> str:
    """Where the chief who decides is posted: the roster's station (a district's roster: the
    station above it)."""
    unit = swap.roster.unit
    return unit.parent.path if unit.kind == UnitKind.DISTRICT and unit.parent_id else unit.path


def _partner(user, case) -> bool:
    return user.pk == case.partner_id


def _requester(user, case) -> bool:
    return user.pk == case.requester_id


def _chief(user, case) -> bool:
    """The station's chief or the bureaus above, over the roster's unit, and not a party to the
    swap (nobody approves their own)."""
    if user.pk in (case.requester_id, case.partner_id):
        return False
    if not (user.is_superuser or user.role in APPROVERS):
        return False
    return path_within(case.scope_path, scope_prefixes(user))


def too_late(case):
    """A swap of a shift whose day has come is too late."""
    first = min(d for d in (case.day, case.partner_day) if d is not None)
    if first <= timezone.localdate():
        return gettext_lazy("The shift's day has come: it is too late to swap it.")
    return None


def _agree(case: SwapRequest, move: Move) -> None:
    case.assignee = None
    case.holder_path = approving_unit_path(case)


def _approve(case: SwapRequest, move: Move) -> None:
    from fengqiao.duty import swaps

    # one change to a roster's shifts at a time: approvals and proposals take the roster's row
    list(
        Roster.objects.unscoped(reason=UNSCOPED_LOCK).select_for_update().filter(pk=case.roster_id).order_by()
    )
    exchange = swaps.exchange_for(case)
    broken = swaps.refusal(exchange)
    if broken:
        raise ValidationError(
            {"transition": [_("The swap would break the rules of the roster:")] + broken[:10]}
        )
    swaps.write(exchange)
    move.after["moved"] = [m[0] for m in exchange.moves]


def _recipients(case: SwapRequest, transition: Transition | None):
    users = get_user_model()
    if transition is None:
        return [case.partner]
    if transition.name == "agree":
        return [u for u in users.list_posted_at(case.holder_path) if u.role in APPROVERS]
    if transition.name == "withdraw":
        return [case.partner]
    return [case.requester, case.partner]


S = SwapStatus
T = Transition
TRANSITIONS = [
    T(
        "agree",
        gettext_lazy("agree to the swap"),
        (S.ASKED,),
        S.AGREED,
        _partner,
        effect=_agree,
        possible=too_late,
    ),
    T("decline", gettext_lazy("decline the swap"), (S.ASKED,), S.DECLINED, _partner),
    T(
        "approve",
        gettext_lazy("approve the swap"),
        (S.AGREED,),
        S.APPROVED,
        _chief,
        effect=_approve,
        possible=too_late,
    ),
    T("refuse", gettext_lazy("refuse the swap"), (S.AGREED,), S.REFUSED, _chief, needs_note=True),
    T("withdraw", gettext_lazy("withdraw the request"), OPEN, S.WITHDRAWN, _requester),
]

SWAP_WORKFLOW = Workflow(
    case_type="duty_swap",
    prefix="SW",
    model=SwapRequest,
    states=[State(s, s.label, open=s in OPEN) for s in SwapStatus],
    transitions=TRANSITIONS,
    initial=S.ASKED,
    recipients=_recipients,
)
