"""What a swap does to a roster, judged by the coverage check (``duty.coverage.check``): the
roster's slots with the two shifts exchanged (or the one handed over), and the breaches of the
rules that the exchange would add. The rules are never written here a second time."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fengqiao.duty import selectors
from fengqiao.duty.coverage import Breach, check
from fengqiao.duty.models import Assignment, SwapRequest
from fengqiao.duty.problem import Problem, Slot
from fengqiao.geo.models import PoliceUnit


@dataclass
class Exchange:
    """The roster before and after the swap, and the rows to change."""

    problem: Problem
    before: list[Slot]
    after: list[Slot]
    # (assignment id, then its new day, shift id, area path and person) for each row that moves
    moves: list[tuple[int, object, int, str, int]]

    def added_breaches(self) -> list[Breach]:
        """What the swap breaks that was not broken already (a roster with a gap elsewhere may
        still swap two shifts that keep every rule)."""
        known = set(check(self.problem, self.before))
        return [b for b in check(self.problem, self.after) if b not in known]


def _area_for(problem: Problem, person: int, area: str) -> str:
    """Where the new holder of a shift works it: the shift's own area where they may work there,
    else the roster's unit (whose coverage the check then judges)."""
    return area if area in problem.areas_of(problem.person(person)) else problem.unit


def _slot(problem, slots, person: int, day, shift_id: int, who: str) -> Slot:
    index = (day - problem.month).days
    for slot in slots:
        if slot.person == person and slot.day == index and slot.shift == shift_id:
            return slot
    raise ValidationError(
        {
            "transition": [
                _("The roster has changed: %(name)s no longer works that shift on %(day)s.")
                % {"name": who, "day": day.isoformat()}
            ]
        }
    )


def exchange_for(swap: SwapRequest) -> Exchange:
    """The swap applied to the roster as it stands now (the roster may have been proposed again
    since it was asked for)."""
    problem = selectors.problem_for(swap.roster)
    before = selectors.slots_of(swap.roster, problem)
    keys = {p.key for p in problem.people}
    for user in (swap.requester, swap.partner):
        if user.pk not in keys:
            raise ValidationError(
                {"transition": [_("%(name)s is no longer on this roster.") % {"name": user}]}
            )
    mine = _slot(problem, before, swap.requester_id, swap.day, swap.shift_id, str(swap.requester))
    after = [s for s in before if s != mine]
    to_partner = Slot(swap.partner_id, mine.day, mine.shift, _area_for(problem, swap.partner_id, mine.area))
    after.append(to_partner)
    rows = Assignment.objects.filter(roster=swap.roster)
    own_row = rows.get(user_id=swap.requester_id, day=swap.day, shift_id=swap.shift_id).pk
    moves = []
    if swap.is_handover:
        moves.append((own_row, swap.day, mine.shift, to_partner.area, swap.partner_id))
    else:
        theirs = _slot(
            problem, before, swap.partner_id, swap.partner_day, swap.partner_shift_id, str(swap.partner)
        )
        after.remove(theirs)
        to_me = Slot(
            swap.requester_id, theirs.day, theirs.shift, _area_for(problem, swap.requester_id, theirs.area)
        )
        after.append(to_me)
        their_row = rows.get(user_id=swap.partner_id, day=swap.partner_day, shift_id=swap.partner_shift_id).pk
        # each row keeps its person and takes the other's day, shift and area: on the same day
        # no moment holds two rows of one person and day
        moves.append((own_row, swap.partner_day, theirs.shift, to_me.area, swap.requester_id))
        moves.append((their_row, swap.day, mine.shift, to_partner.area, swap.partner_id))
    return Exchange(problem, before, after, moves)


def refusal(exchange: Exchange) -> list[str]:
    """The rules the swap would break, as sentences naming the rule, who or where, and when."""
    return [b.sentence() for b in exchange.added_breaches()]


def write(exchange: Exchange) -> None:
    """Move the rows (inside the caller's transaction, after the check said yes)."""
    areas = dict(PoliceUnit.objects.filter(path__in={m[3] for m in exchange.moves}).values_list("path", "pk"))
    for pk, day, shift_id, area, user_id in exchange.moves:
        Assignment.objects.filter(pk=pk).update(
            day=day, shift_id=shift_id, area_id=areas[area], user_id=user_id
        )
