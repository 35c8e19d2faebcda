"""Reads behind the pages. Every grid read goes through ``Grid.objects.visible_to(user)``."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.models import Posting
from fengqiao.core import casework
from fengqiao.core.scoping import is_below, is_under, scope_prefixes, scope_q
from fengqiao.disputes.selectors import DisputeFilter, disputes_for, ledger_url
from fengqiao.events.selectors import EventFilter, events_for
from fengqiao.geo.choices import DivisionLevel, UnitKind
from fengqiao.geo.models import Division, Grid, PoliceUnit
from fengqiao.registry.stats import collection_totals
from fengqiao.web import menu

# How many leading digits of a 12-digit division code name the division and everything under it.
_DIVISION_PREFIX_DIGITS = {
    DivisionLevel.PROVINCE: 2,
    DivisionLevel.CITY: 4,
    DivisionLevel.COUNTY: 6,
    DivisionLevel.TOWN: 9,
    DivisionLevel.VILLAGE: 12,
}


# A select of more grids than this is too long to pick from and costs more to draw than the list
# it filters (the city has 3,475): above it, a list's grid filter takes a grid code typed in.
GRID_SELECT_LIMIT = 300


def visible_grids(user):
    return Grid.objects.visible_to(user)


def grid_filter_choices(user) -> list[tuple[str, str]] | None:
    """(code, label) of the user's grids in use, for a list's grid filter; None when there are
    more than ``GRID_SELECT_LIMIT``."""
    rows = list(
        visible_grids(user)
        .filter(is_active=True)
        .order_by("code")
        .values_list("code", "name")[: GRID_SELECT_LIMIT + 1]
    )
    if len(rows) > GRID_SELECT_LIMIT:
        return None
    return [(code, f"{name} ({code})") for code, name in rows]


def grid_list(user, *, community: Division | None = None, district: PoliceUnit | None = None):
    """The grids of the list page, with what each row shows, in code order."""
    grids = visible_grids(user).select_related("community", "district", "district__parent")
    if community is not None:
        grids = grids.filter(community=community)
    if district is not None:
        grids = grids.filter(district=district)
    return grids.order_by("code")


def _minimal_prefixes(paths) -> list[str]:
    """Drop paths that lie under another path of the list: a posting inside a posting adds nothing."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(is_under(path, p) for p in kept):
            kept.append(path)
    return kept


def community_choices(user):
    """Villages/communities a user may pick: those of their visible grids, and those under the
    divisions their units (and the units beneath) sit in."""
    villages = Division.objects.filter(level=DivisionLevel.VILLAGE)
    prefixes = scope_prefixes(user)
    if prefixes is None:
        return villages.order_by("code")
    condition = Q(id__in=visible_grids(user).values("community_id"))
    if prefixes:
        # A grid path matches no unit, so the prefixes of grid postings add nothing here.
        units = PoliceUnit.objects.filter(scope_q(prefixes, "path"), division__isnull=False)
        for code, level in Division.objects.filter(id__in=units.values("division_id")).values_list(
            "code", "level"
        ):
            digits = _DIVISION_PREFIX_DIGITS.get(level)
            if digits:
                condition |= Q(code__startswith=code[:digits])
    return villages.filter(condition).order_by("code")


def district_choices(user):
    """Police districts a user may pick: those under their units, and those of their visible grids."""
    districts = PoliceUnit.objects.filter(kind=UnitKind.DISTRICT).select_related("parent")
    prefixes = scope_prefixes(user)
    if prefixes is None:
        return districts.order_by("path")
    condition = Q(id__in=visible_grids(user).values("district_id"))
    if prefixes:
        condition |= scope_q(prefixes, "path")
    return districts.filter(condition).order_by("path")


@dataclass
class TreeNode:
    """A police unit of the user's scope, with its active grids counted over its subtree."""

    unit: PoliceUnit
    children: list["TreeNode"] = field(default_factory=list)
    grid_count: int = 0
    ancestors: list[PoliceUnit] = field(default_factory=list)  # for a root: the units above it, top first


@dataclass
class Scope:
    """What the home page shows of a user's territory."""

    whole_territory: bool
    roots: list[TreeNode]
    grids: list[Grid]  # grids the user is posted to directly
    grid_count: int

    @property
    def is_empty(self) -> bool:
        return not self.roots and not self.grids


def user_scope(user) -> Scope:
    """The police tree under the user's postings, down to districts, with grid counts.

    A fixed number of queries, whatever the size of the tree: postings, units, ancestors, counts.
    """
    prefixes = scope_prefixes(user)
    whole = prefixes is None
    posted_grids: list[Grid] = []
    if whole:
        units = list(PoliceUnit.objects.all())
    else:
        postings = list(
            Posting.objects.filter(user=user).select_related(
                "unit", "grid", "grid__community", "grid__district", "grid__district__parent"
            )
        )
        posted_grids = sorted((p.grid for p in postings if p.grid_id), key=lambda g: g.code)
        root_paths = _minimal_prefixes(p.path for p in postings if p.unit_id)
        units = list(PoliceUnit.objects.filter(scope_q(root_paths, "path"))) if root_paths else []
        # A grid already inside a posted unit shows in that unit's count, not again on its own.
        posted_grids = [g for g in posted_grids if not any(is_below(g.scope_path, p) for p in root_paths)]

    # Sorted here, not by the database, whose collation may ignore the slashes.
    units.sort(key=lambda u: u.path)
    counts = dict(
        visible_grids(user)
        .filter(is_active=True)
        .values_list("district_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    nodes = {u.id: TreeNode(u, grid_count=counts.get(u.id, 0)) for u in units}
    roots: list[TreeNode] = []
    for unit in units:  # in path order: a parent comes before its children
        parent = nodes.get(unit.parent_id)
        (parent.children if parent is not None else roots).append(nodes[unit.id])
    for unit in reversed(units):  # children before their parent: sum the counts upwards
        parent = nodes.get(unit.parent_id)
        if parent is not None:
            parent.grid_count += nodes[unit.id].grid_count

    wanted = {path for node in roots for path in _ancestor_paths(node.unit.path)}
    above = {u.path: u for u in PoliceUnit.objects.filter(path__in=wanted)} if wanted else {}
    for node in roots:
        node.ancestors = [above[p] for p in _ancestor_paths(node.unit.path) if p in above]
    total = sum(node.grid_count for node in roots) + sum(1 for g in posted_grids if g.is_active)
    return Scope(whole, roots, posted_grids, total)


def _ancestor_paths(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def grid_feature(grid: Grid) -> dict:
    return {
        "type": "Feature",
        "id": grid.code,
        "geometry": grid.geometry,
        "properties": {"code": grid.code, "name": grid.name, "url": reverse("grid_detail", args=[grid.code])},
    }


def grid_features(user, *, community: Division | None = None, district: PoliceUnit | None = None) -> dict:
    """The outlines of the user's grids in use, as a GeoJSON FeatureCollection."""
    grids = visible_grids(user).filter(is_active=True)
    if community is not None:
        grids = grids.filter(community=community)
    if district is not None:
        grids = grids.filter(district=district)
    grids = grids.only("code", "name", "geometry").order_by("code")
    return {"type": "FeatureCollection", "features": [grid_feature(g) for g in grids]}


def grid_staff(grid: Grid) -> dict[str, list[Posting]]:
    """Who works on a grid: those posted to it, and those posted to its police district."""
    postings = (
        Posting.objects.filter(Q(grid=grid) | Q(unit_id=grid.district_id), user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__username")
    )
    staff: dict[str, list[Posting]] = defaultdict(list)
    for posting in postings:
        staff["grid" if posting.grid_id else "district"].append(posting)
    return {"grid": staff["grid"], "district": staff["district"]}


# ---------------------------------------------------------------------------------------------
# the staff home: what is waiting, and a few figures of the user's area


@dataclass(frozen=True)
class Figure:
    """One number on the home page, and the list of exactly what it counts."""

    key: str
    label: str
    value: int
    url: str
    alert: bool = False  # a number that wants doing something about (overdue), when not zero


@dataclass
class Desk:
    """What the staff home shows: what is waiting and the key figures, each linking to its list."""

    waiting: list[Figure]
    figures: list[Figure]
    today: dt.date


def _events_count(user, **params) -> int:
    return EventFilter(**params).apply(events_for(user)).count()


def _disputes_count(user, **params) -> int:
    return DisputeFilter(**params).apply(disputes_for(user)).count()


def _events_url(**params) -> str:
    return reverse("event_list") + "?" + urlencode(params)


def inbox_counts(user, now: dt.datetime | None = None) -> tuple[int, int]:
    """How many open cases of every type are the user's to do (what ``/inbox/`` lists), and how
    many of them are past their limit: one count per case type."""
    now = now or timezone.now()
    total = overdue = 0
    for model in casework.case_models():
        counts = (
            model.objects.visible_to(user)
            .filter(casework.inbox_q(user), status__in=model.workflow.open_states)
            .aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(due_at__lte=now)))
        )
        total += counts["total"]
        overdue += counts["overdue"]
    return total, overdue


def desk(user) -> Desk:
    """The staff home's figures, for the modules the user's role may use (``web.menu``).

    Each figure is counted by the filter its list applies (events' and disputes' ``…Filter``, the
    registry's collection totals), so the number and the list it links to agree. A fixed number
    of count queries, whatever the data.
    """
    today = timezone.localdate()
    waiting: list[Figure] = []
    figures: list[Figure] = []
    if menu.may(user, "inbox"):
        total, late = inbox_counts(user)
        waiting.append(Figure("inbox", _("In my inbox"), total, reverse("inbox")))
        waiting.append(Figure("inbox_overdue", _("Overdue in my inbox"), late, reverse("inbox"), alert=True))
    if menu.may(user, "events"):
        waiting.append(
            Figure(
                "events_overdue",
                _("Overdue events"),
                _events_count(user, overdue="1"),
                _events_url(overdue="1"),
                alert=True,
            )
        )
        day = today.isoformat()
        waiting.append(
            Figure(
                "events_today",
                _("New events today"),
                _events_count(user, opened_from=day, opened_to=day),
                _events_url(opened_from=day, opened_to=day),
            )
        )
        figures.append(
            Figure(
                "events_open",
                _("Open events"),
                _events_count(user, status="open"),
                _events_url(status="open"),
            )
        )
    if menu.may(user, "disputes"):
        waiting.append(
            Figure(
                "disputes_overdue",
                _("Overdue disputes"),
                _disputes_count(user, overdue="1"),
                ledger_url(overdue="1"),
                alert=True,
            )
        )
        figures.append(
            Figure(
                "disputes_open",
                _("Disputes being mediated"),
                _disputes_count(user, status="open"),
                ledger_url(status="open"),
            )
        )
    if menu.may(user, "registry_statistics"):
        collected = collection_totals(user, start=today.replace(day=1), end=today).current
        url = reverse("registry_statistics")
        figures.append(Figure("people_month", _("People collected this month"), collected.people, url))
        figures.append(Figure("houses_month", _("Houses collected this month"), collected.houses, url))
    return Desk(waiting=waiting, figures=figures, today=today)
