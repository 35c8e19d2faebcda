"""Reads behind the pages. Every grid read goes through ``Grid.objects.visible_to(user)``."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse

from fengqiao.accounts.models import Posting
from fengqiao.core.scoping import is_below, is_under, scope_prefixes, scope_q
from fengqiao.geo.choices import DivisionLevel, UnitKind
from fengqiao.geo.models import Division, Grid, PoliceUnit

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
