"""The caller (who they are and where they are posted), and the accounts under them."""

from django.http import Http404
from ninja import Router

from fengqiao.accounts.actions import may_unlock, unlock_login
from fengqiao.accounts.models import User
from fengqiao.api.schemas import ErrorOut, MeOut, ReasonIn, UnlockOut

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
    user = User.objects.filter(username=username).first()
    if user is None or not may_unlock(request.auth, user):
        raise Http404("no such account under you")
    was_locked = unlock_login(user, actor=request.auth, reason=payload.reason)
    return {"username": user.get_username(), "was_locked": was_locked}
