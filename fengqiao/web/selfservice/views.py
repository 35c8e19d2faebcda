"""The self-service pages. Residents apply on the portal or at a kiosk (no account needed), follow
their application by its number and their phone's last digits, ask for a review and download the
document; anyone verifies a certificate by its QR code; station staff decide. Thin: parse, call
the action or the selector, render."""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core import ratelimit
from fengqiao.core.casework import Conflict, NotAvailable
from fengqiao.core.scoping import get_visible_or_404
from fengqiao.registry.selectors import sees_whole_numbers
from fengqiao.registry.validators import mask_id_number, mask_phone
from fengqiao.selfservice import actions, bookings, pdf, selectors
from fengqiao.selfservice.choices import Channel, Status
from fengqiao.selfservice.models import Certificate, Kiosk, Office, Proof
from fengqiao.selfservice.rules import Application, mask_name
from fengqiao.web.events.forms import TransitionForm
from fengqiao.web.events.views import describe, held_back, timeline_rows
from fengqiao.web.menu import requires
from fengqiao.web.selfservice import forms

PER_PAGE = 30
SESSION_KEY = "certificate_applied"
UNSCOPED_KIOSK = "kiosk: a terminal's page is public, found by the code it is set up with"
READ_PURPOSE = "certificate decision"


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def limited(view):
    """What anonymous callers post here counts against their address's budget for reports
    (core.ratelimit): applications, codes, look-ups by number and digits."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST" and not request.user.is_authenticated:
            key = ratelimit.address_key("certificate", _ip(request))
            if not ratelimit.hit(key, settings.ANONYMOUS_REPORTS_PER_MINUTE):
                message = _("Too many requests from your address: please try again in a minute.")
                response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = "60"
                return response
        return view(request, *args, **kwargs)

    return wrapper


# ---------------------------------------------------------------------------------------------
# applying: the portal and the kiosk


def _application_page(request, *, kiosk: Kiosk | None = None):
    station = kiosk.office.unit if kiosk is not None else None
    if station is not None and station.kind != "station":
        station = station.parent
    form = forms.ApplicationForm(request.POST or None, request.FILES or None, station=station)
    template = "web/selfservice/kiosk_apply.html" if kiosk else "web/selfservice/apply.html"
    context = {"form": form, "kiosk": kiosk, "code_sent": False}
    if not form.is_bound:
        return render(request, template, context)
    if "send_code" in request.POST:
        where = station or _chosen_station(form)
        try:
            actions.send_phone_code(request.POST.get("phone", ""), scope_path=where.path if where else "")
        except ValidationError as error:
            form.errors.clear()
            form.add_action_errors(error)
            return render(request, template, context, status=400)
        form.errors.clear()  # nothing is wrong yet: only the code was asked for
        context["code_sent"] = True
        return render(request, template, context)
    if form.is_valid():
        d = form.cleaned_data
        application = Application(
            name=d["name"],
            id_number=d["id_number"],
            phone=d["phone"],
            purpose=d["purpose"],
            purpose_detail=d["purpose_detail"],
            station=station or d["station"],
        )
        try:
            certificate = actions.apply(
                application,
                code=d["code"],
                channel=Channel.KIOSK if kiosk else Channel.PORTAL,
                kiosk=kiosk,
                proof=d["proof"],
                actor=request.user if request.user.is_authenticated else None,
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            request.session[SESSION_KEY] = certificate.number
            if kiosk is not None:
                return redirect("kiosk_applied", code=kiosk.code)
            return redirect("certificate_applied")
    return render(request, template, context, status=400)


def _chosen_station(form):
    field = form.fields["station"]
    try:
        return field.clean(form.data.get("station"))
    except ValidationError:
        return None


@require_http_methods(["GET", "POST"])
@limited
def apply(request):
    return _application_page(request)


@require_GET
def applied(request):
    number = request.session.pop(SESSION_KEY, None)
    if not number:
        return redirect("certificate_apply")
    return render(request, "web/selfservice/applied.html", {"number": number})


def _kiosk(code: str) -> Kiosk:
    kiosk = (
        Kiosk.objects.unscoped(reason=UNSCOPED_KIOSK)
        .select_related("office__unit__parent")
        .filter(code=code, is_active=True, office__is_active=True)
        .first()
    )
    if kiosk is None:
        raise Http404(_("No kiosk has this code."))
    return kiosk


@require_GET
def kiosk_home(request, code):
    return render(request, "web/selfservice/kiosk_home.html", {"kiosk": _kiosk(code)})


@require_http_methods(["GET", "POST"])
@limited
def kiosk_apply(request, code):
    return _application_page(request, kiosk=_kiosk(code))


@require_GET
def kiosk_applied(request, code):
    kiosk = _kiosk(code)
    number = request.session.pop(SESSION_KEY, None)
    if not number:
        return redirect("kiosk_home", code=kiosk.code)
    return render(request, "web/selfservice/kiosk_applied.html", {"kiosk": kiosk, "number": number})


# ---------------------------------------------------------------------------------------------
# following an application (number and phone digits, posted: never in an address)

PUBLIC_STEPS = {"open": Status.SUBMITTED.label, "request_review": Status.IN_REVIEW.label}


def _public_timeline(certificate) -> list[dict]:
    rows = []
    for entry in certificate.timeline():
        if entry.transition != "open" and entry.from_status == entry.to_status:
            continue
        rows.append({"at": entry.at, "step": certificate.workflow.state(entry.to_status).label})
    return rows


def _found(request, form):
    """The application the posted number and digits open, or None with the form's error."""
    if not form.is_valid():
        return None
    certificate = actions.find_for_applicant(form.cleaned_data["number"], form.cleaned_data["phone_digits"])
    if certificate is None:
        form.add_error(None, _("No application has this number and phone. Check them and try again."))
    return certificate


def _track_page(request, certificate, *, review_form=None, status=200):
    digits = {"number": certificate.number, "phone_digits": certificate.phone[-4:]}
    may_review = certificate.status == Status.REFUSED and not certificate.reviewed
    if may_review and review_form is None:
        review_form = forms.ReviewForm(initial=digits)
    return render(
        request,
        "web/selfservice/track_detail.html",
        {
            "certificate": certificate,
            "masked_name": mask_name(certificate.applicant_name),
            "timeline": _public_timeline(certificate),
            "review_form": review_form if may_review else None,
            "digits": digits,
            "has_document": certificate.status in (Status.ISSUED, Status.REFUSED),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@limited
def track(request):
    form = forms.TrackForm(request.POST or None)
    if form.is_bound:
        certificate = _found(request, form)
        if certificate is not None:
            return _track_page(request, certificate)
        return render(request, "web/selfservice/track.html", {"form": form}, status=404)
    return render(request, "web/selfservice/track.html", {"form": form})


@require_POST
@limited
def review(request):
    form = forms.ReviewForm(request.POST)
    certificate = _found(request, form)
    if certificate is None:
        return render(request, "web/selfservice/track.html", {"form": forms.TrackForm()}, status=404)
    try:
        certificate = actions.request_review(certificate, note=form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as error:
        if isinstance(error, ValidationError):
            form.add_action_errors(error)
        else:
            form.add_error(None, str(error))
        return _track_page(request, certificate, review_form=form, status=400)
    messages.success(
        request, _("Your request for a review has been sent to %(unit)s.") % {"unit": _above(certificate)}
    )
    return _track_page(request, certificate)


def _above(certificate) -> str:
    station = certificate.station
    return station.parent.name if station.parent_id else station.name


def _verify_url(request, certificate) -> str:
    path = reverse("certificate_verify", args=[certificate.serial])
    site = settings.SITE_URL.rstrip("/")
    return f"{site}{path}" if site else request.build_absolute_uri(path)


def _document(request, certificate) -> HttpResponse:
    if certificate.status == Status.ISSUED:
        data, name = pdf.certificate_pdf(certificate, _verify_url(request, certificate)), certificate.serial
    elif certificate.status == Status.REFUSED:
        data, name = pdf.refusal_pdf(certificate), certificate.number
    else:
        raise Http404(_("There is no document for this application yet."))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@require_POST
@limited
def applicant_document(request):
    form = forms.TrackForm(request.POST)
    certificate = _found(request, form)
    if certificate is None:
        raise Http404(_("No application has this number and phone. Check them and try again."))
    return _document(request, certificate)


# ---------------------------------------------------------------------------------------------
# verification: anyone with the paper (rate-limited with the public reads under /verify/)


@require_GET
def verify(request, serial):
    answer = actions.verify(serial, ip=_ip(request))
    context = {"serial": serial, "answer": answer}
    if answer is not None and answer.certificate is not None:
        context["masked_name"] = mask_name(answer.certificate.applicant_name)
    return render(request, "web/selfservice/verify.html", context, status=200 if answer else 404)


# ---------------------------------------------------------------------------------------------
# staff


@require_GET
@login_required
@requires("certificates")
def certificate_list(request):
    g = request.GET
    qs = selectors.certificates_for(request.user, g.dict())
    page = Paginator(qs.order_by("-opened_at", "-id"), PER_PAGE).get_page(g.get("page"))
    page.object_list = describe(page.object_list, request.user)
    for certificate in page.object_list:
        certificate.masked_name = mask_name(certificate.applicant_name)
    return render(request, "web/selfservice/list.html", {"page": page, "status": g.get("status", "")})


def _certificate_for(user, number) -> Certificate:
    return get_visible_or_404(
        Certificate.objects.select_related("station", "kiosk__office", "record", "employer"),
        user,
        number=number,
    )


def _detail(request, certificate, *, posted=None, conflict="", page_errors=(), status=200):
    user = request.user
    whole = sees_whole_numbers(user)
    actions.record_read(certificate, actor=user, purpose=READ_PURPOSE, whole=whole)
    describe([certificate], user)
    moves = [
        posted
        if posted is not None and posted.transition.name == t.name
        else TransitionForm(certificate, t, user)
        for t in certificate.workflow.available(certificate, user)
    ]
    records = list(selectors.records_of(certificate.id_number_hash).order_by("-judged_on"))
    return render(
        request,
        "web/selfservice/detail.html",
        {
            "certificate": certificate,
            "id_number": certificate.id_number if whole else mask_id_number(certificate.id_number),
            "phone": certificate.phone if whole else mask_phone(certificate.phone),
            "records": records,
            "has_final": any(r.final for r in records),
            "timeline": timeline_rows(certificate, user),
            "moves": moves,
            "held_back": held_back(certificate, user),
            "conflict": conflict,
            "page_errors": list(page_errors),
            "verifications": certificate.verifications.count(),
            "proof": Proof.objects.filter(certificate=certificate).first(),
        },
        status=status,
    )


# The detail and the document need no menu check: outside the user's scope (every certificate
# for a grid or district post) they are the same 404 as a missing one.
@require_GET
@login_required
def certificate_detail(request, number):
    return _detail(request, _certificate_for(request.user, number))


@require_POST
@login_required
def certificate_move(request, number, name):
    user = request.user
    certificate = _certificate_for(user, number)  # 404 outside the user's scope
    try:
        transition = certificate.workflow.transition(name)
    except NotAvailable:
        raise Http404 from None
    if transition.public:
        raise Http404  # the applicant's step, taken on the tracking page
    form = TransitionForm(certificate, transition, user, request.POST)
    if not form.is_valid():
        return _detail(request, certificate, posted=form, status=400)
    try:
        moved = actions.move(
            certificate,
            name,
            actor=user,
            version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
        )
    except Conflict:
        message = _(
            "Someone else changed this application while you were looking at it, so nothing was done."
        )
        return _detail(request, _certificate_for(user, number), conflict=message, status=409)
    except PermissionDenied as error:
        return _detail(
            request, certificate, page_errors=[str(error) or _("You may not do this.")], status=403
        )
    except ValidationError as error:
        form.add_action_errors(error)
        return _detail(request, certificate, posted=form, status=400)
    messages.success(
        request, _("%(number)s: %(step)s — done.") % {"number": moved.number, "step": transition.label}
    )
    return redirect("certificate_detail", number=moved.number)


@require_GET
@login_required
def certificate_document(request, number):
    certificate = _certificate_for(request.user, number)
    actions.record_read(certificate, actor=request.user, purpose=READ_PURPOSE, whole=True)
    return _document(request, certificate)


# ---------------------------------------------------------------------------------------------
# bookings at the offices

BOOKED_KEY = "booking_made"
UNSCOPED_OFFICE = "bookings: an office's booking page is public, found by its code"


def _office(code: str) -> Office:
    office = Office.objects.unscoped(reason=UNSCOPED_OFFICE).filter(code=code, is_active=True).first()
    if office is None:
        raise Http404(_("No office has this code."))
    return office


def _booking_page(request, office: Office, *, kiosk: Kiosk | None = None):
    form = forms.BookingForm(request.POST or None, free=bookings.free_slots(office))
    template = "web/selfservice/kiosk_book.html" if kiosk else "web/selfservice/book.html"
    context = {"form": form, "office": office, "kiosk": kiosk, "code_sent": False}
    if not form.is_bound:
        return render(request, template, context)
    if "send_code" in request.POST:
        form.errors.clear()
        try:
            actions.send_phone_code(request.POST.get("phone", ""), scope_path=office.scope_path)
        except ValidationError as error:
            form.add_action_errors(error)
            return render(request, template, context, status=400)
        context["code_sent"] = True
        return render(request, template, context)
    if form.is_valid():
        d = form.cleaned_data
        try:
            booking = bookings.book(
                office,
                service=d["service"],
                starts_at=d["starts_at"],
                name=d["name"],
                phone=d["phone"],
                code=d["code"],
                channel=Channel.KIOSK if kiosk else Channel.PORTAL,
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            request.session[BOOKED_KEY] = booking.code
            if kiosk is not None:
                return redirect("kiosk_booked", code=kiosk.code)
            return redirect("office_booked", code=office.code)
    return render(request, template, context, status=400)


@require_http_methods(["GET", "POST"])
@limited
def office_book(request, code):
    return _booking_page(request, _office(code))


@require_GET
def office_booked(request, code):
    booked = request.session.pop(BOOKED_KEY, None)
    if not booked:
        return redirect("office_book", code=code)
    return render(request, "web/selfservice/booked.html", {"office": _office(code), "booking_code": booked})


@require_http_methods(["GET", "POST"])
@limited
def kiosk_book(request, code):
    kiosk = _kiosk(code)
    return _booking_page(request, kiosk.office, kiosk=kiosk)


@require_GET
def kiosk_booked(request, code):
    kiosk = _kiosk(code)
    booked = request.session.pop(BOOKED_KEY, None)
    if not booked:
        return redirect("kiosk_home", code=kiosk.code)
    return render(request, "web/selfservice/kiosk_booked.html", {"kiosk": kiosk, "booking_code": booked})


@require_GET
@login_required
@requires("bookings")
def booking_day(request):
    form = forms.DayForm(request.GET or None)
    day = form.cleaned_data["day"] if form.is_valid() else timezone.localdate()
    rows = list(bookings.day_list(request.user, day))
    for row in rows:
        row.masked_phone = mask_phone(row.phone)
    return render(request, "web/selfservice/bookings.html", {"form": form, "day": day, "rows": rows})


@require_GET
@login_required
@requires("bookings")
def office_list(request):
    offices = selectors.offices_for(request.user).order_by("scope_path", "code")
    return render(request, "web/selfservice/offices.html", {"offices": offices})
