"""The outreach API: resident groups (with their member counts), alerts and campaigns (read), and
anti-fraud consultations. Reads go through the caller's scope; anything outside it is 404."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Status

from fengqiao.api.outreach.schemas import (
    CampaignOut,
    ConsultationIn,
    ConsultationOut,
    CountIn,
    GroupIn,
    GroupOut,
)
from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.schemas import ERRORS
from fengqiao.geo.models import Division, Grid, PoliceUnit
from fengqiao.outreach import actions, selectors

router = Router(tags=["outreach"])


def _require_staff(user) -> None:
    if not actions.may_manage(user):
        raise PermissionDenied(_("Only staff do outreach work."))


def _place(grid_id, unit_id):
    grid = (
        Grid.objects.unscoped(reason="outreach API: the action checks the grid's scope")
        .filter(pk=grid_id)
        .first()
        if grid_id
        else None
    )
    unit = PoliceUnit.objects.filter(pk=unit_id).first() if unit_id else None
    if grid_id and grid is None:
        raise ValidationError({"grid": [_("Choose a grid in your area.")]})
    if unit_id and unit is None:
        raise ValidationError({"unit": [_("Choose a police district in your area.")]})
    return grid, unit


@router.get(
    "/groups", response={200: list[GroupOut], **ERRORS}, url_name="outreach-groups", summary="Resident groups"
)
@paginate(LimitOffset)
def list_groups(request):
    _require_staff(request.auth)
    return selectors.groups_for(request.auth).select_related("community").order_by("scope_path", "name", "pk")


@router.post(
    "/groups",
    response={201: GroupOut, **ERRORS},
    url_name="outreach-group-create",
    summary="Register a group",
)
def create_group(request, body: GroupIn):
    _require_staff(request.auth)
    grid, unit = _place(body.grid, body.unit)
    community = Division.objects.filter(pk=body.community).first() if body.community else None
    group = actions.register_group(
        actor=request.auth,
        platform=body.platform,
        name=body.name,
        grid=grid,
        unit=unit,
        community=community,
        members=body.members,
        webhook_url=body.webhook_url,
    )
    return Status(201, selectors.group_for(request.auth, group.pk))


@router.get(
    "/groups/{int:pk}", response={200: GroupOut, **ERRORS}, url_name="outreach-group", summary="One group"
)
def group(request, pk: int):
    return selectors.group_for(request.auth, pk)


@router.post(
    "/groups/{int:pk}/counts",
    response={200: GroupOut, **ERRORS},
    url_name="outreach-group-count",
    summary="A member count",
)
def count(request, pk: int, body: CountIn):
    group = selectors.group_for(request.auth, pk)
    actions.record_member_count(group, actor=request.auth, members=body.members, counted_on=body.counted_on)
    return selectors.group_for(request.auth, pk)


@router.get(
    "/campaigns",
    response={200: list[CampaignOut], **ERRORS},
    url_name="outreach-campaigns",
    summary="Alerts and campaigns",
)
@paginate(LimitOffset)
def list_campaigns(request):
    _require_staff(request.auth)
    return selectors.campaigns_for(request.auth)


@router.get(
    "/campaigns/{int:pk}",
    response={200: CampaignOut, **ERRORS},
    url_name="outreach-campaign",
    summary="One campaign",
)
def campaign(request, pk: int):
    return selectors.campaign_for(request.auth, pk)


@router.get(
    "/consultations",
    response={200: list[ConsultationOut], **ERRORS},
    url_name="outreach-consultations",
    summary="Anti-fraud consultations",
)
@paginate(LimitOffset)
def list_consultations(request):
    _require_staff(request.auth)
    return selectors.consultations_for(request.auth).select_related("event")


@router.post(
    "/consultations",
    response={201: ConsultationOut, **ERRORS},
    url_name="outreach-consultation-create",
    summary="Log a consultation",
)
def create_consultation(request, body: ConsultationIn):
    _require_staff(request.auth)
    data = body.dict()
    grid, unit = _place(data.pop("grid"), data.pop("unit"))
    consultation = actions.log_consultation(actor=request.auth, grid=grid, unit=unit, **data)
    return Status(201, selectors.consultation_for(request.auth, consultation.pk))


@router.get(
    "/consultations/{int:pk}",
    response={200: ConsultationOut, **ERRORS},
    url_name="outreach-consultation",
    summary="One consultation",
)
def consultation(request, pk: int):
    return selectors.consultation_for(request.auth, pk)
