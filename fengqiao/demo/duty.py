"""Duty rosters in the demo city (issue 17 §4, §7): for every police station, its shift templates
(a regular, a flexible office and a staggered evening shift), the rules of its rosters as data
(the station held 09:00–17:00 every day and into the evening on Fridays and Saturdays, reception
hours at each police district's office on weekday mornings, 11 hours of rest, 48 hours a week,
the community officer in the district four days a week) and this month's roster proposed by the
solver through ``duty.actions`` (audited like a planner's). A station's people are its chief and
the community officers of its districts (the demo has no auxiliaries).

The solver stops at the first roster that meets every rule (``first_only``): under a second a
station; a station whose rules cannot be met keeps a draft naming the rule in conflict, as the
roster page shows it."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import Posting
from fengqiao.core.models import CaseCounter, TimelineEntry
from fengqiao.core.roles import Role
from fengqiao.duty import actions
from fengqiao.duty.choices import ShiftKind
from fengqiao.duty.models import Assignment, DutyRule, Leave, Roster, ShiftTemplate, SwapRequest
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit

UNSCOPED = "demo: the generator fills and clears the duty rosters"
SHIFTS = (
    ("早", "早班", ShiftKind.REGULAR, 8, 8),
    ("办", "办公班", ShiftKind.FLEXIBLE, 9, 8),
    ("晚", "晚班", ShiftKind.STAGGERED, 14, 8),
)
FRIDAY, SATURDAY = 4, 5
WEEKDAYS = [0, 1, 2, 3, 4]
SOLVER_SECONDS = 10.0


def _rules(actor, station: PoliceUnit, districts: list[PoliceUnit]) -> int:
    def rule(kind, value, **kw):
        actions.save_rule(actor=actor, unit=station, kind=kind, value=value, **kw)

    rule("coverage", 1, area=station, start_hour=9, end_hour=17)
    rule("coverage", 1, area=station, weekdays=[FRIDAY, SATURDAY], start_hour=17, end_hour=22)
    for district in districts:
        rule("reception", 1, area=district, weekdays=WEEKDAYS, start_hour=9, end_hour=12)
    rule("rest", 11)
    rule("weekly_hours", 48)
    rule("district_days", 4)
    return 5 + len(districts)


def generate(*, actor, scale: float, seed: int, today: dt.date | None = None) -> dict[str, int] | None:
    """Shifts, rules and this month's proposed roster for every station; None when rosters exist."""
    if (
        Roster.objects.unscoped(reason=UNSCOPED).exists()
        or ShiftTemplate.objects.unscoped(reason=UNSCOPED).exists()
    ):
        return None
    month = (today or timezone.localdate()).replace(day=1)
    stations = list(PoliceUnit.objects.filter(kind=UnitKind.STATION).order_by("path"))
    # reception hours where a community officer keeps the district's office
    staffed = set(
        Posting.objects.filter(
            user__role=Role.COMMUNITY_OFFICER, user__is_active=True, unit__kind=UnitKind.DISTRICT
        ).values_list("unit_id", flat=True)
    )
    districts = list(PoliceUnit.objects.filter(kind=UnitKind.DISTRICT, pk__in=staffed).order_by("path"))
    counts = {"shifts": 0, "rules": 0, "proposed": 0, "drafts": 0, "assignments": 0}
    for station in stations:
        own = [d for d in districts if d.path.startswith(station.path + "/")]
        with transaction.atomic():
            for code, name, kind, start, hours in SHIFTS:
                actions.save_shift(
                    actor=actor,
                    unit=station,
                    code=code,
                    name=name,
                    kind=kind,
                    start=dt.time(start),
                    hours=hours,
                )
            counts["shifts"] += len(SHIFTS)
            counts["rules"] += _rules(actor, station, own)
            roster = actions.create_roster(actor=actor, unit=station, month=month)
        try:
            proposal = actions.propose_roster(roster, actor=actor, seconds=SOLVER_SECONDS, first_only=True)
        except ValidationError as error:  # nobody posted at the station: it stays a draft
            actions.proposal_failed(roster, " ".join(error.messages))
            counts["drafts"] += 1
            continue
        if proposal.feasible:
            counts["proposed"] += 1
            counts["assignments"] += len(proposal.slots)
        else:
            counts["drafts"] += 1
    return {
        _("shift templates"): counts["shifts"],
        _("duty rules"): counts["rules"],
        _("rosters proposed"): counts["proposed"],
        _("rosters left as drafts"): counts["drafts"],
        _("shifts on the rosters"): counts["assignments"],
    }


def clear() -> None:
    """Remove every row of the duty rosters (before the city they refer to goes)."""
    swaps = SwapRequest.objects.unscoped(reason=UNSCOPED)
    with transaction.atomic():
        TimelineEntry.objects.filter(case_type="duty_swap", case_id__in=swaps.values("pk")).delete()
        swaps.delete()
        CaseCounter.objects.filter(prefix="SW").delete()
        Assignment.objects.filter(roster__in=Roster.objects.unscoped(reason=UNSCOPED).values("pk")).delete()
        Roster.objects.unscoped(reason=UNSCOPED).delete()
        Leave.objects.unscoped(reason=UNSCOPED).delete()
        DutyRule.objects.unscoped(reason=UNSCOPED).delete()
        ShiftTemplate.objects.unscoped(reason=UNSCOPED).delete()
