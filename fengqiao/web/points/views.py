"""The points store's pages. Thin: read through ``points.selectors`` (always scoped), change through
``points.actions``, render. An account outside the reader's scope is a 404 like a missing one; a
volunteer's history read by staff is audited."""

import uuid
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.scoping import OutOfScope, get_visible_or_404, path_within, scope_prefixes
from fengqiao.disputes import selectors as dispute_selectors
from fengqiao.disputes.actions import may_work_on
from fengqiao.events.models import Event
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit
from fengqiao.outreach import selectors as outreach_selectors
from fengqiao.patrols.models import Patrol
from fengqiao.points import actions, report, selectors
from fengqiao.web.menu import requires
from fengqiao.web.points.forms import (
    CardForm,
    ItemForm,
    PartnerForm,
    RedemptionForm,
    StockCountForm,
    StockMoveForm,
)


def _account_page(request, account, *, own: bool):
    entries = selectors.read_history(account, actor=request.user)
    context = {"account": account, "entries": entries, "own": own}
    if own:
        card = actions.card_of(account)
        context |= {
            "card": card,
            "card_svg": segno.make(f"FQPT:{card}", error="m").svg_inline(
                scale=5, omitsize=True, light="#fff"
            ),
            "catalogue": selectors.catalogue_of(account),
            "reservations": selectors.reservations_of(account)[:20],
        }
    return render(request, "web/points/account.html", context)


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_POST
@login_required
@requires("points_mine")
def reserve(request):
    """A volunteer reserves an item of their station's catalogue on their phone."""
    account = selectors.accounts_for(request.user).filter(member__user=request.user).first()
    if account is None:
        raise OutOfScope("No points account matches the given query.")
    item_id = str(request.POST.get("item", ""))
    item = (
        selectors.catalogue_of(account).filter(pk=int(item_id)).first()
        if item_id.isdigit() and len(item_id) < 19
        else None
    )
    if item is None:
        raise OutOfScope("No catalogue item matches the given query.")
    try:
        reservation = actions.reserve(item, account.member, actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(
            request,
            _("Reserved: %(item)s. Show your card at the counter; pick-up code %(code)s.")
            % {"item": item.name, "code": reservation.code},
        )
    return redirect("points_mine")


@require_POST
@login_required
def cancel_reservation(request, pk: int):
    reservation = selectors.reservation_for(request.user, pk)
    try:
        actions.cancel_reservation(reservation, actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("The reservation was cancelled and its points returned."))
    if reservation.member.user_id == request.user.pk:
        return redirect("points_mine")
    return redirect("points_counter")


@require_POST
@login_required
@requires("points_counter")
def pick_up(request, pk: int):
    reservation = selectors.reservation_for(request.user, pk)
    try:
        actions.pick_up(reservation, actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Handed over: %(item)s.") % {"item": reservation.item.name})
    account = actions.member_account(reservation.station, reservation.member)
    return redirect(f"{reverse('points_counter')}?card={actions.card_of(account)}")


@require_GET
@login_required
@requires("points_mine")
def my_points(request):
    accounts = list(selectors.accounts_for(request.user).filter(member__user=request.user))
    if len(accounts) == 1:
        return _account_page(request, accounts[0], own=True)
    on_ranking = any(a.on_ranking for a in accounts)
    return render(request, "web/points/mine.html", {"accounts": accounts, "on_ranking": on_ranking})


@require_GET
@login_required
def member_points(request, member_id: int):
    account = selectors.account_for(request.user, member_id)
    return _account_page(request, account, own=account.member.user_id == request.user.pk)


@require_http_methods(["GET", "POST"])
@login_required
@requires("points_counter")
def counter(request):
    user = request.user
    accounts = selectors.accounts_for(user).order_by("member__name")
    items = selectors.items_for(user).filter(is_active=True).order_by("name")
    card_form, card_account, waiting = CardForm(request.GET or None), None, []
    if card_form.is_valid():
        card_account = selectors.accounts_for(user).filter(card=card_form.cleaned_data["card"]).first()
        if card_account is None:
            card_form.add_error("card", _("No volunteer of your stations has this card."))
        else:
            waiting = selectors.reservations_of(card_account).filter(status="held")
    form = RedemptionForm(accounts, items, request.POST or None)
    if card_account is not None:
        form.fields["member"].initial = card_account.pk
    if request.method == "POST" and form.is_valid():
        account, item = form.cleaned_data["member"], form.cleaned_data["item"]
        if not account.is_visible_to(user):
            raise OutOfScope("No points account matches the given query.")
        try:
            txn, created = actions.redeem(
                item, account.member, actor=user, idempotency_key=form.cleaned_data["idempotency_key"]
            )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            if created:
                messages.success(request, _("Redeemed: %(what)s.") % {"what": txn.description})
            return redirect("points_counter")
    context = {"form": form, "items": items, "accounts": accounts}
    context |= {"card_form": card_form, "card_account": card_account, "waiting": waiting}
    return render(request, "web/points/counter.html", context)


def _stations(user):
    """The police stations in the user's area (their store and ledger)."""
    prefixes = scope_prefixes(user)
    return PoliceUnit.objects.filter(
        pk__in=[
            unit.pk
            for unit in PoliceUnit.objects.filter(kind=UnitKind.STATION).only("pk", "path")
            if path_within(unit.path, prefixes)
        ]
    ).order_by("path")


@require_http_methods(["GET", "POST"])
@login_required
@requires("points_counter")
def store(request):
    """The stations' stores: the catalogue with the shelf and the reserved pieces, the partners;
    a partner or an item added."""
    user, stations = request.user, _stations(request.user)
    partners = selectors.partners_for(user).order_by("station__path", "name")
    posted = request.POST.get("form") if request.method == "POST" else None
    partner_form = PartnerForm(stations, request.POST if posted == "partner" else None, prefix="partner")
    item_form = ItemForm(stations, partners, request.POST if posted == "item" else None, prefix="item")
    form = {"partner": partner_form, "item": item_form}.get(posted)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if posted == "partner":
                actions.add_partner(
                    data["station"],
                    actor=user,
                    name=data["name"],
                    contact=data["contact"],
                    phone=data["phone"],
                    address=data["address"],
                )
            else:
                actions.add_item(
                    data["station"],
                    actor=user,
                    name=data["name"],
                    price=data["price"],
                    partner=data["partner"],
                )
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("Saved."))
            return redirect("points_store")
    items = selectors.store_items_for(user).order_by("station__path", "name")
    context = {"items": items, "partners": partners, "partner_form": partner_form, "item_form": item_form}
    return render(request, "web/points/store.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def item_detail(request, pk: int):
    """One item's shelf: deliveries and write-offs, the monthly count against the books."""
    user = request.user
    item = selectors.store_items_for(user).filter(pk=pk).first()
    if item is None:
        raise OutOfScope("No catalogue item matches the given query.")
    posted = request.POST.get("form") if request.method == "POST" else None
    move_form = StockMoveForm(request.POST if posted == "move" else None, prefix="move")
    count_form = StockCountForm(request.POST if posted == "count" else None, prefix="count")
    form = {"move": move_form, "count": count_form}.get(posted)
    if form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            if posted == "count":
                count = actions.count_stock(
                    item, actor=user, on_shelf=data["on_shelf"], reason=data["reason"]
                )
                messages.success(
                    request,
                    _("Counted: %(shelf)d on the shelf, %(books)d on the books.")
                    % {"shelf": count.on_shelf, "books": count.on_books},
                )
            elif data["kind"] == StockMoveForm.DELIVERY:
                actions.deliver_stock(item, actor=user, quantity=data["quantity"], reason=data["reason"])
                messages.success(request, _("Saved."))
            else:
                actions.write_off(item, actor=user, quantity=data["quantity"], reason=data["reason"])
                messages.success(request, _("Saved."))
        except ValidationError as error:
            form.add_action_errors(error)
        else:
            return redirect("points_item", pk=item.pk)
    context = {
        "item": item,
        "counts": selectors.counts_of(item),
        "move_form": move_form,
        "count_form": count_form,
    }
    return render(request, "web/points/item.html", context)


@require_GET
@login_required
@requires("points_counter")
def ledger(request):
    """The stations' ledger: the newest transactions, each with its legs and who verified it."""
    return render(request, "web/points/ledger.html", {"transactions": selectors.ledger_for(request.user)})


@require_http_methods(["GET", "POST"])
@login_required
@requires("points_counter")
def verify(request):
    """Work waiting to be verified for points: finished patrols on a plan, leads the station filed
    (help in a mediation is confirmed by the dispute's mediator). Whoever presses the
    button verifies it and answers for it (谁证明谁负责)."""
    user = request.user
    if request.method == "POST":
        try:
            if "event" in request.POST:
                event_id = str(request.POST["event"])
                if not (event_id.isdigit() and len(event_id) < 19):
                    raise OutOfScope("No event matches the given query.")
                txn = actions.credit_lead(
                    get_visible_or_404(Event.objects, user, pk=int(event_id)), actor=user
                )
            else:
                patrol = get_visible_or_404(Patrol.objects, user, pk=_uuid_or_404(request.POST.get("patrol")))
                txn = actions.credit_patrol(patrol, actor=user)
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Credited: %(what)s.") % {"what": txn.description})
        return redirect("points_verify")
    context = {"patrols": selectors.patrols_to_verify(user), "leads": selectors.leads_to_verify(user)}
    return render(request, "web/points/verify.html", context)


def _uuid_or_404(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise OutOfScope("No patrol matches the given query.") from None


@require_http_methods(["GET", "POST"])
@login_required
@requires("points_counter")
def flags(request):
    """Integrity flags for the station chief, and what was found and done about each."""
    user = request.user
    if request.method == "POST":
        flag_id = str(request.POST.get("flag", ""))
        flag = (
            selectors.flags_for(user).filter(pk=int(flag_id)).first()
            if flag_id.isdigit() and len(flag_id) < 19
            else None
        )
        if flag is None:
            raise OutOfScope("No flag matches the given query.")
        try:
            actions.resolve_flag(flag, actor=user, resolution=request.POST.get("resolution", ""))
        except ValidationError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Saved."))
        return redirect("points_flags")
    found = list(selectors.flags_for(user)[:200])
    return render(
        request,
        "web/points/flags.html",
        {"open": [f for f in found if not f.resolved_at], "resolved": [f for f in found if f.resolved_at]},
    )


# --- the monthly report ----------------------------------------------------------------------


@require_GET
@login_required
def monthly_report(request):
    """The stations' monthly report (issued by source, redeemed, by team, stock in and out), as a
    page and as XLSX. A station outside the reader's area is a 404 like a missing one."""
    user = request.user
    stations = report.stations_kept_by(user)
    station_id = str(request.GET.get("station", ""))
    if station_id:
        wanted = station_id.isdigit() and len(station_id) < 19
        stations = stations.filter(pk=int(station_id)) if wanted else stations.none()
        if not stations:
            raise OutOfScope("No police station matches the given query.")
    elif not actions.may_keep_counter(user):
        raise PermissionDenied
    error = ""
    try:
        month = report.parse_month(request.GET.get("month"))
    except ValidationError as invalid:
        error, month = invalid.messages[0], timezone.localdate().replace(day=1)
    result = report.monthly_report(stations, month)
    if request.GET.get("format") == "xlsx" and not error:
        response = HttpResponse(
            report.export_report(result, actor=user),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="points-{month:%Y-%m}.xlsx"'
        return response
    query = {"month": f"{month:%Y-%m}"} | ({"station": station_id} if station_id else {})
    context = {
        "report": result,
        "month": f"{month:%Y-%m}",
        "error": error,
        "station_id": station_id,
        "stations": report.stations_kept_by(user),
        "xlsx_url": f"{reverse('points_report')}?{urlencode(query | {'format': 'xlsx'})}",
    }
    return render(request, "web/points/report.html", context)


# --- the ranking boards ----------------------------------------------------------------------


@require_GET
@login_required
def ranking(request):
    """Per community, the volunteers who chose to appear, ranked by points earned this month or
    this year, names masked; the reader's own line marked."""
    user = request.user
    allowed = selectors.may_see_ranking(user)
    period = request.GET.get("period") if request.GET.get("period") in selectors.RANKING_PERIODS else "month"
    boards = selectors.ranking_boards(user, period=period) if allowed else []
    community = str(request.GET.get("community", ""))
    if community:
        boards = [b for b in boards if b.key == community]
        if not boards:
            raise OutOfScope("No ranking board matches the given query.")
    elif not allowed:
        raise PermissionDenied
    return render(request, "web/points/ranking.html", {"boards": boards, "period": period})


@require_POST
@login_required
@requires("points_mine")
def ranking_choice(request):
    """The volunteer's choice, on their own points page, to appear on the ranking board or not."""
    shown = request.POST.get("on_ranking") == "1"
    actions.set_ranking_choice(actor=request.user, shown=shown)
    if shown:
        messages.success(request, _("You appear on the ranking board, your name masked."))
    else:
        messages.success(request, _("You no longer appear on the ranking board."))
    return redirect("points_mine")


# --- help confirmed on other pages: a mediation, a lecture -------------------------------------


def _member_among(candidates, value):
    member_id = str(value or "")
    member = (
        next((m for m in candidates if m.pk == int(member_id)), None)
        if member_id.isdigit() and len(member_id) < 19
        else None
    )
    if member is None:
        raise ValidationError({"member": [_("Choose a volunteer of this station.")]})
    return member


@require_POST
@login_required
def credit_mediation(request, number: str):
    """The dispute's mediator confirms which volunteer helped (on the dispute's page)."""
    user = request.user
    dispute = dispute_selectors.dispute_for(user, number)
    if not may_work_on(user, dispute):
        raise PermissionDenied(_("Only the dispute's mediators confirm help in its mediation."))
    try:
        member = _member_among(selectors.station_volunteers(dispute.scope_path), request.POST.get("member"))
        txn = actions.credit_mediation(dispute, member, actor=user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Credited: %(what)s.") % {"what": f"{member.name} · {txn.description}"})
    return redirect(f"{reverse('dispute_detail', args=[dispute.number])}#points-help")


@require_POST
@login_required
def credit_lecture(request, pk: int):
    """Whoever recorded a lecture, or the station's staff, credit the volunteers who attended."""
    user = request.user
    lecture = outreach_selectors.lecture_for(user, pk)
    if not actions.may_credit_lecture(user, lecture):
        raise PermissionDenied(actions.NOT_THE_LECTURE_RECORDER)
    try:
        member = _member_among(selectors.station_volunteers(lecture.scope_path), request.POST.get("member"))
        txn = actions.credit_lecture(lecture, member, actor=user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Credited: %(what)s.") % {"what": f"{member.name} · {txn.description}"})
    return redirect(f"{reverse('outreach_lecture', args=[lecture.pk])}#points-help")
