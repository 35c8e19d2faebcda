"""The caller (who they are and where they are posted), and the accounts under them."""

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from fengqiao.accounts.actions import (
    end_posting,
    grid_in_area,
    list_staff_under,
    may_unlock,
    move_posting,
    post_staff,
    posting_in_area,
    reset_password,
    reset_second_factor,
    unit_in_area,
    unlock_login,
)
from fengqiao.accounts.models import User
from fengqiao.api.accounts.schemas import PasswordResetOut, SecondFactorResetOut
from fengqiao.api.schemas import ErrorOut, MeOut, PlaceIn, PostingOut, ReasonIn, RowId, StaffOut, UnlockOut
from fengqiao.core.scoping import is_staff

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, url_name="me", summary="The caller")
def me(request):
    """The calling user: name, role and postings (the nodes of the police tree, or the grids, whose
    subtrees they see)."""
    return request.auth


@router.post(
    "/users/{username}/unlock",
    response={200: UnlockOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="user-unlock",
    summary="Unlock a locked-out log-in",
)
def unlock(request, username: str, payload: ReasonIn):
    """End the lock-out of an account posted below the caller (after repeated failed log-ins), with
    the reason; audited. Any other account is 404, as a missing one."""
    user = _subordinate(request, username)
    was_locked = unlock_login(user, actor=request.auth, reason=payload.reason)
    return {"username": user.get_username(), "was_locked": was_locked}


def _subordinate(request, username: str) -> User:
    """An account under the caller (as for an unlock); any other is 404, as a missing one."""
    user = User.objects.filter(username=username).first()
    if user is None or not may_unlock(request.auth, user):
        raise Http404("no such account under you")
    return user


@router.post(
    "/users/{username}/second-factor/reset",
    response={200: SecondFactorResetOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="user-second-factor-reset",
    summary="Reset a second factor",
)
def second_factor_reset(request, username: str, payload: ReasonIn):
    """Remove the authenticator app and recovery codes of an account posted below the caller (a
    lost phone), with the reason; audited. The user enrols again at their next log-in."""
    user = _subordinate(request, username)
    removed = reset_second_factor(user, actor=request.auth, reason=payload.reason)
    return {"username": user.get_username(), "devices_removed": removed}


@router.post(
    "/users/{username}/password/reset",
    response={200: PasswordResetOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="user-password-reset",
    summary="Reset a password",
)
def password_reset(request, username: str, payload: ReasonIn, response: HttpResponse):
    """Give an account posted below the caller a new random password, shown only in this answer,
    with the reason; audited. The user must change it at their next log-in; their sessions and
    tokens end."""
    user = _subordinate(request, username)
    raw = reset_password(user, actor=request.auth, reason=payload.reason)
    response["Cache-Control"] = "no-store"
    return {"username": user.get_username(), "password": raw, "must_change": True}


# --- postings -----------------------------------------------------------------------------------


def _place(user, payload: PlaceIn):
    """The unit or grid named, within the caller's area; a field error otherwise."""
    if bool(payload.unit) == bool(payload.grid):
        raise ValidationError({"unit": [_("Name either a police unit or a grid.")]})
    return grid_in_area(user, payload.grid) if payload.grid else unit_in_area(user, payload.unit)


@router.get(
    "/staff", response={200: list[StaffOut], 403: ErrorOut}, url_name="staff", summary="Staff under me"
)
def staff(request):
    """The staff posted in the caller's subtree, with their postings (station, county and city
    commanders)."""
    return [
        {"username": u.get_username(), "full_name": u.full_name, "role": u.role, "postings": postings}
        for u, postings in list_staff_under(request.auth).items()
    ]


@router.post(
    "/users/{username}/postings",
    response={201: PostingOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="user-postings",
    summary="Post a member of staff",
)
def create_posting(request, username: str, payload: PlaceIn):
    """Post a member of staff at a unit or grid below the caller's post; audited."""
    user = User.objects.filter(username=username).first()
    if user is None or not is_staff(user):
        raise Http404("no such member of staff")
    return Status(
        201, post_staff(user, _place(request.auth, payload), actor=request.auth, reason=payload.reason)
    )


@router.post(
    "/postings/{int:posting_id}/move",
    response={200: PostingOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="posting-move",
    summary="Move a posting",
)
def move(request, posting_id: RowId, payload: PlaceIn):
    posting = posting_in_area(request.auth, posting_id)
    return move_posting(posting, _place(request.auth, payload), actor=request.auth, reason=payload.reason)


@router.post(
    "/postings/{int:posting_id}/end",
    response={204: None, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="posting-end",
    summary="End a posting",
)
def end(request, posting_id: RowId, payload: ReasonIn):
    end_posting(posting_in_area(request.auth, posting_id), actor=request.auth, reason=payload.reason)
    return Status(204, None)
