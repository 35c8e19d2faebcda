"""The OpenAPI schema and the docs page, which must work on a network with no internet."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders

ENDPOINTS = {
    "/api/v1/auth/token": {"post", "delete"},
    "/api/v1/auth/tokens": {"get"},
    "/api/v1/auth/tokens/{token_id}": {"delete"},
    "/api/v1/me": {"get"},
    "/api/v1/users/{username}/unlock": {"post"},
    "/api/v1/users/{username}/password/reset": {"post"},
    "/api/v1/users/{username}/second-factor/reset": {"post"},
    "/api/v1/my-reports": {"get"},
    "/api/v1/users/{username}/postings": {"post"},
    "/api/v1/staff": {"get"},
    "/api/v1/postings/{posting_id}/move": {"post"},
    "/api/v1/postings/{posting_id}/end": {"post"},
    "/api/v1/grids": {"get", "post"},
    "/api/v1/grids/{code}": {"get", "patch"},
    "/api/v1/locate": {"post"},
    "/api/v1/registry/statistics": {"get"},
    "/api/v1/registry/people/{record_id}/reveal": {"post"},
    "/api/v1/registry/people/{record_id}/reads": {"get"},
    "/api/v1/registry/pending-addresses": {"get"},
    "/api/v1/registry/pending-addresses/{record_id}": {"get"},
    "/api/v1/registry/pending-addresses/{record_id}/merge": {"post"},
    "/api/v1/registry/pending-addresses/{record_id}/confirm": {"post"},
    "/api/v1/events": {"get", "post"},
    "/api/v1/events/board": {"get"},
    "/api/v1/events/{number}": {"get"},
    "/api/v1/events/{number}/transitions": {"post"},
    "/api/v1/inbox": {"get"},
    "/api/v1/events/indicators": {"get"},
    "/api/v1/disputes": {"get", "post"},
    "/api/v1/disputes/quota": {"get"},
    "/api/v1/disputes/statistics": {"get"},
    "/api/v1/disputes/{number}": {"get"},
    "/api/v1/disputes/{number}/transitions": {"post"},
    "/api/v1/patrols": {"get", "post"},
    "/api/v1/patrols/{patrol_id}": {"get"},
    "/api/v1/patrols/{patrol_id}/points": {"post"},
    "/api/v1/patrols/{patrol_id}/scans": {"post"},
    "/api/v1/patrols/{patrol_id}/findings": {"post"},
    "/api/v1/patrols/{patrol_id}/photos": {"post"},
    "/api/v1/patrols/{patrol_id}/end": {"post"},
    "/api/v1/patrols/visits": {"get", "post"},
    "/api/v1/patrols/visits/{visit_id}": {"get"},
    "/api/v1/points/balances": {"get"},
    "/api/v1/points/balances/{member_id}": {"get"},
    "/api/v1/points/redemptions": {"post"},
    "/api/v1/points/catalogue": {"get"},
    "/api/v1/points/entries": {"get"},
    "/api/v1/points/mediation-help": {"post"},
    "/api/v1/video/cameras": {"get", "post"},
    "/api/v1/video/cameras/{camera_id}": {"get"},
    "/api/v1/video/cameras/{camera_id}/confirm": {"post"},
    "/api/v1/video/patrols": {"get", "post"},
    "/api/v1/video/patrols/{log_id}": {"get"},
    "/api/v1/video/solved": {"get", "post"},
    "/api/v1/duty/rosters": {"get", "post"},
    "/api/v1/duty/rosters/{roster_id}": {"get"},
    "/api/v1/duty/rosters/{roster_id}/proposal": {"post"},
    "/api/v1/duty/shifts": {"get", "post"},
    "/api/v1/duty/rules": {"get", "post"},
    "/api/v1/duty/leave": {"post"},
    "/api/v1/duty/swaps": {"get", "post"},
    "/api/v1/duty/swaps/{number}": {"get"},
    "/api/v1/duty/swaps/{number}/transitions": {"post"},
    "/api/v1/outreach/groups": {"get", "post"},
    "/api/v1/outreach/groups/{pk}": {"get"},
    "/api/v1/outreach/groups/{pk}/counts": {"post"},
    "/api/v1/outreach/campaigns": {"get"},
    "/api/v1/outreach/campaigns/{pk}": {"get"},
    "/api/v1/outreach/consultations": {"get", "post"},
    "/api/v1/outreach/consultations/{pk}": {"get"},
    "/api/v1/selfservice/bookings": {"get"},
    "/api/v1/selfservice/certificates": {"get"},
    "/api/v1/selfservice/certificates/{number}": {"get"},
    **{
        path: ops
        for kind in ("people", "addresses", "houses", "organisations")
        for path, ops in (
            (f"/api/v1/registry/{kind}", {"get", "post"}),
            (f"/api/v1/registry/{kind}/{{record_id}}", {"get", "patch"}),
            (f"/api/v1/registry/{kind}/{{record_id}}/history", {"get"}),
            (f"/api/v1/registry/{kind}/{{record_id}}/retire", {"post"}),
        )
    },
}


class Resources(HTMLParser):
    """Every URL a page would fetch: script src, link href, img src, and url(...) in styles."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href", "data", "srcset"):
            if attrs.get(name):
                self.urls.append(attrs[name])
        self.urls += re.findall(r"url\(['\"]?([^'\")]+)", attrs.get("style") or "")


def test_the_schema_lists_every_endpoint(client, db):
    # when the schema is fetched (no credentials needed)
    response = client.get("/api/v1/openapi.json")
    # then it describes every endpoint, with the bearer token as a way in
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Fengqiao API"
    assert {path: set(ops) for path, ops in schema["paths"].items()} == ENDPOINTS
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"} in schemes.values()
    assert "security" not in schema["paths"]["/api/v1/auth/token"]["post"]
    assert schema["paths"]["/api/v1/grids"]["get"]["security"]


def test_the_docs_page_loads_nothing_from_another_host(client, db):
    # when the docs page is fetched
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    # then every resource it names is on this server...
    page = Resources()
    page.feed(html)
    assert page.urls, "the page names its scripts and styles"
    for url in page.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"{url} is on another host"
    # ...and the app itself serves it (from the files the ninja package ships)
    static = [url for url in page.urls if url.startswith("/static/")]
    assert {"/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui.css"} <= set(static)
    for url in static:
        assert finders.find(url.removeprefix("/static/")), f"{url} is not among the static files"
        assert client.get(url).status_code == 200, f"{url} is not served"
    # and Swagger UI is told not to call its online validator
    settings = json.loads(re.search(r'id="swagger-settings">(.*?)</script>', html, re.S).group(1))
    assert settings["validatorUrl"] is None
    assert settings["url"] == "/api/v1/openapi.json"


@pytest.mark.browser
def test_the_docs_page_renders_offline_in_a_browser(db, live_server):
    """Chromium opens the docs page; any request to another host is blocked and recorded."""
    playwright = pytest.importorskip("playwright.sync_api")
    foreign: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = browser.new_page()

            def guard(route):
                if route.request.url.startswith(live_server.url):
                    route.continue_()
                else:
                    foreign.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(f"{live_server.url}/api/v1/docs")
            page.locator("[data-path='/api/v1/locate']").first.wait_for(timeout=15_000)
            title = page.locator(".info .title").inner_text()
        finally:
            browser.close()
    assert "Fengqiao API" in title
    assert foreign == []


def test_no_two_schemas_share_a_name():
    """The OpenAPI document keys schemas by class name: a second class of the same name silently
    replaces the first, and clients read the wrong shape (the registry's and the disputes'
    statistics once did)."""
    from ninja import Schema

    from fengqiao.api.api import api

    api.get_openapi_schema()  # imports every router and its schemas

    def ours(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("fengqiao.") and "." not in sub.__qualname__:  # not Output
                yield sub
            yield from ours(sub)

    names = {}
    for cls in set(ours(Schema)):
        names.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: where for name, where in names.items() if len(where) > 1} == {}
