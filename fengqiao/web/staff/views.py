"""The staff page: a commander sees the staff of their subtree and posts, moves and ends postings
there, through the audited actions of accounts."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.accounts.actions import (
    end_posting,
    grid_in_area,
    list_staff_under,
    post_staff,
    posting_in_area,
    unit_in_area,
)
from fengqiao.accounts.models import User
from fengqiao.core.roles import can_manage_postings


class PostForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    place = forms.CharField(
        label=gettext_lazy("Post at"),
        max_length=200,
        help_text=gettext_lazy("A grid's code, or a police unit's path such as 640300/640302/ps01/d01."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)

    def __init__(self, actor, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_username(self):
        user = User.objects.filter(username=self.cleaned_data["username"].strip()).first()
        if user is None:
            raise ValidationError(_("No account with this username."))
        return user

    def clean_place(self):
        text = self.cleaned_data["place"].strip()
        try:  # a grid's code has no slash, a unit's path has
            return unit_in_area(self.actor, text) if "/" in text else grid_in_area(self.actor, text)
        except ValidationError:
            raise ValidationError(_("No grid or police unit with this code or path in your area.")) from None


def _require_manager(user) -> None:
    if not can_manage_postings(user):
        raise PermissionDenied


@require_http_methods(["GET", "POST"])
@login_required
def staff_list(request):
    _require_manager(request.user)
    form = PostForm(request.user, request.POST or None)
    if form.is_valid():
        data = form.cleaned_data
        try:
            post_staff(data["username"], data["place"], actor=request.user, reason=data["reason"])
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error.messages[0] if isinstance(error, ValidationError) else str(error))
        else:
            messages.success(request, _("%(user)s is posted.") % {"user": data["username"]})
            return redirect("staff_list")
    staff = list_staff_under(request.user)
    return render(request, "web/staff.html", {"staff": staff, "form": form})


@require_POST
@login_required
def posting_end(request, posting_id: int):
    _require_manager(request.user)
    posting = posting_in_area(request.user, posting_id)
    try:
        end_posting(posting, actor=request.user, reason=request.POST.get("reason", ""))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error.messages[0] if isinstance(error, ValidationError) else str(error))
    else:
        messages.success(request, _("The posting of %(user)s has ended.") % {"user": posting.user})
    return redirect("staff_list")
