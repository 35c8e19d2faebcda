"""The outreach pages: resident groups with their member counts and the coverage per community,
alerts and campaigns (draft, approval by the station chief, deliveries, CAP export), anti-fraud
consultations, stalls and lectures with photos, and the monthly figures per station (XLSX too).
The portal's page where a resident subscribes a browser to a community's alerts is here too.

Thin: read through ``outreach.selectors`` (scoped), change through ``outreach.actions``, render.
A row outside the reader's reach is a 404 like a missing one.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.exporting import xlsx_bytes
from fengqiao.core.uploads import serve_upload
from fengqiao.geo.models import Division
from fengqiao.outreach import actions, cap, selectors, webpush
from fengqiao.outreach.actions import named_grids
from fengqiao.outreach.choices import CampaignStatus, ConsultationOutcome, DeliveryState
from fengqiao.outreach.models import LecturePhoto
from fengqiao.points import selectors as points_selectors
from fengqiao.points.actions import may_credit_lecture
from fengqiao.registry.validators import mask_phone
from fengqiao.web.menu import requires
from fengqiao.web.outreach import forms

PAGE = 100


def _require_manage(user) -> None:
    if not actions.may_manage(user):
        raise PermissionDenied


def _form_page(request, form, title, *, multipart=False):
    return render(request, "web/outreach/form.html", {"form": form, "title": title, "multipart": multipart})


# --- resident groups -------------------------------------------------------------------------


@require_GET
@login_required
@requires("outreach")
def groups(request):
    user = request.user
    rows = selectors.listed("groups", user, request.GET).select_related("grid", "unit", "community", "owner")
    return render(
        request,
        "web/outreach/groups.html",
        {
            "groups": rows.order_by("scope_path", "name")[: PAGE * 5],
            "total": rows.count(),
            "coverage": selectors.coverage(user),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@requires("outreach")
def group_create(request):
    user = request.user
    form = forms.GroupForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = actions.register_group(
                actor=user,
                platform=data["platform"],
                name=data["name"],
                grid=data["grid"],
                unit=data["unit"],
                community=data["community"],
                members=data["members"],
                webhook_url=data["webhook_url"],
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("Group %(name)s registered.") % {"name": group.name})
            return redirect("outreach_group", group.pk)
    return _form_page(request, form, _("Register a resident group"))


@require_http_methods(["GET", "POST"])
@login_required
def group_detail(request, pk: int):
    user = request.user
    group = selectors.group_for(user, pk)
    form = forms.CountForm(request.POST or None)
    if request.method == "POST":
        _require_manage(user)
        if form.is_valid():
            try:
                actions.record_member_count(
                    group,
                    actor=user,
                    members=form.cleaned_data["members"],
                    counted_on=form.cleaned_data["counted_on"],
                )
            except ValidationError as error:
                form.add_action_errors(error)
            else:
                return redirect("outreach_group", group.pk)
    return render(
        request,
        "web/outreach/group.html",
        {"group": group, "counts": group.counts.all()[:60], "form": form},
    )


@require_http_methods(["GET", "POST"])
@login_required
def group_edit(request, pk: int):
    user = request.user
    group = selectors.group_for(user, pk)
    _require_manage(user)
    initial = {"name": group.name, "platform": group.platform, "is_active": group.is_active}
    form = forms.GroupEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        webhook = "" if data["clear_webhook"] else (data["webhook_url"] or None)
        try:
            actions.change_group(
                group,
                actor=user,
                name=data["name"],
                platform=data["platform"],
                webhook_url=webhook,
                is_active=data["is_active"],
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            return redirect("outreach_group", group.pk)
    return _form_page(request, form, _("Change the group %(name)s") % {"name": group.name})


# --- campaigns -------------------------------------------------------------------------------


@require_GET
@login_required
@requires("outreach")
def campaigns(request):
    user = request.user
    rows = selectors.listed("campaigns", user, request.GET).select_related("created_by")
    status = request.GET.get("status", "")
    return render(
        request,
        "web/outreach/campaigns.html",
        {
            "campaigns": rows[:PAGE],
            "statuses": CampaignStatus.choices,
            "status": status,
            "waiting": selectors.campaigns_for(user).filter(status=CampaignStatus.SUBMITTED).count(),
            "may_approve": actions.may_approve(user),
            "templates": selectors.templates(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
@requires("outreach")
def campaign_create(request):
    user = request.user
    initial = {}
    template = selectors.templates().filter(pk=request.GET.get("template") or 0).first()
    if template is not None:
        initial = {"kind": template.kind, "title": template.title, "body": template.body}
    form = forms.CampaignForm(user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = actions.draft_campaign(actor=user, **data)
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("Draft saved: submit it for approval when it is ready."))
            return redirect("outreach_campaign", campaign.pk)
    return _form_page(request, form, _("New alert or campaign"))


@require_GET
@login_required
def campaign_detail(request, pk: int):
    user = request.user
    campaign = selectors.campaign_for(user, pk)
    deliveries = campaign.deliveries.select_related("group", "user").order_by("channel", "id")
    by_status = dict(deliveries.order_by().values_list("status").annotate(n=Count("pk")))
    return render(
        request,
        "web/outreach/campaign.html",
        {
            "campaign": campaign,
            "grids": named_grids(campaign).order_by("code"),
            "communities": campaign.communities.order_by("code"),
            "deliveries": deliveries[: PAGE * 2],
            "open": by_status.get(DeliveryState.PENDING, 0) + by_status.get(DeliveryState.FAILED, 0),
            "may_submit": actions.may_manage(user)
            and campaign.status in (CampaignStatus.DRAFT, CampaignStatus.REJECTED),
            "may_decide": actions.may_approve(user) and campaign.status == CampaignStatus.SUBMITTED,
            "may_cancel": campaign.status
            in (
                CampaignStatus.DRAFT,
                CampaignStatus.SUBMITTED,
                CampaignStatus.APPROVED,
                CampaignStatus.REJECTED,
            )
            and (campaign.created_by_id == user.pk or actions.may_approve(user)),
        },
    )


MOVES = {
    "submit": (lambda c, user, note: actions.submit_campaign(c, actor=user), _("Submitted.")),
    "approve": (
        lambda c, user, note: actions.approve_campaign(c, actor=user, note=note),
        _("Approved: it is queued to go out."),
    ),
    "reject": (
        lambda c, user, note: actions.reject_campaign(c, actor=user, note=note),
        _("Sent back to its author."),
    ),
    "cancel": (lambda c, user, note: actions.cancel_campaign(c, actor=user), _("Cancelled.")),
}


@require_POST
@login_required
def campaign_move(request, pk: int, move: str):
    user = request.user
    campaign = selectors.campaign_for(user, pk)
    if move not in MOVES:
        raise Http404
    do, done = MOVES[move]
    try:
        do(campaign, user, request.POST.get("note", ""))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, str(done))
    return redirect("outreach_campaign", campaign.pk)


@require_GET
@login_required
def campaign_cap(request, pk: int):
    campaign = selectors.campaign_for(request.user, pk)
    response = HttpResponse(cap.to_cap(campaign), content_type="application/cap+xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="alert-{campaign.pk}.cap.xml"'
    return response


# --- consultations ---------------------------------------------------------------------------


@require_GET
@login_required
@requires("outreach")
def consultations(request):
    user = request.user
    rows = selectors.listed("consultations", user, request.GET)
    rows = rows.select_related("grid", "unit", "taken_by", "event")
    outcome = request.GET.get("outcome", "")
    return render(
        request,
        "web/outreach/consultations.html",
        {"consultations": rows[:PAGE], "outcomes": ConsultationOutcome.choices, "outcome": outcome},
    )


@require_http_methods(["GET", "POST"])
@login_required
@requires("outreach")
def consultation_create(request):
    user = request.user
    form = forms.ConsultationForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consultation = actions.log_consultation(actor=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("Consultation logged."))
            if consultation.event_id:
                messages.info(
                    request,
                    _("Fraud case %(number)s opened for the resident.")
                    % {"number": consultation.event.number},
                )
            return redirect("outreach_consultation", consultation.pk)
    return _form_page(request, form, _("Log an anti-fraud consultation"))


@require_GET
@login_required
def consultation_detail(request, pk: int):
    consultation = selectors.consultation_for(request.user, pk)
    phone = mask_phone(consultation.resident_phone) if consultation.resident_phone else ""
    return render(request, "web/outreach/consultation.html", {"c": consultation, "phone": phone})


# --- stalls and lectures ---------------------------------------------------------------------


@require_GET
@login_required
@requires("outreach")
def lectures(request):
    rows = selectors.listed("lectures", request.user, request.GET)
    rows = rows.select_related("grid", "unit").annotate(photo_count=Count("photos"))
    return render(request, "web/outreach/lectures.html", {"lectures": rows[:PAGE]})


@require_http_methods(["GET", "POST"])
@login_required
@requires("outreach")
def lecture_create(request):
    user = request.user
    form = forms.LectureForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lecture = actions.record_lecture(actor=user, **form.cleaned_data)
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            return redirect("outreach_lecture", lecture.pk)
    return _form_page(request, form, _("Record a stall or lecture"))


@require_http_methods(["GET", "POST"])
@login_required
def lecture_detail(request, pk: int):
    user = request.user
    lecture = selectors.lecture_for(user, pk)
    form = forms.PhotoForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _require_manage(user)
        if form.is_valid():
            try:
                actions.add_lecture_photo(lecture, form.cleaned_data["file"], actor=user)
            except ValidationError as error:
                form.add_error("file", error.message_dict.get("file", error.messages))
            else:
                return redirect("outreach_lecture", lecture.pk)
    return render(
        request,
        "web/outreach/lecture.html",
        {
            "lecture": lecture,
            "photos": lecture.photos.all(),
            "form": form,
            "points_help": points_selectors.help_to_confirm("lecture", lecture)
            if may_credit_lecture(user, lecture)
            else None,
        },
    )


@require_GET
@login_required
def lecture_photo(request, pk: int, photo: int):
    lecture = selectors.lecture_for(request.user, pk)
    row = LecturePhoto.objects.filter(lecture=lecture, pk=photo).first()
    if row is None:
        raise Http404
    return serve_upload(
        row.file.open("rb"), content_type=row.content_type, filename=f"photo-{row.pk}{row.extension}"
    )


# --- monthly figures -------------------------------------------------------------------------

FIGURE_HEADERS = [
    "station",
    "month",
    "consultations",
    "dissuaded",
    "losses prevented (yuan)",
    "already defrauded",
    "losses (yuan)",
    "stalls and lectures",
    "attendance",
]


@require_GET
@login_required
@requires("outreach")
def figures(request):
    user = request.user
    try:
        year = int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    rows = selectors.monthly_figures(user, year)
    if request.GET.get("format") == "xlsx":
        headers = [
            _("Police station"),
            _("Month"),
            _("Consultations"),
            _("Dissuaded"),
            _("Losses prevented (yuan)"),
            _("Already defrauded"),
            _("Losses (yuan)"),
            _("Stalls and lectures"),
            _("Attendance"),
        ]
        table = (
            [
                r.station_name,
                r.month.strftime("%Y-%m"),
                r.consultations,
                r.dissuaded,
                float(r.losses_prevented),
                r.defrauded,
                float(r.losses),
                r.lectures,
                r.attendance,
            ]
            for r in rows
        )
        response = HttpResponse(
            xlsx_bytes(headers, table),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="outreach-{year}.xlsx"'
        return response
    return render(
        request, "web/outreach/figures.html", {"rows": rows, "year": year, "years": range(year - 3, year + 1)}
    )


# --- the portal: alerts to this browser ------------------------------------------------------


@require_GET
@login_required
def portal_alerts(request):
    user = request.user
    return render(
        request,
        "web/outreach/portal_alerts.html",
        {
            "communities": Division.objects.filter(level="village").select_related("parent").order_by("code"),
            "subscriptions": selectors.subscriptions_of(user),
            "public_key": webpush.public_key(),
        },
    )


@require_POST
@login_required
def portal_subscribe(request):
    """JSON from the page's script: {community, subscription: {endpoint, keys: {p256dh, auth}}}."""
    try:
        data = json.loads(request.body or b"{}")
        keys = data["subscription"].get("keys") or {}
        community = Division.objects.filter(pk=int(data["community"])).first()
        actions.subscribe(
            actor=request.user,
            community=community,
            endpoint=str(data["subscription"].get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return JsonResponse({"error": _("The browser sent something we could not read.")}, status=400)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse(
        {
            "ok": True,
            "message": _("Subscribed: alerts for %(name)s will arrive on this device.")
            % {"name": community.name},
        }
    )


@require_POST
@login_required
def portal_unsubscribe(request):
    actions.unsubscribe(actor=request.user, endpoint=request.POST.get("endpoint", ""))
    messages.success(request, _("You will get no more alerts on your devices."))
    return redirect("portal_alerts")
