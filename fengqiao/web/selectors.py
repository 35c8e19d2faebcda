"""Reads behind the pages. Every grid read goes through ``Grid.objects.visible_to(user)``."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse

from fengqiao.accounts.choices import GRID_MANAGERS
from fengqiao.accounts.models import Posting
from fengqiao.core.scoping import scope_prefixes, scope_q
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


def can_manage_grids(user) -> bool:
    """Whether to offer grid creation and editing; the geo actions make the binding check."""
    return bool(user.is_authenticated and (user.is_superuser or user.role in GRID_MANAGERS))


def visible_grids(user):
    return Grid.objects.visible_to(user)


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
        if not any(path == p or path.startswith(p + "/") for p in kept):
            kept.append(path)
    return kept


def community_choices(user):
    """Villages/communities a user may pick: those of their visible grids, and those under the
    divisions their units (and the units beneath) sit in."""
    grid_communities = visible_grids(user).values("community_id")
    villages = Division.objects.filter(level=DivisionLevel.VILLAGE)
    prefixes = scope_prefixes(user)
    if prefixes is None:
        return villages.order_by("code")
    unit_prefixes = [p for p in prefixes if _is_unit_path(p)]
    condition = Q(id__in=grid_communities)
    if unit_prefixes:
        divisions = Division.objects.filter(
            id__in=PoliceUnit.objects.filter(scope_q(unit_prefixes, "path"), division__isnull=False).values(
                "division_id"
            )
        ).only("code", "level")
        for division in divisions:
            digits = _DIVISION_PREFIX_DIGITS.get(division.level)
            if digits:
                condition |= Q(code__startswith=division.code[:digits])
    return villages.filter(condition).order_by("code")


def _is_unit_path(path: str) -> bool:
    return PoliceUnit.objects.filter(path=path).exists()


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


@dataclass
class Scope:
    """What the home page shows of a user's territory."""

    whole_territory: bool
    roots: list[TreeNode]
    ancestors: dict[int, list[PoliceUnit]]  # unit id of a root → the units above it, top first
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
        units = list(PoliceUnit.objects.order_by("path"))
        root_paths = [u.path for u in units if u.parent_id is None]
    else:
        postings = list(
            Posting.objects.filter(user=user).select_related(
                "unit", "grid", "grid__community", "grid__district", "grid__district__parent"
            )
        )
        posted_grids = sorted((p.grid for p in postings if p.grid_id), key=lambda g: g.code)
        root_paths = _minimal_prefixes(p.path for p in postings if p.unit_id)
        units = list(PoliceUnit.objects.filter(scope_q(root_paths, "path")).order_by("path")) if root_paths else []
        # A grid already inside a posted unit shows in that unit's count, not again on its own.
        posted_grids = [g for g in posted_grids if not any(g.scope_path.startswith(p + "/") for p in root_paths)]

    counts = dict(
        visible_grids(user).filter(is_active=True).values_list("district_id").annotate(n=Count("id")).order_by()
    )
    nodes = {u.id: TreeNode(u) for u in units}
    roots: list[TreeNode] = []
    for unit in units:  # ordered by path: parents come before their children
        node = nodes[unit.id]
        node.grid_count = counts.get(unit.id, 0)
        parent = nodes.get(unit.parent_id)
        if parent is not None and unit.path not in root_paths:
            parent.children.append(node)
        else:
            roots.append(node)
    for node in reversed(units):
        parent = nodes.get(node.parent_id)
        if parent is not None and node.path not in root_paths:
            parent.grid_count += nodes[node.id].grid_count

    ancestor_paths = {"/".join(n.unit.path.split("/")[:i]) for n in roots for i in range(1, n.unit.path.count("/") + 1)}
    above = {u.path: u for u in PoliceUnit.objects.filter(path__in=ancestor_paths)} if ancestor_paths else {}
    ancestors = {
        n.unit.id: [above[p] for p in _ancestor_paths(n.unit.path) if p in above] for n in roots
    }
    total = sum(n.grid_count for n in roots) + sum(1 for g in posted_grids if g.is_active)
    return Scope(whole, roots, ancestors, posted_grids, total)


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
