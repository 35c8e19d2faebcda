"""The user's own account: their password and their second factor (pages for every user).

Thin: the rules and the changes are ``accounts.actions``; what is owed is ``accounts.mfa`` and
``accounts.passwords``; ``web.account.middleware`` sends a user here while they owe something.
"""

import io
from base64 import b32encode

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fengqiao.accounts import mfa, passwords
from fengqiao.accounts.actions import (
    change_own_password,
    confirm_enrolment,
    regenerate_recovery_codes,
    start_enrolment,
    verify_second_factor,
)
from fengqiao.core.scoping import is_staff
from fengqiao.web.account.forms import CodeForm


def _next(request) -> str:
    """Where to go once done: the ``next`` asked for, if it is a path of this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def _go_on(request):
    return redirect(_next(request) or "home")


@login_required
def security(request):
    user = request.user
    device = mfa.totp_device(user)
    return render(
        request,
        "registration/account.html",
        {
            "device": device,
            "codes_left": mfa.recovery_codes_left(user) if device else 0,
            "may_enrol": mfa.may_enrol(user),
            "mfa_mode": mfa.mode(),
            "is_staff_member": is_staff(user),
            "password_set_at": getattr(passwords.current_record(user), "set_at", None),
        },
    )


@login_required
def password_change(request):
    user = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            change_own_password(user, form.cleaned_data["new_password1"], actor=user)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            update_session_auth_hash(request, user)  # this session goes on; the others end
            request.session[passwords.DUE_KEY] = ""
            messages.success(request, _("Your password is changed."))
            return _go_on(request)
    due = request.session.get(passwords.DUE_KEY) or passwords.change_due(user)
    return render(
        request,
        "registration/password_change.html",
        {"form": form, "due": passwords.due_message(due), "next": _next(request)},
    )


@login_required
def verify(request):
    """The second step of a log-in: a code from the app, or a recovery code."""
    owed = mfa.owed_in_session(request)
    if owed == mfa.ENROL:
        return redirect("account_enrol")
    if not owed:
        return _go_on(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, problem = verify_second_factor(request.user, form.cleaned_data["code"], request=request)
        if device is not None:
            django_otp.login(request, device)
            return _go_on(request)
        form.add_error("code", problem)
        if getattr(request, "axes_locked_out", False):
            logout(request)  # locked out: django-axes' middleware answers with the lock-out page
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next(request)})


@login_required
def enrol(request):
    """Scan the QR code, type the first code: the device is the user's, with ten recovery codes."""
    user = request.user
    if not mfa.may_enrol(user):
        return redirect("account_security")
    device = start_enrolment(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = confirm_enrolment(user, form.cleaned_data["code"], actor=user)
        except ValidationError as exc:
            form.add_error("code", exc.message_dict.get("code") or exc.messages)
        else:
            django_otp.login(request, device)  # the code just typed verifies this session too
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "enrolled": True, "next": _next(request)},
            )
    key = b32encode(device.bin_key).decode()
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            "next": _next(request),
        },
    )


@require_GET
@login_required
def qr_code(request):
    """The QR code of the device being enrolled (its otpauth:// address), as a PNG: only to its
    user, only until it is confirmed."""
    device = mfa.totp_device(request.user, confirmed=False) if mfa.may_enrol(request.user) else None
    if device is None:
        raise Http404("no enrolment under way")
    out = io.BytesIO()
    segno.make(device.config_url, error="m").save(out, kind="png", scale=6, border=4)
    return HttpResponse(out.getvalue(), content_type="image/png")


@require_POST
@login_required
def recovery_codes(request):
    """Ten new recovery codes; the old ones stop working."""
    try:
        codes = regenerate_recovery_codes(request.user, actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("account_security")
    return render(request, "registration/recovery_codes.html", {"codes": codes, "enrolled": False})
