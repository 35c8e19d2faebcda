"""Staff sessions end when idle and at a hard limit; a forged request id never reaches the audit;
answers that may carry personal data are never stored."""

import time

import pytest

from fengqiao.accounts.actions import issue_api_token
from fengqiao.core.models import AuditEntry


def session_aged(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


@pytest.mark.parametrize(
    ("aged", "ends"),
    [
        ({"seen_at": 29 * 60}, False),
        ({"seen_at": 31 * 60}, True),  # idle for longer than FENGQIAO_SESSION_IDLE_MINUTES
        ({"started_at": 11 * 3600}, False),
        ({"started_at": 13 * 3600}, True),  # longer than FENGQIAO_SESSION_MAX_HOURS in all
    ],
)
def test_a_staff_session_ends_when_idle_or_too_old(client, personas, aged, ends):
    client.force_login(personas.officer)
    assert client.get("/grids/").status_code == 200
    session_aged(client, **aged)
    response = client.get("/grids/")
    if ends:
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 200


def test_a_forged_request_id_is_replaced(client, personas):
    client.force_login(personas.officer)
    forged = "x" * 300 + "<script>"
    response = client.post("/logout/", headers={"X-Request-ID": forged})
    assert response["X-Request-ID"] != forged and len(response["X-Request-ID"]) <= 64
    entry = AuditEntry.objects.filter(action="logout").latest("id")
    assert entry.request_id == response["X-Request-ID"]
    # a well-formed one from a proxy is kept
    assert client.get("/login/", headers={"X-Request-ID": "req-42.a_b"})["X-Request-ID"] == "req-42.a_b"


def test_answers_with_personal_data_are_never_stored(client, personas):
    _token, raw = issue_api_token(personas.officer, actor=personas.officer)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert "no-store" in me["Cache-Control"]
    client.force_login(personas.officer)
    assert "no-store" in client.get("/grids/")["Cache-Control"]
    # and every answer names the browser features the pages may use
    client.logout()
    assert "geolocation=(self)" in client.get("/login/")["Permissions-Policy"]
