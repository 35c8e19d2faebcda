"""Tokens: issue one with a username and password, revoke the one in use."""

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import AuthenticationError, HttpError

from fengqiao.accounts import mfa, passwords
from fengqiao.accounts.actions import issue_api_token, revoke_api_token, verify_second_factor
from fengqiao.accounts.models import ApiToken
from fengqiao.api.schemas import ErrorOut, RowId, TokenIn, TokenListItem, TokenOut

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
    send it as ``Authorization: Bearer <token>``. A failed attempt is audited as ``login_failed``.

    Staff with two factors on (FENGQIAO_STAFF_MFA) also send ``otp``: the code of their
    authenticator app or one of their recovery codes; a wrong one counts as a failed log-in. No
    token is given while the user must first enrol a second factor or change their password
    (both on the web pages)."""
    # Django's authenticate() sends user_login_failed, which the audit log records.
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None:
        raise AuthenticationError(
            401, _("username, password: wrong username or password, or the account is disabled.")
        )
    owed = mfa.owed_by(user)
    if owed == mfa.ENROL:
        raise HttpError(
            403,
            _(
                "otp: this account must set up two-step log-in first: log in on the web pages and "
                "follow the steps there."
            ),
        )
    if owed == mfa.VERIFY:
        if not payload.otp.strip():
            raise AuthenticationError(
                401, _("otp: give the code of your authenticator app, or one of your recovery codes.")
            )
        device, problem = verify_second_factor(user, payload.otp, request=request)
        if device is None:
            raise AuthenticationError(401, "otp: " + problem)
    due = passwords.change_due(user)
    if due:
        raise HttpError(
            403,
            _("password: %(why)s No token is given until then; the page is /account/password/.")
            % {"why": passwords.due_message(due)},
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
            "expires_at": token.expires_at,
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


@router.get("/tokens", response=list[TokenListItem], url_name="tokens", summary="My tokens")
def list_tokens(request):
    """The caller's own tokens, newest first, revoked and expired ones included (never the token
    itself: only its first characters)."""
    return ApiToken.objects.filter(user=request.auth).order_by("-created_at", "-id")


@router.delete(
    "/tokens/{int:token_id}",
    url_name="token-revoke-one",
    summary="Revoke one of my tokens",
    response={204: None, 404: ErrorOut},
)
def delete_one_token(request, token_id: RowId):
    """Revoke one of the caller's tokens; anyone else's is 404, as a missing one."""
    token = ApiToken.objects.filter(user=request.auth, pk=token_id).first()
    if token is None:
        raise Http404("no such token of yours")
    revoke_api_token(token, actor=request.auth)
    return Status(204, None)
