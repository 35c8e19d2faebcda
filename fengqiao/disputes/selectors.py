"""Reads of the ledger, always through the reader's scope: the ledger and one dispute, the one
filter vocabulary that the list page, the API and every figure's link share, the quota board,
the screening returns and the agreements whose judicial window is closing."""

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.params import ParamFilter, start_of
from fengqiao.core.roles import Role
from fengqiao.core.scoping import get_visible_or_404, path_within, scope_prefixes, scope_q
from fengqiao.disputes import conf
from fengqiao.disputes.choices import AgreementForm, Category, Outcome, Performance, Source, Status
from fengqiao.disputes.models import Agreement, Dispute, ScreeningReturn
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit

OPEN = [s for s in Status.values if s != Status.ARCHIVED]


def disputes_for(user):
    # A list never draws a grid's outline: it is left in the database.
    return Dispute.objects.visible_to(user).select_related("grid", "assignee").defer("grid__geometry")


def dispute_for(user, number: str) -> Dispute:
    return get_visible_or_404(
        Dispute.objects.select_related("grid", "grid__district", "assignee", "registered_by", "origin_event"),
        user,
        number=number,
    )


@dataclass
class DisputeFilter(ParamFilter):
    """Query-string filters: ``?category=neighbours&outcome=resolved&opened_from=2026-01-01``."""

    status: str = ""  # a status, or "open"
    outcome: str = ""
    category: str = ""
    source: str = ""
    grade: str = ""
    unit: str = ""  # a tree path: disputes that arose at or under it
    grid: str = ""  # a grid code
    assignee: str = ""  # the lead officer's username
    lead_in: str = ""  # a tree path: disputes led by a community officer posted at or under it
    opened_from: str = ""
    opened_to: str = ""  # inclusive dates
    outcome_from: str = ""
    outcome_to: str = ""
    kept: str = ""  # "1": kept from turning criminal
    repeated: str = ""  # "1"
    flagged: str = ""  # "1"
    agreement: str = ""  # "written" / "oral"
    performed: str = ""  # "1": the agreement is performed
    overdue: str = ""  # "1"
    q: str = ""  # number or words of the title

    def apply(self, qs):
        """Narrow a scoped queryset. Unknown values are errors naming the parameter."""
        if self.status == "open":
            qs = qs.filter(status__in=OPEN)
        elif self.status:
            qs = qs.filter(status=self._choice("status", Status.values))
        if self.outcome:
            qs = qs.filter(outcome=self._choice("outcome", Outcome.values))
        if self.category:
            qs = qs.filter(category=self._choice("category", Category.values))
        if self.source:
            qs = qs.filter(source=self._choice("source", Source.values))
        if self.grade:
            qs = qs.filter(grade=self._choice("grade", list(conf.grades())))
        if self.unit:
            qs = self._under(qs, self.unit)
        if self.grid:
            qs = qs.filter(grid__code=self.grid)
        if self.assignee:
            qs = qs.filter(assignee__username=self.assignee)
        if self.lead_in:
            path = self.lead_in.rstrip("/")
            led = get_user_model().objects.filter(
                scope_q([path], "postings__unit__path"),
                role=Role.COMMUNITY_OFFICER,
            )
            qs = qs.filter(assignee__in=led.values("pk"))
        qs = self._between(qs, "opened_at", "opened_from", "opened_to")
        qs = self._between(qs, "outcome_at", "outcome_from", "outcome_to")
        if self.kept == "1":
            qs = qs.filter(kept_from_criminal=True)
        if self.repeated == "1":
            qs = qs.filter(repeated=True)
        if self.flagged == "1":
            qs = qs.filter(flagged=True)
        if self.agreement:
            qs = qs.filter(agreement__form=self._choice("agreement", AgreementForm.values))
        if self.performed == "1":
            qs = qs.filter(agreement__performance=Performance.PERFORMED)
        if self.overdue == "1":
            qs = qs.filter(status__in=OPEN, due_at__lte=timezone.now())
        if self.q:
            qs = qs.filter(Q(number__icontains=self.q) | Q(title__icontains=self.q))
        return qs


def ledger_url(**params) -> str:
    """The ledger filtered by these parameters: where every figure links."""
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return reverse("dispute_list") + ("?" + urlencode(clean) if clean else "")


# ---------------------------------------------------------------------------------------------
# months


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following - dt.timedelta(days=1)


def parse_month(value, default: dt.date | None = None) -> dt.date:
    if not value:
        return (default or timezone.localdate()).replace(day=1)
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text + "-01" if len(text) == 7 else text).replace(day=1)
    except ValueError:
        raise ValidationError({"month": [_("Give a month as YYYY-MM.")]}) from None


# ---------------------------------------------------------------------------------------------
# the officers in a reader's scope


@dataclass
class Officer:
    user: object
    district: PoliceUnit

    @property
    def station(self):
        return self.district.parent

    @property
    def county(self):
        return self.district.parent.parent if self.district.parent_id else None


def officers_in_scope(user) -> list[Officer]:
    """Active community officers posted at a police district the reader may see, one row per posting."""
    prefixes = scope_prefixes(user)
    if prefixes == []:
        return []
    User = get_user_model()
    rows = []
    officers = (
        User.objects.filter(
            role=Role.COMMUNITY_OFFICER, is_active=True, postings__unit__kind=UnitKind.DISTRICT
        )
        .distinct()
        .prefetch_related("postings__unit__parent__parent")
        .order_by("username")
    )
    for officer in officers:
        for posting in officer.postings.all():
            unit = posting.unit
            if unit is not None and unit.kind == UnitKind.DISTRICT and path_within(unit.path, prefixes):
                rows.append(Officer(officer, unit))
                break  # credited to one district: their first
    return sorted(rows, key=lambda r: (r.district.path, r.user.username))


# ---------------------------------------------------------------------------------------------
# the quota board


@dataclass
class QuotaRow:
    label: str
    path: str
    resolved: int
    quota: int
    officers: int = 1
    met: int = 0  # officers at or over the quota
    link: str = ""
    officer: object | None = None
    district: PoliceUnit | None = None

    @property
    def share(self) -> float:
        return self.resolved / self.quota if self.quota else 0.0

    @property
    def short(self) -> int:
        return max(self.quota - self.resolved, 0)


@dataclass
class QuotaBoard:
    month: dt.date
    quota: int
    officers: list[QuotaRow] = field(default_factory=list)
    stations: list[QuotaRow] = field(default_factory=list)
    counties: list[QuotaRow] = field(default_factory=list)


def quota_board(user, month: dt.date) -> QuotaBoard:
    """Each community officer's disputes resolved in the month (as lead officer) against the quota,
    rolled up by station and county. Only disputes the reader may see are counted."""
    first, last = month_bounds(month)
    quota = conf.quota()
    officers = officers_in_scope(user)
    board = QuotaBoard(month=first, quota=quota)
    if not officers:
        return board
    counts = dict(
        disputes_for(user)
        .filter(
            outcome=Outcome.RESOLVED,
            outcome_at__gte=start_of(first),
            outcome_at__lt=start_of(last + dt.timedelta(days=1)),
            assignee__in=[o.user.pk for o in officers],
        )
        .order_by()
        .values_list("assignee")
        .annotate(n=Count("pk"))
    )
    dates = {"outcome": Outcome.RESOLVED, "outcome_from": first.isoformat(), "outcome_to": last.isoformat()}
    rollups: dict[str, dict[int, QuotaRow]] = {"station": {}, "county": {}}
    for o in officers:
        n = counts.get(o.user.pk, 0)
        row = QuotaRow(
            label=str(o.user),
            path=o.district.path,
            resolved=n,
            quota=quota,
            met=int(n >= quota),
            link=ledger_url(assignee=o.user.get_username(), **dates),
            officer=o.user,
            district=o.district,
        )
        board.officers.append(row)
        for level, unit in (("station", o.station), ("county", o.county)):
            if unit is None:
                continue
            up = rollups[level].get(unit.pk)
            if up is None:
                up = rollups[level][unit.pk] = QuotaRow(
                    label=unit.name,
                    path=unit.path,
                    resolved=0,
                    quota=0,
                    officers=0,
                    link=ledger_url(lead_in=unit.path, **dates),
                )
            up.resolved += n
            up.quota += quota
            up.officers += 1
            up.met += row.met
    board.stations = sorted(rollups["station"].values(), key=lambda r: r.path)
    board.counties = sorted(rollups["county"].values(), key=lambda r: r.path)
    return board


# ---------------------------------------------------------------------------------------------
# screening returns


@dataclass
class ScreeningRow:
    officer: object
    district: PoliceUnit
    filed: ScreeningReturn | None
    registered: int  # disputes registered from screening in the district that month
    link: str

    @property
    def missing(self) -> bool:
        return self.filed is None


def screening_status(user, month: dt.date) -> list[ScreeningRow]:
    """Every community officer in the reader's scope and their return for the month, or its absence."""
    first, last = month_bounds(month)
    officers = officers_in_scope(user)
    returns = {
        (r.officer_id, r.unit_id): r for r in ScreeningReturn.objects.visible_to(user).filter(month=first)
    }
    found = dict(
        disputes_for(user)
        .filter(
            source=Source.SCREENING,
            opened_at__gte=start_of(first),
            opened_at__lt=start_of(last + dt.timedelta(days=1)),
        )
        .order_by()
        .values_list("grid__district")
        .annotate(n=Count("pk"))
    )
    return [
        ScreeningRow(
            officer=o.user,
            district=o.district,
            filed=returns.get((o.user.pk, o.district.pk)),
            registered=found.get(o.district.pk, 0),
            link=ledger_url(
                unit=o.district.path,
                source=Source.SCREENING,
                opened_from=first.isoformat(),
                opened_to=last.isoformat(),
            ),
        )
        for o in officers
    ]


def own_returns(user, limit: int = 12):
    return (
        ScreeningReturn.objects.visible_to(user)
        .filter(officer=user)
        .select_related("unit")
        .order_by("-month")[:limit]
    )


# ---------------------------------------------------------------------------------------------
# judicial confirmation windows


def closing_windows(user, *, today: dt.date | None = None, within: int | None = None):
    """Written agreements in scope nobody has applied to confirm yet, whose window closes soon."""
    today = today or timezone.localdate()
    days = conf.judicial_days()
    within = conf.judicial_remind_days() if within is None else within
    visible = Dispute.objects.visible_to(user).values("pk")
    return (
        Agreement.objects.filter(
            dispute__in=visible,
            form=AgreementForm.WRITTEN,
            judicial_applied_on=None,
            signed_on__gte=today - dt.timedelta(days=days),
            signed_on__lte=today - dt.timedelta(days=days - within),
        )
        .select_related("dispute")
        .order_by("signed_on")
    )


def staff_in_scope(user):
    """Staff posted at or under the reader's postings: who may be named a mediator."""
    from fengqiao.core.roles import STAFF_ROLES

    prefixes = scope_prefixes(user)
    User = get_user_model()
    qs = User.objects.filter(is_active=True, role__in=list(STAFF_ROLES))
    if prefixes is None:
        return qs.order_by("username")
    if not prefixes:
        return qs.none()
    posted = scope_q(prefixes, "postings__unit__path") | scope_q(prefixes, "postings__grid__scope_path")
    return qs.filter(posted).distinct().order_by("username")
