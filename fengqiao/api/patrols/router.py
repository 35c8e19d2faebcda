"""Patrols through the API, for the phone that patrols (session from the patrol page, or a token):
start, positions in batches, checkpoint scans, findings, photos, end; and the patrols the caller
may read. Everything the phone sends carries its own id and may be sent again safely. A patrol
outside the caller's reach (another's, or outside the scope) is 404, like a missing one.

Household visits (百万警进千万家) under ``/visits``: the visits in the caller's scope, one visit,
and recording one from a phone (``patrols.actions.record_visit``). The homes and businesses they
read go on the read record with the purpose of a home visit unless ``X-Purpose`` says another.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.patrols.schemas import (
    EndIn,
    FindingIn,
    FindingOut,
    PatrolListItem,
    PatrolOut,
    PhotoOut,
    PointsIn,
    PointsOut,
    ScanIn,
    ScanOut,
    StartIn,
    VisitIn,
    VisitOut,
)
from fengqiao.api.schemas import ERRORS, RowId
from fengqiao.core.scoping import is_staff
from fengqiao.patrols import actions, selectors

router = Router(tags=["patrols"])


def _require_patroller(user) -> None:
    if not actions.may_patrol(user):
        raise PermissionDenied(_("Only staff and the members of a volunteer team patrol."))


@router.get("", response={200: list[PatrolListItem], **ERRORS}, url_name="patrols", summary="Patrols")
@paginate(LimitOffset)
def list_patrols(request):
    """Staff: the patrols in their scope; a volunteer: their own."""
    _require_patroller(request.auth)
    return selectors.patrols_for(request.auth).select_related("patroller", "team").order_by("-started_at")


@router.post(
    "", response={200: PatrolOut, 201: PatrolOut, **ERRORS}, url_name="patrol-start", summary="Start a patrol"
)
def start(request, body: StartIn):
    """201 when the patrol is new, 200 when this id was started before (by the same caller)."""
    user = request.auth
    _require_patroller(user)
    plan = selectors.plan_for(user, body.plan) if body.plan is not None else None
    known = selectors.patrols_for(user).filter(pk=body.id).exists()
    patrol = actions.start_patrol(actor=user, id=body.id, started_at=body.started_at, plan=plan)
    return Status(200 if known else 201, selectors.patrol_for(user, patrol.pk))


@router.get("/{uuid:patrol_id}", response={200: PatrolOut, **ERRORS}, url_name="patrol", summary="One patrol")
def detail(request, patrol_id):
    return selectors.patrol_for(request.auth, patrol_id)


@router.post(
    "/{uuid:patrol_id}/points",
    response={200: PointsOut, **ERRORS},
    url_name="patrol-points",
    summary="Positions",
)
def points(request, patrol_id, body: PointsIn):
    """A batch of positions; those sent before (the same ``seq``) are skipped."""
    patrol = selectors.own_patrol(request.auth, patrol_id)
    added = actions.add_points(patrol, [p.model_dump() for p in body.points], actor=request.auth)
    return {"added": added, "points": patrol.point_count}


@router.post(
    "/{uuid:patrol_id}/scans",
    response={200: ScanOut, **ERRORS},
    url_name="patrol-scan",
    summary="A checkpoint scanned",
)
def scan(request, patrol_id, body: ScanIn):
    patrol = selectors.own_patrol(request.auth, patrol_id)
    return actions.record_scan(patrol, actor=request.auth, **body.dict())


@router.post(
    "/{uuid:patrol_id}/findings",
    response={200: FindingOut, **ERRORS},
    url_name="patrol-finding",
    summary="Report a finding",
)
def finding(request, patrol_id, body: FindingIn):
    """A hazard or something suspicious: an event of the closed loop (its number in ``event``)."""
    patrol = selectors.own_patrol(request.auth, patrol_id)
    return actions.report_finding(patrol, actor=request.auth, **body.dict())


@router.post(
    "/{uuid:patrol_id}/photos", response={200: PhotoOut, **ERRORS}, url_name="patrol-photo", summary="A photo"
)
def photo(request, patrol_id, id: Form[str], file: File[UploadedFile]):
    """A JPEG or PNG (checked, encoded again without its metadata); ``id`` is the phone's."""
    patrol = selectors.own_patrol(request.auth, patrol_id)
    return actions.add_photo(patrol, file, actor=request.auth, id=id)


@router.post(
    "/{uuid:patrol_id}/end",
    response={200: PatrolOut, **ERRORS},
    url_name="patrol-end",
    summary="End a patrol",
)
def end(request, patrol_id, body: EndIn):
    patrol = selectors.own_patrol(request.auth, patrol_id)
    actions.end_patrol(patrol, actor=request.auth, ended_at=body.ended_at)
    return selectors.patrol_for(request.auth, patrol_id)


# --- household visits ------------------------------------------------------------------------------

VISIT_ROWS = ("officer", "house__address", "organisation", "grid", "finding")


@router.get("/visits", response={200: list[VisitOut], **ERRORS}, url_name="patrol-visits", summary="Visits")
@paginate(LimitOffset)
def list_visits(request, unit: str = "", visited_from: str = "", visited_to: str = "", target: str = ""):
    """The visits in the caller's scope, newest first; ``unit`` (a tree path), ``visited_from`` and
    ``visited_to`` (days, both included) and ``target`` narrow them as the visits page does."""
    user = request.auth
    if not is_staff(user):
        raise PermissionDenied(_("Household visits are the police's work."))
    selectors.reading_for_a_visit()
    found = selectors.VisitFilter(
        unit=unit, visited_from=visited_from, visited_to=visited_to, target=target
    ).apply(selectors.visits_for(user))
    return found.select_related(*VISIT_ROWS).order_by("-visited_at", "-pk")


@router.post(
    "/visits", response={201: VisitOut, **ERRORS}, url_name="patrol-visit-record", summary="Record a visit"
)
def record_visit(request, body: VisitIn):
    """A visit to a home (``place``: its standard address code) or a business (its credit code) in
    the caller's scope; a ``finding_category`` reports the finding as an event in one step."""
    user = request.auth
    if not actions.may_visit(user):
        raise PermissionDenied(_("Household visits are the police's work."))
    selectors.reading_for_a_visit()
    place = selectors.visit_place(user, body.target, body.place)
    household = body.target == "household"
    visit = actions.record_visit(
        actions.VisitData(
            target=body.target,
            house=place if household else None,
            organisation=None if household else place,
            met=body.met,
            visited_at=body.visited_at,
            notes=body.notes,
            card_given=body.card_given,
            finding_category=body.finding_category,
            finding_title=body.finding_title,
        ),
        actor=user,
    )
    return Status(201, selectors.visit_for(user, visit.pk))


@router.get(
    "/visits/{visit_id}", response={200: VisitOut, **ERRORS}, url_name="patrol-visit", summary="One visit"
)
def visit(request, visit_id: RowId):
    # outside the scope (a resident's is empty) is 404, like a missing visit
    return selectors.visit_for(request.auth, visit_id)
