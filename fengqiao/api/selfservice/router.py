"""The selfservice API: the certificates a station decides (its list and one application, numbers
shown as the caller's role may see them, each read audited with its purpose), and the day list of
bookings at the offices. A certificate outside the caller's scope is 404, like a missing one."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Schema

from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.schemas import ERRORS
from fengqiao.core.scoping import get_visible_or_404
from fengqiao.registry.selectors import sees_whole_numbers
from fengqiao.registry.validators import mask_id_number, mask_phone
from fengqiao.selfservice import actions, bookings, selectors
from fengqiao.selfservice.models import Certificate
from fengqiao.selfservice.rules import mask_name

router = Router(tags=["selfservice"])
READ_PURPOSE = "certificate decision"


class CertificateListItem(Schema):
    number: str
    status: str
    applicant: str
    purpose: str
    channel: str
    opened_at: dt.datetime
    due_at: dt.datetime | None
    serial: str | None

    @staticmethod
    def resolve_applicant(obj) -> str:
        # The list names applicants masked; the application itself says more, audited.
        return obj["applicant"] if isinstance(obj, dict) else mask_name(obj.applicant_name)


class CertificateOut(CertificateListItem):
    id_number: str
    phone: str
    valid_until: dt.date | None
    refusal_reason: str
    revoked_at: dt.datetime | None
    version: int


class BookingOut(Schema):
    code: str
    office: str
    service: str
    starts_at: dt.datetime
    name: str
    phone: str


def _require(may, user) -> None:
    if not may(user):
        raise PermissionDenied(_("Only police stations and the bureaus above decide certificates."))


def _item(c: Certificate) -> dict:
    return {
        "number": c.number,
        "status": c.status,
        "applicant": mask_name(c.applicant_name),
        "purpose": c.purpose,
        "channel": c.channel,
        "opened_at": c.opened_at,
        "due_at": c.due_at,
        "serial": c.serial,
    }


@router.get("/certificates", response={200: list[CertificateListItem], **ERRORS}, summary="Certificates")
@paginate(LimitOffset)
def list_certificates(request):
    """Filters as on the page: status (open, submitted, issued, refused, in_review, revoked),
    decided (issued, refused, verified), unit, opened_from, opened_to."""
    _require(selectors.may_work_on_certificates, request.auth)
    return selectors.certificates_for(request.auth, request.GET.dict()).order_by("-opened_at", "-pk")


@router.get("/certificates/{number}", response={200: CertificateOut, **ERRORS}, summary="One application")
def certificate(request, number: str):
    """The application, its numbers whole only for the roles that see them so; the read is audited."""
    user = request.auth
    c = get_visible_or_404(Certificate.objects.select_related("station"), user, number=number)
    whole = sees_whole_numbers(user)
    actions.record_read(c, actor=user, purpose=READ_PURPOSE, whole=whole)
    return {
        **_item(c),
        "applicant": c.applicant_name,
        "id_number": c.id_number if whole else mask_id_number(c.id_number),
        "phone": c.phone if whole else mask_phone(c.phone),
        "valid_until": c.valid_until,
        "refusal_reason": c.refusal_reason,
        "revoked_at": c.revoked_at,
        "version": c.version,
    }


@router.get("/bookings", response={200: list[BookingOut], **ERRORS}, summary="The day list of bookings")
def day_list(request, day: dt.date | None = None):
    _require(selectors.may_see_bookings, request.auth)
    return [
        {
            "code": b.code,
            "office": b.office.name,
            "service": b.service,
            "starts_at": b.starts_at,
            "name": b.name,
            "phone": mask_phone(b.phone),
        }
        for b in bookings.day_list(request.auth, day or timezone.localdate())
    ]
