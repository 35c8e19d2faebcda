"""The points store's pages. Thin: read through ``points.selectors`` (always scoped), change through
``points.actions``, render. An account outside the reader's scope is a 404 like a missing one; a
volunteer's history read by staff is audited."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from fengqiao.core.scoping import OutOfScope
from fengqiao.points import actions, selectors
from fengqiao.web.menu import requires
from fengqiao.web.points.forms import RedemptionForm


def _account_page(request, account, *, own: bool):
    entries = selectors.read_history(account, actor=request.user)
    return render(request, "web/points/account.html", {"account": account, "entries": entries, "own": own})


@require_GET
@login_required
@requires("points_mine")
def my_points(request):
    accounts = list(selectors.accounts_for(request.user).filter(member__user=request.user))
    if len(accounts) == 1:
        return _account_page(request, accounts[0], own=True)
    return render(request, "web/points/mine.html", {"accounts": accounts})


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
    form = RedemptionForm(accounts, items, request.POST or None)
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
    return render(request, "web/points/counter.html", {"form": form, "items": items, "accounts": accounts})
