"""The figures self-service offers the command room (``core.indicators``, section
"selfservice"): certificates applied for, issued, refused and verified in the period; each links
to the certificate list filtered to exactly those applications."""

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from fengqiao.core.indicators import Indicator, register
from fengqiao.selfservice.choices import Status
from fengqiao.selfservice.models import Booking, Certificate, Verification

ISSUED = Q(serial__isnull=False)  # issued, whether still valid or revoked since
REFUSED = Q(status__in=[Status.REFUSED, Status.IN_REVIEW])
VERIFIED = Q(Exists(Verification.objects.filter(certificate=OuterRef("pk"))))


def list_url(params: dict) -> str:
    clean = {k: v for k, v in params.items() if v not in (None, "")}
    return reverse("certificate_list") + ("?" + urlencode(clean) if clean else "")


def register_figures() -> None:
    def count(name, label, formula, q=None, params=None):
        return Indicator(
            f"selfservice.certificates_{name}",
            label,
            unit=_("certificates"),
            formula=formula,
            section="selfservice",
            model=Certificate,
            q=q or Q(),
            params=params or {},
            list_url=list_url,
        )

    register(
        count(
            "applied",
            _("certificates applied for"),
            _("No-criminal-record certificates applied for in the period."),
        ),
        count(
            "issued",
            _("certificates issued"),
            _("Applications made in the period that ended in a certificate (revoked ones included)."),
            ISSUED,
            {"decided": "issued"},
        ),
        count(
            "refused",
            _("certificates refused"),
            _("Applications made in the period that were refused (under review included)."),
            REFUSED,
            {"decided": "refused"},
        ),
        count(
            "verified",
            _("certificates verified"),
            _("Certificates applied for in the period whose verification page was opened at least once."),
            VERIFIED,
            {"decided": "verified"},
        ),
        Indicator(
            "selfservice.bookings",
            _("bookings"),
            unit=_("bookings"),
            formula=_("Services booked at the police offices for times in the period."),
            section="selfservice",
            model=Booking,
            date_field="starts_at",
        ),
    )
