"""Tokens: issued for a username and password, shown once, stored as a digest, revocable."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, RequestFactory
from django.utils import timezone

from fengqiao.accounts.actions import authenticate_token, issue_api_token, revoke_api_token
from fengqiao.accounts.models import ApiToken
from fengqiao.api.auth import token_auth
from fengqiao.core.models import AuditEntry
from tests.conftest import PASSWORD
from tests.fixtures.api import fields_of

TOKEN_URL = "/api/v1/auth/token"


def test_good_credentials_give_a_token_that_works(api, personas):
    # given the station chief's username and password
    # when they ask for a token
    response = api.post(TOKEN_URL, {"username": "station", "password": PASSWORD, "name": "dispatch"})
    # then they get one, not to be cached, and it opens the API as them
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["username"] == "station"
    assert body["name"] == "dispatch"
    assert "no-store" in response["Cache-Control"]
    me = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.json()["username"] == "station"


def test_only_the_digest_is_stored_and_the_issue_is_audited_from_the_api(api, personas):
    # given a token issued through the API
    response = api.post(TOKEN_URL, {"username": "station", "password": PASSWORD})
    raw = response.json()["token"]
    # then the database holds its digest, never the token itself
    token = ApiToken.objects.get(user=personas.station)
    assert token.digest == ApiToken.digest_of(raw)
    assert raw not in (token.digest, token.prefix, token.name)
    # and the audit log says who made it, through which door, in which request
    entry = AuditEntry.objects.get(action="token_create")
    assert entry.actor == personas.station
    assert entry.source == "api"
    assert entry.request_id == response["X-Request-ID"]
    assert raw not in str(entry.after)
    assert AuditEntry.objects.filter(action="login", actor=personas.station, source="api").exists()


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "station", "password": "not-the-password"},
        {"username": "nobody", "password": PASSWORD},
    ],
    ids=["wrong password", "unknown user"],
)
def test_bad_credentials_are_401_and_audited_as_failed_logins(api, personas, credentials):
    # when someone tries wrong credentials
    response = api.post(TOKEN_URL, credentials)
    # then 401 with a message saying what was wrong, no token, and a login_failed entry
    assert response.status_code == 401
    assert "password" in response.json()["detail"]
    assert not ApiToken.objects.exists()
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.object_id == credentials["username"]
    assert failed.source == "api"


def test_a_disabled_account_gets_no_token(api, personas):
    # given a disabled account
    personas.station.is_active = False
    personas.station.save()
    # when it asks for a token with the right password
    response = api.post(TOKEN_URL, {"username": "station", "password": PASSWORD})
    # then it is refused like a wrong password
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_a_token_stops_working_when_its_user_is_disabled(api, personas):
    # given a working token
    assert api.get("/api/v1/me", as_=personas.station).status_code == 200
    # when the account is disabled
    personas.station.is_active = False
    personas.station.save()
    # then the token no longer opens anything
    assert api.get("/api/v1/me", as_=personas.station).status_code == 401


def test_revoking_the_token_in_use(api, personas):
    # given a working token
    assert api.get("/api/v1/me", as_=personas.grid_a).status_code == 200
    # when it is revoked through the API
    response = api.delete(TOKEN_URL, as_=personas.grid_a)
    # then it is dead at once, and the revocation is audited
    assert response.status_code == 204
    assert api.get("/api/v1/me", as_=personas.grid_a).status_code == 401
    token = ApiToken.objects.get(user=personas.grid_a)
    assert token.revoked_at is not None
    entry = AuditEntry.objects.get(action="token_revoke")
    assert (entry.actor, entry.source, entry.object_id) == (personas.grid_a, "api", str(token.pk))


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer fq_not-a-real-token",
        "Bearer ",
        "Bearer \u00e9\u00e9\u00e9",
        "Basic c3RhdGlvbjpwYXNz",
        "",
        "Bearer",
    ],
)
def test_bad_or_missing_credentials_are_401_with_a_json_detail(client, personas, authorization):
    # when the API is called with a bad or no Authorization header
    response = client.get("/api/v1/me", headers={"Authorization": authorization} if authorization else {})
    # then 401, saying which header to send
    assert response.status_code == 401
    assert "Authorization" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"username": "station"}, {"password"}),
        ({"password": PASSWORD}, {"username"}),
        ({"username": "", "password": ""}, {"username", "password"}),
        ({"username": 12, "password": ["x"]}, {"username", "password"}),
        ({"username": "station", "password": PASSWORD, "name": "x" * 101}, {"name"}),
        ({"username": "station", "password": PASSWORD, "scope": "all"}, {"scope"}),
    ],
)
def test_malformed_token_requests_are_422_naming_the_field(api, personas, body, fields):
    response = api.post(TOKEN_URL, body)
    assert response.status_code == 422
    assert fields_of(response) == fields
    assert not ApiToken.objects.exists()


def test_revoking_needs_a_bearer_token(client, personas):
    # given a browser session (no token)
    client.force_login(personas.station)
    # when it asks to revoke "the token in use" (with its CSRF token, so the session is accepted)
    client.get("/api/v1/docs")
    response = client.delete(TOKEN_URL, headers={"X-CSRFToken": client.cookies["csrftoken"].value})
    # then there is nothing to revoke, and it says so
    assert response.status_code == 400
    assert "Authorization" in response.json()["detail"]


# --- the actions ------------------------------------------------------------------------------


def test_last_used_is_written_at_most_once_a_minute(personas):
    # given a token used just now
    token, raw = issue_api_token(personas.station, actor=personas.station)
    assert authenticate_token(raw) == personas.station
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    # when it is used again within the minute, then nothing is written
    authenticate_token(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    # when it is used after a minute, then the time moves on
    stale = timezone.now() - dt.timedelta(minutes=2)
    token.last_used_at = stale
    token.save(update_fields=["last_used_at"])  # as if two minutes had passed (the cache hears of it)
    authenticate_token(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > stale


def test_the_token_user_becomes_the_request_user(personas):
    # given a request with a bearer token, and an anonymous session user
    _, raw = issue_api_token(personas.officer, actor=personas.officer)
    request = RequestFactory().get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    request.user = None
    # when the API authenticates it
    user = token_auth(request)
    # then the audit context (which reads request.user) names the token's user
    assert user == personas.officer
    assert request.user == personas.officer
    assert request.user.api_token.user == personas.officer


def test_nobody_issues_or_revokes_tokens_for_someone_else(personas):
    token, _ = issue_api_token(personas.grid_a, actor=personas.grid_a)
    with pytest.raises(PermissionDenied):
        issue_api_token(personas.grid_a, actor=personas.station)
    with pytest.raises(PermissionDenied):
        revoke_api_token(token, actor=personas.station)
    # a superuser may do both
    revoke_api_token(token, actor=personas.admin)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert not AuditEntry.objects.filter(action="token_create", actor=personas.station).exists()


def test_session_users_reach_the_api_and_need_csrf_to_change_anything(personas):
    # given a logged-in browser that enforces CSRF like a real one
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas.grid_a)
    # then reads work on the session alone
    assert browser.get("/api/v1/me").json()["username"] == "grid_a"
    # and a write without the CSRF token is refused, with the token it goes through
    point = {"lon": 106.105, "lat": 37.905}
    refused = browser.post("/api/v1/locate", point, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    browser.get("/api/v1/docs")  # the docs page hands out the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/locate", point, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 200


# --- how long a token lives --------------------------------------------------------------------


def me_with(client, raw) -> int:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code


def test_a_token_expires(client, personas, settings):
    token, raw = issue_api_token(personas.officer, actor=personas.officer)
    assert token.expires_at - timezone.now() > dt.timedelta(days=settings.API_TOKEN_DAYS - 1)
    assert me_with(client, raw) == 200
    # when its time is up
    token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    token.save(update_fields=["expires_at"])
    # then it no longer opens the API
    assert me_with(client, raw) == 401


def test_a_new_password_ends_every_token_issued_before(client, personas):
    _token, raw = issue_api_token(personas.officer, actor=personas.officer)
    assert me_with(client, raw) == 200
    # when someone sets the officer's password (they, or an administrator)
    personas.officer.set_password("another-good-password")
    personas.officer.save()
    # then the old token is dead, and a new one works
    assert me_with(client, raw) == 401
    _token, fresh = issue_api_token(personas.officer, actor=personas.officer)
    assert me_with(client, fresh) == 200


def test_a_staff_token_dies_with_the_last_posting(client, personas):
    _token, raw = issue_api_token(personas.officer, actor=personas.officer)
    assert me_with(client, raw) == 200
    # when the officer's last posting ends
    personas.officer.postings.get().delete()
    # then their token opens nothing, while a resident (never posted) keeps theirs
    assert me_with(client, raw) == 401
    _token, resident = issue_api_token(personas.resident, actor=personas.resident)
    assert me_with(client, resident) == 200


def test_a_user_lists_and_revokes_their_own_tokens_and_nobody_elses(api, personas):
    mine, _raw = issue_api_token(personas.officer, actor=personas.officer, name="手机")
    theirs, their_raw = issue_api_token(personas.station, actor=personas.station, name="值班室")
    listed = api.get("/api/v1/auth/tokens", as_=personas.officer).json()
    assert {t["name"] for t in listed} == {"手机", "tests"}  # tests: the caller's own token
    assert all("token" not in t for t in listed)
    # another's token is 404 and keeps working
    assert api.delete(f"/api/v1/auth/tokens/{theirs.pk}", as_=personas.officer).status_code == 404
    assert me_with(api.client, their_raw) == 200
    # one's own is revoked
    assert api.delete(f"/api/v1/auth/tokens/{mine.pk}", as_=personas.officer).status_code == 204
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is not None
