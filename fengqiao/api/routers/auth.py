"""Tokens: issue one with a username and password, revoke the one in use."""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import AuthenticationError, HttpError

from fengqiao.accounts.actions import issue_api_token, revoke_api_token
from fengqiao.api.schemas import ErrorOut, TokenIn, TokenOut

router = Router(tags=["auth"])


@router.post(
    "/token",
    auth=None,
    url_name="token",
    summary="Issue an API token",
    response={201: TokenOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
)
def create_token(request, payload: TokenIn, response: HttpResponse):
    """Exchange a username and password for a bearer token. The token is shown only in this answer;
    send it as ``Authorization: Bearer <token>``. A failed attempt is audited as ``login_failed``."""
    # Django's authenticate() sends user_login_failed, which the audit log records.
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise AuthenticationError(
            401, _("username, password: wrong username or password, or the account is disabled.")
        )
    user_logged_in.send(sender=type(user), request=request, user=user)
    token, raw = issue_api_token(user, actor=user, name=payload.name)
    response["Cache-Control"] = "no-store"
    return Status(
        201,
        {
            "token": raw,
            "prefix": token.prefix,
            "name": token.name,
            "username": user.get_username(),
            "created_at": token.created_at,
        },
    )


@router.delete(
    "/token", url_name="token-revoke", summary="Revoke the token in use", response={204: None, 400: ErrorOut}
)
def delete_token(request):
    """Revoke the bearer token this request was made with; it stops working at once."""
    token = getattr(request.auth, "api_token", None)
    if token is None:
        raise HttpError(400, _("Authorization: this request carries no bearer token to revoke."))
    revoke_api_token(token, actor=request.auth)
    return Status(204, None)
