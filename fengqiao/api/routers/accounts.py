"""The caller: who they are and where they are posted."""

from ninja import Router

from fengqiao.api.schemas import MeOut

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut, url_name="me", summary="The caller")
def me(request):
    """The calling user: name, role and postings (the nodes of the police tree, or the grids, whose
    subtrees they see)."""
    return request.auth
