"""The place search behind the place picker: JSON, for staff within their scope and for the
resident portal (anonymous callers are rate-limited with the portal's reads, core.ratelimit)."""

from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from fengqiao.registry import places

MAX_LIMIT = 20


def _json(data) -> JsonResponse:
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "private, no-store"  # the answer depends on who asks
    return response


@require_GET
def search(request):
    """``?q=`` part of a name (Chinese, pinyin or initials), ``kinds=`` a comma-separated subset
    of village, town, grid, unit, address; ``houses=1`` only addresses with a recorded house; at
    most ``limit`` suggestions, best first."""
    kinds = [k for k in request.GET.get("kinds", "").split(",") if k in places.KINDS] or None
    try:
        limit = max(1, min(MAX_LIMIT, int(request.GET.get("limit", places.LIMIT))))
    except ValueError:
        limit = places.LIMIT
    houses = request.GET.get("houses") == "1"
    found = places.search_places(
        request.user, request.GET.get("q", ""), kinds=kinds, limit=limit, houses_only=houses
    )
    return _json({"results": [p.as_dict() for p in found]})


@require_GET
def detail(request, kind: str, value: str):
    """One place the caller may see, with its point and bounds; 404 alike for missing and hidden."""
    place = places.place_by_value(request.user, kind, value)
    if place is None:
        raise Http404
    return _json(place.as_dict())
