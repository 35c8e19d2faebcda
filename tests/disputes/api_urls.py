"""The project's URLs plus an API carrying a fresh disputes router at /api/test/, so the router is
tested whether or not ``fengqiao.api.api`` mounts it yet."""

from django.urls import path
from ninja import NinjaAPI

from fengqiao.api import errors
from fengqiao.api.api import StrictJSONParser
from fengqiao.api.auth import session_auth, token_auth
from fengqiao.api.routers.disputes import build_router
from fengqiao.urls import urlpatterns as project

api = NinjaAPI(
    title="disputes test",
    version="test",
    urls_namespace="disputes-test",
    auth=[token_auth, session_auth],
    parser=StrictJSONParser(),
)
errors.install(api)
api.add_router("/disputes", build_router())

urlpatterns = [path("api/test/", api.urls), *project]
