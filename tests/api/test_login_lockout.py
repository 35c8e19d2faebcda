"""Repeated failed log-ins lock the account and the address out, on the page, the admin and the
token endpoint alike; a superior can unlock early; every lock-out and unlock is audited."""

import pytest
from django.test import Client, override_settings

from fengqiao.core.models import AuditEntry
from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token"
LIMIT = 5  # settings.AXES_FAILURE_LIMIT's default (FENGQIAO_LOGIN_FAILURES)


def page_login(client, username, password):
    return client.post(
        "/login/", {"username": username, "password": password}, headers={"Accept-Language": "zh-hans"}
    )


def api_login(client, username, password):
    return client.post(
        TOKEN,
        {"username": username, "password": password},
        content_type="application/json",
        headers={"Accept-Language": "zh-hans"},
    )


@pytest.mark.parametrize("login", [page_login, api_login], ids=["page", "api"])
def test_repeated_failures_lock_the_account_even_for_the_right_password(client, personas, login):
    # given LIMIT wrong passwords for one account
    answers = [login(client, "grid_a", f"wrong-{i}").status_code for i in range(LIMIT)]
    assert answers[0] in (200, 401)  # the first failures get the ordinary answer
    assert answers[-1] == 429
    # when the right password comes straight after
    response = login(client, "grid_a", PASSWORD)
    # then it is refused too, with a clear Chinese message, and nobody is logged in
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # and the lock-out is on the record
    assert AuditEntry.objects.filter(action="login_locked_out", object_id="grid_a").exists()


def test_failures_from_one_address_lock_that_address_for_every_account(client, personas):
    for i in range(LIMIT):
        api_login(client, f"nobody-{i}", "wrong")
    # then another, valid, account cannot log in from there either
    assert api_login(client, "officer_a", PASSWORD).status_code == 429
    # while the same account from another address can
    other = Client(REMOTE_ADDR="10.9.8.7")
    assert api_login(other, "officer_a", PASSWORD).status_code == 201


def test_the_admin_log_in_is_locked_out_as_well(client, personas):
    for i in range(LIMIT):
        client.post("/admin/login/", {"username": "admin", "password": f"wrong-{i}"})
    response = client.post("/admin/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 429


def test_a_superior_unlocks_with_a_reason_and_nobody_else_can(api, client, personas):
    # given a grid worker locked out from another address
    locked = Client(REMOTE_ADDR="10.1.1.1")
    for i in range(LIMIT):
        api_login(locked, "grid_a", f"wrong-{i}")
    assert api_login(locked, "grid_a", PASSWORD).status_code == 429
    url = "/api/v1/users/grid_a/unlock"
    # when a grid worker of another grid, or the worker themself, tries to unlock: 404
    assert api.post(url, {"reason": "我自己"}, as_=personas.grid_b).status_code == 404
    assert api.post(url, {"reason": "我自己"}, as_=personas.grid_a).status_code == 404
    # and the station chief must say why
    assert api.post(url, {"reason": ""}, as_=personas.station).status_code == 422
    # when the station chief unlocks with a reason
    response = api.post(url, {"reason": "本人电话核实"}, as_=personas.station)
    assert response.status_code == 200
    assert response.json() == {"username": "grid_a", "was_locked": True}
    # then the right password works again, and the unlock is on the record with its reason
    assert api_login(locked, "grid_a", PASSWORD).status_code == 201
    entry = AuditEntry.objects.get(action="login_unlock")
    assert (entry.actor, entry.object_repr, entry.reason) == (personas.station, "张三", "本人电话核实")


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_limit_is_a_setting(client, personas):
    answers = [api_login(client, "grid_a", "wrong").status_code for _ in range(3)]
    assert answers == [401, 401, 429]
