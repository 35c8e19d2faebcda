"""Passwords (MLPS level 3): the rules, the history, the change page for everyone, a change forced
after someone else set the password or when a staff password is too old, on the pages and the API."""

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from fengqiao.accounts.models import ApiToken, PasswordRecord, User
from fengqiao.core.models import AuditEntry
from tests.accounts.helpers import ZH, page_login, token_request
from tests.conftest import PASSWORD

CHANGE = "/account/password/"
GOOD = "Qiao-2026-feng"


def change(client, new, old=PASSWORD, new2=None):
    return client.post(
        CHANGE,
        {"old_password": old, "new_password1": new, "new_password2": new if new2 is None else new2},
        headers=ZH,
    )


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1-x", "密码太短，至少须有 10 个字符。"),
        ("qiaofengwuzhong", "密码须至少包含大写字母、小写字母、数字、符号中的 3 类字符。"),
        ("qiaofeng-wuzhong", "密码须至少包含大写字母、小写字母、数字、符号中的 3 类字符。"),
        ("Password1!", "这个密码太常见了。"),
    ],
    ids=["short", "two kinds", "lower and symbol", "common"],
)
@pytest.mark.parametrize("username", ["grid_a", "resident"])
def test_weak_passwords_are_refused_in_chinese_naming_the_field(
    client, personas, username, password, message
):
    page_login(client, username)
    response = change(client, password)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].errors["new_password2"]
    assert User.objects.get(username=username).check_password(PASSWORD)


def test_a_good_password_is_taken_audited_and_ends_the_old_tokens(client, personas, api):
    # given a resident with an API token
    token = api.token_of(personas.resident)
    page_login(client, "resident")
    # when they choose a good new password
    response = change(client, GOOD)
    # then it is theirs, their session goes on, their old token dies, and it is on the record
    assert response.status_code == 302
    assert User.objects.get(username="resident").check_password(GOOD)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert AuditEntry.objects.filter(action="password_change", actor=personas.resident).exists()
    assert ApiToken.objects.filter(user=personas.resident).count() == 1


@override_settings(PASSWORD_HISTORY=3)
def test_the_last_passwords_may_not_come_back(client, personas):
    page_login(client, "grid_a")
    assert change(client, "First-pass-01").status_code == 302
    assert change(client, "Second-pass-02", old="First-pass-01").status_code == 302
    # the current one, and the one before, and the first: refused, in Chinese
    for again in ("Second-pass-02", "First-pass-01", PASSWORD):
        response = change(client, again, old="Second-pass-02")
        assert "新密码不能与最近 3 次使用过的密码相同" in response.content.decode(), again
    # one further back than the history keeps is allowed again
    assert change(client, "Third-pass-03", old="Second-pass-02").status_code == 302
    assert change(client, "Fourth-pass-04", old="Third-pass-03").status_code == 302
    assert change(client, "First-pass-01", old="Fourth-pass-04").status_code == 302
    # and only as many hashes as the history needs are kept, never a raw password
    kept = PasswordRecord.objects.filter(user=personas.grid_a)
    assert kept.count() == 3
    assert all(r.password.startswith("md5$") for r in kept)


def test_a_superiors_reset_forces_a_change_at_the_next_log_in(api, personas):
    # given the station chief resets a grid worker's password (a forgotten one)
    url = "/api/v1/users/grid_a/password/reset"
    assert api.post(url, {"reason": "忘记密码"}, as_=personas.grid_b).status_code == 404
    response = api.post(url, {"reason": "忘记密码，本人电话核实"}, as_=personas.station)
    assert response.status_code == 200, response.content
    temporary = response.json()["password"]
    assert response.json()["must_change"] is True
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="password_set_for")
    assert (entry.actor, entry.reason) == (personas.station, "忘记密码，本人电话核实")
    assert temporary not in str(entry.after)
    # then the old password no longer works, the new one does, and only the change page opens
    client = Client()
    assert page_login(client, "grid_a").status_code == 200  # the old password: the form again
    assert page_login(client, "grid_a", temporary).status_code == 302
    assert client.get("/").headers["Location"] == CHANGE
    assert client.get("/events/").headers["Location"] == CHANGE + "?next=%2Fevents%2F"
    page = client.get(CHANGE)
    assert "您的密码是由他人设置的" in page.content.decode()
    # and the API gives no token until then, saying why in Chinese
    refused = token_request(Client(), "grid_a", temporary)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("password: 您的密码是由他人设置的")
    # when they choose their own
    assert change(client, GOOD, old=temporary).status_code == 302
    # then everything opens, and a token is given
    assert client.get("/").status_code == 200
    assert token_request(Client(), "grid_a", GOOD).status_code == 201


def test_a_password_set_in_the_admin_is_changed_at_the_next_log_in(client, personas):
    client.force_login(personas.admin)
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newcomer",
            "password1": GOOD,
            "password2": GOOD,
            "usable_password": "true",
            "postings-TOTAL_FORMS": "0",
            "postings-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    newcomer = Client()
    page_login(newcomer, "newcomer", GOOD)
    assert newcomer.get("/").headers["Location"] == CHANGE
    assert AuditEntry.objects.filter(action="password_set_for", actor=personas.admin).exists()


def test_an_old_staff_password_forces_a_change_and_a_residents_does_not(client, personas):
    # given passwords set 91 days ago (at sign-up: create_user keeps no record of its own)
    long_ago = timezone.now() - dt.timedelta(days=91)
    User.objects.filter(pk__in=[personas.grid_a.pk, personas.resident.pk]).update(date_joined=long_ago)
    page_login(client, "grid_a")
    assert client.get("/").headers["Location"] == CHANGE
    assert "超过 90 天" in client.get(CHANGE).content.decode()
    assert token_request(Client(), "grid_a").status_code == 403
    resident = Client()
    page_login(resident, "resident")
    assert resident.get("/").status_code == 200
    # a new password: good for another 90 days
    assert change(client, GOOD).status_code == 302
    assert client.get("/").status_code == 200


@override_settings(STAFF_PASSWORD_DAYS=0)
def test_no_expiry_when_the_days_are_zero(client, personas):
    User.objects.filter(pk=personas.grid_a.pk).update(date_joined=timezone.now() - dt.timedelta(days=900))
    page_login(client, "grid_a")
    assert client.get("/").status_code == 200


def test_accounts_written_in_bulk_like_the_demos_are_not_forced_to_change(client, personas):
    # the demo writes its accounts with bulk_create (no save(), so no record): they log in straight away
    from django.contrib.auth.hashers import make_password

    User.objects.bulk_create(
        [User(username="demo_grid", role="grid_worker", password=make_password("x-demo"))]
    )
    page_login(client, "demo_grid", "x-demo")
    assert client.get("/").status_code == 200


@override_settings(STAFF_MFA="required")
def test_the_second_factor_comes_before_the_forced_change(api, personas):
    from tests.accounts.helpers import enrol, key_code

    device, _codes = enrol(personas.grid_a)
    temporary = api.post(
        "/api/v1/users/grid_a/password/reset", {"reason": "忘记密码"}, as_=personas.station
    ).json()["password"]
    client = Client()
    page_login(client, "grid_a", temporary)
    assert client.get(CHANGE).headers["Location"] == "/account/two-factor/verify/"
    client.post("/account/two-factor/verify/", {"code": key_code(device)})
    assert client.get("/").headers["Location"] == CHANGE
    assert change(client, GOOD, old=temporary).status_code == 302
    assert client.get("/").status_code == 200


def test_a_recorded_password_date_counts_rather_than_the_sign_up(client, personas):
    # given a staff member who joined long ago but changed their password last week
    User.objects.filter(pk=personas.grid_a.pk).update(date_joined=timezone.now() - dt.timedelta(days=400))
    page_login(client, "grid_a")
    assert change(client, GOOD).status_code == 302
    PasswordRecord.objects.filter(user=personas.grid_a).update(set_at=timezone.now() - dt.timedelta(days=7))
    other = Client()
    page_login(other, "grid_a", GOOD)
    assert other.get("/").status_code == 200
    # and once that record is 91 days old, the change is due
    PasswordRecord.objects.filter(user=personas.grid_a).update(set_at=timezone.now() - dt.timedelta(days=91))
    late = Client()
    page_login(late, "grid_a", GOOD)
    assert late.get("/").headers["Location"] == CHANGE
