"""Addresses to standardise (待规范地址): the list by police district, and each one's page, where
an officer merges it into a standard address or confirms it as one. The rules and the writes are
the registry's (``selectors.pending_addresses``, ``actions.merge_pending_address``,
``actions.confirm_pending_address``)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.scoping import OutOfScope
from fengqiao.registry import actions, addressing, selectors
from fengqiao.registry.models import Address

PER_PAGE = 50


class MergeForm(forms.Form):
    """The standard address to merge into: one of the candidates offered, or typed (its code or
    its text, which must name one standard address in the officer's area)."""

    into = forms.CharField(label=gettext_lazy("Standard address"), required=False, max_length=400)
    typed = forms.CharField(
        label=gettext_lazy("Or type a standard address"),
        required=False,
        max_length=400,
        help_text=gettext_lazy("Its code, or its text as a station would write it"),
    )

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        chosen, typed = (data.get("into") or "").strip(), (data.get("typed") or "").strip()
        qs = Address.objects.visible_to(self.user).filter(status="standard", retired_at__isnull=True)
        target = None
        if typed:
            target = qs.filter(code=typed).first()
            if target is None:
                matched = addressing.match_address(typed)
                target = matched if matched is not None and matched.is_visible_to(self.user) else None
            if target is None:
                self.add_error(
                    "typed", _("No one standard address in your area reads %(text)s.") % {"text": typed}
                )
        elif chosen.isdigit():
            target = qs.filter(pk=int(chosen)).first()
            if target is None:
                self.add_error("into", _("Choose a standard address in your area."))
        else:
            self.add_error("into", _("Choose a standard address, or type one."))
        data["target"] = target
        return data


class ConfirmForm(forms.Form):
    """The pending address's parts, as the officer corrects them before confirming it."""

    street = forms.CharField(label=gettext_lazy("street / lane"), required=False, max_length=100)
    compound = forms.CharField(label=gettext_lazy("compound"), required=False, max_length=100)
    door_plate = forms.CharField(label=gettext_lazy("door plate"), required=False, max_length=50)
    building = forms.CharField(label=gettext_lazy("building"), required=False, max_length=50)
    unit = forms.CharField(label=pgettext_lazy("address part", "unit"), required=False, max_length=20)
    room = forms.CharField(label=gettext_lazy("room"), required=False, max_length=20)


def _require(user) -> None:
    if not selectors.may_standardise_addresses(user):
        raise PermissionDenied(_("Addresses to standardise are the community officer's to settle."))


@require_GET
@login_required
def pending_list(request):
    _require(request.user)
    page = Paginator(selectors.pending_addresses(request.user), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "web/registry/pending_list.html", {"page": page})


def _detail(request, address, *, merge_form=None, confirm_form=None, status=200):
    user = request.user
    initial = {name: getattr(address, name) for name in ConfirmForm.base_fields}
    return render(
        request,
        "web/registry/pending_detail.html",
        {
            "address": address,
            "candidates": selectors.merge_candidates(user, address),
            "merge_form": merge_form or MergeForm(user),
            "confirm_form": confirm_form or ConfirmForm(initial=initial),
        },
        status=status,
    )


@require_GET
@login_required
def pending_detail(request, pk: int):
    address = selectors.pending_address(request.user, pk)
    return _detail(request, address)


@require_POST
@login_required
def pending_merge(request, pk: int):
    address = selectors.pending_address(request.user, pk)
    form = MergeForm(request.user, request.POST)
    if form.is_valid():
        target = form.cleaned_data["target"]
        try:
            moved = actions.merge_pending_address(address, actor=request.user, into=target)
        except ValidationError as error:
            form.add_error(None, error.messages)
        except OutOfScope:
            form.add_error(None, _("Choose a standard address in your area."))
        else:
            messages.success(
                request,
                _(
                    "%(address)s merged into %(into)s: %(people)d people, %(houses)d houses and "
                    "%(organisations)d organisations moved."
                )
                % {"address": address.source_text or address.full_text, "into": target, **moved},
            )
            return redirect("registry_pending_addresses")
    return _detail(request, address, merge_form=form, status=422)


@require_http_methods(["POST"])
@login_required
def pending_confirm(request, pk: int):
    address = selectors.pending_address(request.user, pk)
    form = ConfirmForm(request.POST)
    if form.is_valid():
        try:
            confirmed = actions.confirm_pending_address(address, actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error.messages)
        else:
            messages.success(request, _("%(address)s is a standard address now.") % {"address": confirmed})
            return redirect("registry_pending_addresses")
    return _detail(request, address, confirm_form=form, status=422)
