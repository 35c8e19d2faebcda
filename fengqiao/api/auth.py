"""Who is calling: a bearer token (integrations) or the Django session (the docs page, the web app)."""

from django.conf import settings
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from fengqiao.accounts import mfa
from fengqiao.accounts.actions import authenticate_token


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``, a token from ``POST /api/v1/auth/token``."""

    def authenticate(self, request, token):
        user = authenticate_token(token.strip())
        if user is None:
            # A token that was sent but does not work is an error of its own, rather than a
            # fall-through to the session: the caller should learn their token is bad.
            raise AuthenticationError(401, _("Authorization: the bearer token is invalid or revoked."))
        # The audit context reads request.user: make the token's user the actor of this request.
        request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The logged-in user of the web app. Unsafe methods need the CSRF token, as in the web app."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if mfa.owed_in_session(request):  # the password alone does not open the API either
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, _("X-CSRFToken: a session request that changes data needs the CSRF token."))
        return user

    def _get_key(self, request):  # pragma: no cover - __call__ does not use it
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):  # pragma: no cover - __call__ does not use it
        return None


token_auth = TokenAuth()
session_auth = SessionAuth()
