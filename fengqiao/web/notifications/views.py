"""My notifications: the list (all or unread), mark one or all read, open one (marks it read and
follows its link). Thin: a selector to read, an action to change."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fengqiao.core.notifications import actions, selectors

PER_PAGE = 30


@require_GET
@login_required
def notification_list(request):
    unread_only = request.GET.get("show") == "unread"
    page = Paginator(selectors.notifications_of(request.user, unread_only=unread_only), PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "web/notifications.html",
        {"page": page, "unread_only": unread_only, "unread": selectors.unread_count(request.user)},
    )


@require_POST
@login_required
def notification_read(request, pk: int):
    notification = selectors.notifications_of(request.user).filter(pk=pk).first()
    if notification is None:
        raise Http404(_("No such notification."))
    if notification.read_at is None:
        actions.mark_read([notification.pk], actor=request.user)
    link = notification.link
    if "open" in request.POST and link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect(_back(request))


@require_POST
@login_required
def notification_read_all(request):
    count = actions.mark_read(None, actor=request.user)
    if count:
        messages.success(request, _("Marked %(count)d notifications read.") % {"count": count})
    return redirect(_back(request))


def _back(request) -> str:
    """Back to the list the form was on (a relative URL of this site only)."""
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return "notification_list"
