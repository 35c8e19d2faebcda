"""The directive pages: the list, one directive with its timeline and the steps the user may take,
and issuing one (from a hot grid of the hotspot map, or by hand). Thin: parse, call the selector
or the action, render."""

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.analytics import directives
from fengqiao.analytics.directives import DirectiveSource, Order, Task, may_issue
from fengqiao.analytics.models import Directive
from fengqiao.analytics.selectors import directives_for
from fengqiao.core.casework import Conflict, NotAvailable
from fengqiao.core.scoping import get_visible_or_404
from fengqiao.geo.models import Grid
from fengqiao.web.events.forms import TransitionForm
from fengqiao.web.events.views import describe, held_back, timeline_rows
from fengqiao.web.menu import requires

PER_PAGE = 30


@require_GET
@login_required
@requires("directives")
def directive_list(request):
    g = request.GET
    qs = directives_for(request.user, g.dict()).select_related("grid")
    page = Paginator(qs.order_by("-opened_at", "-id"), PER_PAGE).get_page(g.get("page"))
    page.object_list = describe(page.object_list, request.user)
    return render(
        request,
        "web/directives/list.html",
        {"page": page, "may_issue": may_issue(request.user), "status": g.get("status", "")},
    )


def _detail(request, directive, *, posted=None, conflict="", page_errors=(), status=200):
    user = request.user
    describe([directive], user)
    moves = [
        posted
        if posted is not None and posted.transition.name == t.name
        else TransitionForm(directive, t, user)
        for t in directive.workflow.available(directive, user)
    ]
    return render(
        request,
        "web/directives/detail.html",
        {
            "directive": directive,
            "timeline": timeline_rows(directive, user),
            "moves": moves,
            "held_back": held_back(directive, user),
            "conflict": conflict,
            "page_errors": list(page_errors),
        },
        status=status,
    )


def _directive_for(user, number):
    return get_visible_or_404(Directive.objects.select_related("grid", "event"), user, number=number)


@require_GET
@login_required
def directive_detail(request, number):
    return _detail(request, _directive_for(request.user, number))


@require_POST
@login_required
def directive_move(request, number, name):
    user = request.user
    directive = _directive_for(user, number)  # 404 outside the user's scope
    try:
        transition = directive.workflow.transition(name)
    except NotAvailable:
        raise Http404 from None
    form = TransitionForm(directive, transition, user, request.POST)
    if not form.is_valid():
        return _detail(request, directive, posted=form, status=400)
    try:
        moved = directives.move(
            directive, name, actor=user, version=form.cleaned_data["version"], note=form.cleaned_data["note"]
        )
    except Conflict:
        message = _("Someone else changed this directive while you were looking at it, so nothing was done.")
        return _detail(request, _directive_for(user, number), conflict=message, status=409)
    except PermissionDenied as error:
        return _detail(request, directive, page_errors=[str(error) or _("You may not do this.")], status=403)
    except ValidationError as error:
        form.add_action_errors(error)
        return _detail(request, directive, posted=form, status=400)
    messages.success(
        request, _("%(number)s: %(step)s — done.") % {"number": moved.number, "step": transition.label}
    )
    return redirect("directive_detail", number=moved.number)


class DirectiveForm(forms.Form):
    grids = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Grids"), queryset=Grid.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    task = forms.ChoiceField(label=gettext_lazy("What to do"), choices=Task.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    instructions = forms.CharField(
        label=gettext_lazy("Instructions"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    deadline = forms.DateTimeField(
        label=gettext_lazy("Deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    source = forms.ChoiceField(choices=DirectiveSource.choices, widget=forms.HiddenInput, initial="manual")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grids"].queryset = Grid.objects.visible_to(user).filter(is_active=True).order_by("code")


@require_http_methods(["GET", "POST"])
@login_required
@requires("directives")
def directive_create(request):
    user = request.user
    if not may_issue(user):
        raise PermissionDenied(_("Only a police station and above issue directives."))
    if request.method == "POST":
        form = DirectiveForm(request.POST, user=user)
        if form.is_valid():
            d = form.cleaned_data
            order = Order(
                grids=list(d["grids"]),
                task=d["task"],
                title=d["title"],
                deadline=d["deadline"],
                source=d["source"],
                instructions=d["instructions"],
            )
            try:
                made = directives.issue(order, actor=user)
            except ValidationError as error:
                for field_name, errors in error.message_dict.items():
                    form.add_error(field_name if field_name in form.fields else None, errors)
            else:
                messages.success(request, _("%(count)d directives issued.") % {"count": len(made)})
                return redirect("directive_list")
        status = 400
    else:
        initial = {"source": DirectiveSource.MANUAL, "deadline": timezone.localtime() + dt.timedelta(days=3)}
        grid = Grid.objects.visible_to(user).filter(code=request.GET.get("grid", "")).first()
        if grid is not None:
            initial.update(grids=[grid.pk], source=DirectiveSource.HOTSPOT, task=Task.PATROL)
            initial["title"] = _("Hotspot: %(grid)s") % {"grid": grid.name}
        form = DirectiveForm(initial=initial, user=user)
        status = 200
    return render(request, "web/directives/create.html", {"form": form}, status=status)
