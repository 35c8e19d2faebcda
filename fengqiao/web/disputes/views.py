"""The mediation ledger's pages: the ledger, a dispute with its sessions, documents and steps, the
registration and session forms (usable on a phone), the agreement, the quota board, statistics,
screening returns, and the public verification of an agreement.

Thin: read through ``disputes.selectors`` (always scoped), change through ``disputes.actions``,
render. A dispute outside the reader's scope is a 404 like a missing one.
"""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.casework import Conflict
from fengqiao.core.rates import min_cases
from fengqiao.core.scoping import scope_q
from fengqiao.core.uploads import serve_upload
from fengqiao.disputes import actions, conf, rules, stats
from fengqiao.disputes import selectors as ledger
from fengqiao.disputes.actions import PartyData, Registration
from fengqiao.disputes.models import Agreement
from fengqiao.geo.models import PoliceUnit
from fengqiao.points import selectors as points_selectors
from fengqiao.registry.selectors import shown_id_number, shown_phone
from fengqiao.web.disputes import forms
from fengqiao.web.forms import ActionErrorsMixin

PER_PAGE = 50


def _require_staff(user) -> None:
    if not actions.may_register(user):
        raise PermissionDenied


def _back(dispute) -> str:
    return reverse("dispute_detail", args=[dispute.number])


# ---------------------------------------------------------------------------------------------
# the ledger


@require_GET
@login_required
def dispute_list(request):
    user = request.user
    _require_staff(user)
    form = forms.LedgerFilterForm(request.GET or None)
    flt = ledger.DisputeFilter.from_params(request.GET)
    qs = ledger.disputes_for(user)
    notice = ""
    try:
        qs = flt.apply(qs)
    except ValidationError as error:
        notice = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
        qs = qs.none()
    page = Paginator(qs.order_by("-opened_at", "-pk"), PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/disputes/list.html",
        {
            "form": form,
            "page": page,
            "notice": notice,
            "query": query.urlencode(),
            "filtered": bool(flt.as_params()),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def dispute_create(request):
    user = request.user
    _require_staff(user)
    form = forms.DisputeForm(user, request.POST or None)
    parties = forms.party_formset(request.POST or None)
    if request.method == "POST":
        form_ok, parties_ok = form.is_valid(), parties.is_valid()
        if form_ok and parties_ok:
            data = form.cleaned_data
            reg = Registration(
                title=data["title"],
                source=data["source"],
                category=data["category"],
                grade=data["grade"],
                grid=data["grid"],
                facts=data["facts"],
                points=data["points"],
                parties=[
                    PartyData(**{k: p[k] for k in ("role", "name", "id_number", "phone", "address")})
                    for p in parties.cleaned_data
                    if p
                ],
                people_count=data["people_count"],
                amount=data["amount"] or 0,
                place=data["place"],
                mediators=list(data["mediators"]),
                origin_event=data["origin_event"],
                kept_from_criminal=data["kept_from_criminal"],
                kind=data["kind"],
                committee=data["committee"],
            )
            try:
                dispute = actions.register_dispute(reg, actor=user)
            except ValidationError as error:
                ActionErrorsMixin.add_action_errors(form, error)
            else:
                messages.success(request, _("Dispute %(number)s registered.") % {"number": dispute.number})
                return redirect(_back(dispute))
    return render(
        request,
        "web/disputes/register.html",
        {"form": form, "parties": parties, "title": _("Register a dispute")},
    )


# ---------------------------------------------------------------------------------------------
# one dispute


@require_GET
@login_required
def dispute_detail(request, number: str):
    user = request.user
    dispute = ledger.dispute_for(user, number)
    agreement = Agreement.objects.filter(dispute=dispute).first()
    parties = [
        {
            "party": p,
            "id_number": shown_id_number(user, p.id_number) if p.id_number else "",
            "phone": shown_phone(user, p.phone) if p.phone else "",
        }
        for p in dispute.parties.select_related("person")
    ]
    may_work = actions.may_work_on(user, dispute)
    steps = [(t, step_input(t, dispute, user)) for t in dispute.workflow.available(dispute, user)]
    return render(
        request,
        "web/disputes/detail.html",
        {
            "dispute": dispute,
            "parties": parties,
            "sessions": dispute.sessions.select_related("recorded_by"),
            "agreement": agreement,
            "follow_ups": dispute.follow_ups.select_related("visited_by"),
            "timeline": _timeline(dispute),
            "mediators": dispute.mediators.all(),
            "steps": steps,
            "may_work": may_work,
            "mediating": dispute.status == "mediating",
            "signed_form": forms.SignedCopyForm(),
            "verify_url": request.build_absolute_uri(actions.verification_path(agreement))
            if agreement
            else "",
            "window_closes": agreement.judicial_window_closes if agreement else None,
            "organisations": actions.organisations(dispute),
            "confirmable": rules.may_be_confirmed(dispute.kind),
            "today": timezone.localdate(),
            "points_help": points_selectors.help_to_confirm("mediation", dispute) if may_work else None,
        },
    )


def _timeline(dispute) -> list:
    labels = {t.name: t.label for t in dispute.workflow.transitions}
    labels.update({"open": _("registered"), "remind": _("reminded"), "escalate": _("escalated")})
    return [(entry, labels.get(entry.transition, entry.transition)) for entry in dispute.timeline()]


def step_input(transition, dispute, user):
    """The input a step declares, for one of the page's forms (its ids its own)."""
    if transition.input is None:
        return None
    return transition.input(case=dispute, user=user, auto_id=f"id_{transition.name}_%s")


def _version(request) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


@require_POST
@login_required
def dispute_move(request, number: str):
    user = request.user
    dispute = ledger.dispute_for(user, number)
    try:
        step = dispute.workflow.transition(request.POST.get("transition", ""))
        names = step.input.base_fields if step.input else ()
        data = {name: request.POST.get(name, "") for name in names}
        note = request.POST.get("note", "")
        dispute = actions.move(
            dispute, step.name, actor=user, version=_version(request), note=note, data=data
        )
    except Conflict as conflict:
        messages.error(request, str(conflict))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Done: %(step)s.") % {"step": step.label})
    return redirect(_back(dispute))


def _step_page(request, number: str, name: str, *, title: str):
    """A step with much to type (a session's minutes, the agreement) on a page of its own."""
    user = request.user
    dispute = ledger.dispute_for(user, number)
    if not actions.may_work_on(user, dispute):
        raise PermissionDenied
    form = dispute.workflow.transition(name).input(request.POST or None, case=dispute, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            actions.move(dispute, name, actor=user, version=_version(request), data=form.cleaned_data)
        except Conflict as conflict:
            form.add_error(None, str(conflict))
        except ValidationError as error:
            ActionErrorsMixin.add_action_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(_back(dispute))
    return render(request, "web/disputes/form.html", {"form": form, "dispute": dispute, "title": title})


@require_http_methods(["GET", "POST"])
@login_required
def session_create(request, number: str):
    return _step_page(request, number, "record_session", title=_("Mediation session"))


@require_http_methods(["GET", "POST"])
@login_required
def agreement_edit(request, number: str):
    return _step_page(request, number, "record_agreement", title=_("Mediation agreement"))


@require_GET
@login_required
def agreement_pdf(request, number: str):
    user = request.user
    dispute = ledger.dispute_for(user, number)
    try:
        data = actions.agreement_document(dispute, actor=user, base_url=request.build_absolute_uri("/"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_back(dispute))
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{dispute.agreement.serial}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def signed_copy(request, number: str):
    user = request.user
    dispute = ledger.dispute_for(user, number)
    if request.method == "GET":
        try:
            agreement = actions.signed_copy_for(dispute, actor=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(_back(dispute))
        return serve_upload(
            agreement.signed_copy.open("rb"),
            content_type=agreement.signed_copy_type,
            filename=f"{agreement.serial}{agreement.signed_copy_extension}",
        )
    form = forms.SignedCopyForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file."))
    else:
        try:
            actions.upload_signed_copy(dispute, form.cleaned_data["file"], actor=user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Signed copy kept."))
    return redirect(_back(dispute))


# ---------------------------------------------------------------------------------------------
# the quota board, statistics, screening


@require_GET
@login_required
def quota(request):
    user = request.user
    _require_staff(user)
    try:
        month = ledger.parse_month(request.GET.get("month"))
    except ValidationError:
        month = timezone.localdate().replace(day=1)
    board = ledger.quota_board(user, month)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return render(
        request,
        "web/disputes/quota.html",
        {
            "board": board,
            "month": month,
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}" if following <= timezone.localdate() else "",
        },
    )


def _statistics_input(request):
    user = request.user
    today = timezone.localdate()
    units = list(_units_for(user))
    form = forms.StatisticsForm(
        units, request.GET or None, initial={"start": today.replace(month=1, day=1), "end": today}
    )
    start, end, node = today.replace(month=1, day=1), today, None
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        path = form.cleaned_data.get("unit")
        node = next((u for u in units if u.path == path), None)
    return form, start, end, node


def _units_for(user):
    """The units whose statistics the reader may ask for: theirs and those under them."""
    from fengqiao.core.scoping import scope_prefixes

    prefixes = scope_prefixes(user)
    qs = PoliceUnit.objects.exclude(kind="district").order_by("path")
    if prefixes is None:
        return qs
    return qs.filter(scope_q(prefixes, "path"))


@require_GET
@login_required
def statistics(request):
    user = request.user
    _require_staff(user)
    form, start, end, node = _statistics_input(request)
    result = stats.statistics(user, start=start, end=end, node=node)
    query = request.GET.urlencode()
    return render(
        request,
        "web/disputes/statistics.html",
        {
            "form": form,
            "stats": result,
            "quota": conf.quota(),
            "xlsx_url": reverse("dispute_statistics_xlsx") + (f"?{query}" if query else ""),
            "better": stats.BETTER,
            "min_cases": min_cases(),
        },
    )


@require_GET
@login_required
def statistics_xlsx(request):
    user = request.user
    _require_staff(user)
    form, start, end, node = _statistics_input(request)
    result = stats.statistics(user, start=start, end=end, node=node)
    unit_name = result.node.name if result.node is not None else str(user)
    data = actions.export_statistics(result, actor=user, unit_name=unit_name)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="disputes-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def screening(request):
    user = request.user
    _require_staff(user)
    units = actions.screening_units(user) if user.role == "community_officer" else []
    form = None
    if units:
        unit_qs = PoliceUnit.objects.filter(pk__in=[u.pk for u in units])
        form = forms.ScreeningForm(unit_qs, request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                actions.file_screening_return(
                    actor=user,
                    unit=data["unit"],
                    month=data["month"],
                    nil_return=data["nil_return"],
                    found=data["found"] or 0,
                    note=data["note"],
                )
            except ValidationError as error:
                ActionErrorsMixin.add_action_errors(form, error)
            else:
                messages.success(request, _("Screening return filed."))
                return redirect(reverse("dispute_screening") + f"?month={data['month']}")
    elif request.method == "POST":
        raise PermissionDenied
    try:
        month = ledger.parse_month(request.GET.get("month"))
    except ValidationError:
        month = timezone.localdate().replace(day=1)
    rows = ledger.screening_status(user, month)
    return render(
        request,
        "web/disputes/screening.html",
        {
            "form": form,
            "rows": rows,
            "missing": [r for r in rows if r.missing],
            "month": month,
            "own": ledger.own_returns(user) if units else [],
        },
    )


# ---------------------------------------------------------------------------------------------
# public


@require_GET
def verify_agreement(request, serial: str, check: str):
    """Anyone holding the paper may check it: the serial, the date, the mediating unit and the
    fingerprint of its content; nothing personal."""
    agreement = actions.verify_agreement(serial, check)
    context = {"serial": serial, "agreement": agreement}
    if agreement is not None:
        context["unit"] = actions.mediating_unit(agreement.dispute)
        context["fingerprint"] = agreement.content_hash[:16]
    return render(request, "web/disputes/verify.html", context, status=200 if agreement else 404)
