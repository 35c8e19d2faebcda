"""The REST API under /api/v1/ (django-ninja): token or session auth, JSON errors naming the field.

OpenAPI at /api/v1/openapi.json; the docs page /api/v1/docs is ninja's Swagger UI from the files
ninja ships (``ninja/static``), rendered from ``ninja/templates`` because ``ninja`` is an installed
app: nothing is loaded from a CDN, the police network is offline.
"""

import functools
import json

from django.http import HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, re_path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.parser import Parser

from fengqiao.api import errors
from fengqiao.api.accounts import router as accounts
from fengqiao.api.accounts import tokens as auth
from fengqiao.api.auth import session_auth, token_auth
from fengqiao.api.disputes import router as disputes
from fengqiao.api.duty import router as duty
from fengqiao.api.events import router as events
from fengqiao.api.events import stats as event_stats
from fengqiao.api.grids import locate
from fengqiao.api.grids import router as grids
from fengqiao.api.outreach import router as outreach
from fengqiao.api.patrols import router as patrols
from fengqiao.api.points import router as points
from fengqiao.api.registry import router as registry
from fengqiao.api.selfservice import router as selfservice
from fengqiao.api.video import router as video


class StrictJSONParser(Parser):
    """A body is a JSON object; ``NaN`` and ``Infinity`` (which Python's json accepts) are not JSON."""

    def parse_body(self, request):
        def reject(constant):
            raise ValueError(f"{constant} is not JSON")

        data = json.loads(request.body, parse_constant=reject)
        if not isinstance(data, dict):
            raise ValueError("the body is not a JSON object")
        return data


class FengqiaoAPI(NinjaAPI):
    """NinjaAPI whose every answer is JSON, also for an unknown path or a method a path lacks."""

    def _get_urls(self):
        urls = super()._get_urls()
        for pattern in urls:
            if not isinstance(pattern, URLPattern):
                continue
            if pattern.name == "api-root":  # ninja's root only raises a 404; say where things are
                pattern.callback = functools.partial(_index, api=self)
            else:
                pattern.callback = _json_method_not_allowed(pattern.callback)
        urls.append(re_path(r"^.+$", _not_found, name="not-found"))
        return urls


def _json_method_not_allowed(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse(
                {
                    "detail": _("Method %(method)s is not allowed here; use %(allowed)s.")
                    % {"method": request.method, "allowed": allowed}
                },
                status=405,
            )
            response["Allow"] = allowed
        return response

    return wrapped


def _index(request, api, **kwargs):
    return JsonResponse(
        {
            "title": api.title,
            "version": api.version,
            "openapi": reverse(f"{api.urls_namespace}:openapi-json"),
            "docs": reverse(f"{api.urls_namespace}:openapi-view"),
        }
    )


@csrf_exempt  # changes nothing; without it a POST gets the CSRF page's HTML instead of this answer
def _not_found(request):
    return JsonResponse({"detail": _("No API endpoint at %(path)s.") % {"path": request.path}}, status=404)


api = FengqiaoAPI(
    title="Fengqiao API",
    version="1",
    description=(
        "Community policing and grid governance. Get a token with `POST /api/v1/auth/token`, then send "
        "`Authorization: Bearer <token>`. Every answer is limited to the caller's scope: a grid outside "
        "it is 404, exactly like a missing one. Errors are JSON: `detail` names the field."
    ),
    urls_namespace="api",
    auth=[token_auth, session_auth],
    docs=Swagger(settings={"persistAuthorization": False, "validatorUrl": None}),
    parser=StrictJSONParser(),
)
errors.install(api)

api.add_router("/auth", auth.router)
api.add_router("", accounts.router)
api.add_router("/grids", grids.router)
api.add_router("", locate.router)
api.add_router("/registry", registry.router)
# The indicators before the events: /events/{number} would take "indicators" for a number.
api.add_router("", event_stats.router)
api.add_router("", events.router)
api.add_router("/disputes", disputes.router)
api.add_router("/video", video.router)
api.add_router("/duty", duty.router)
api.add_router("/patrols", patrols.router)
api.add_router("/points", points.router)
api.add_router("/outreach", outreach.router)
api.add_router("/selfservice", selfservice.router)
