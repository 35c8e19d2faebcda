"""A signed-in user who owes something before using the site is sent to where they settle it.

In order: the second factor (enrol a device, or type a code; ``accounts.mfa``), then a new password
(set by someone else, or a staff password past its days; ``accounts.passwords``). Until then only
those pages, log-out and the language switch answer. The API has its own door (the token endpoint
and the session check of ``api.auth``); static files are not pages.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from fengqiao.accounts import mfa, passwords

_ALWAYS_OPEN = ("/api/", "/open311/", "/i18n/", settings.STATIC_URL)


def password_due_in_session(request) -> str:
    """Checked once a session (cleared at each log-in and by a change of password)."""
    session = request.session
    if passwords.DUE_KEY not in session:
        session[passwords.DUE_KEY] = passwords.change_due(request.user)
    return session[passwords.DUE_KEY]


def _is_step(path: str) -> bool:
    """One of the steps themselves (going on from one is not where the user was going)."""
    return path.startswith(reverse("account_security"))


class AccountDueMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_ALWAYS_OPEN):
            return self.get_response(request)
        logout = reverse("logout")
        owed = mfa.owed_in_session(request)
        if owed:
            target = reverse("account_verify" if owed == mfa.VERIFY else "account_enrol")
            open_paths = {target, logout}
            if owed == mfa.ENROL:
                open_paths.add(reverse("account_qr"))
            return self._only(request, open_paths, target)
        if password_due_in_session(request):
            target = reverse("account_password")
            return self._only(request, {target, logout}, target)
        return self.get_response(request)

    def _only(self, request, open_paths: set[str], target: str):
        if request.path in open_paths:
            return self.get_response(request)
        if request.method == "GET" and request.path != reverse("home") and not _is_step(request.path):
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
