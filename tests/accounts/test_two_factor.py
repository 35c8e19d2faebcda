"""Two factors for staff (django-otp): enrolment by QR code, the second step of a log-in on the
pages, the admin and the token endpoint, recovery codes, throttling and lock-out, a superior's reset.

Codes are real: computed from the device's key with django-otp's own TOTP, never mocked.
"""

import io
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import zxingcpp
from django.test import Client, override_settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from fengqiao.core.models import AuditEntry
from tests.accounts.helpers import (
    code_of,
    enrol,
    key_code,
    let_throttle_pass,
    page_login,
    token_request,
)

pytestmark = pytest.mark.usefixtures("mfa_required")


@pytest.fixture
def mfa_required():
    with override_settings(STAFF_MFA="required"):
        yield


# --- enrolment ----------------------------------------------------------------------------------


def test_staff_without_a_device_is_sent_to_enrol_and_scans_a_real_qr_code(client, personas):
    # given a grid worker who has only given their password
    page_login(client, "grid_a")
    # then every page sends them to the enrolment, with where they were going
    response = client.get("/grids/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/enrol/?next=%2Fgrids%2F"
    assert client.get("/").headers["Location"] == "/account/two-factor/enrol/"
    assert client.get("/account/two-factor/verify/").headers["Location"] == "/account/two-factor/enrol/"
    # and the API does not take the half-open session either
    assert client.get("/api/v1/me").status_code == 401
    # when they open the enrolment page
    page = client.get("/account/two-factor/enrol/")
    assert page.status_code == 200
    assert 'src="/account/two-factor/qr.png"' in page.content.decode()
    # then the QR code is a PNG whose otpauth:// address names 枫桥 and the device's key
    image = client.get("/account/two-factor/qr.png")
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert "no-store" in image["Cache-Control"]
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.content)))
    uri = urlsplit(decoded.text)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == "/枫桥:grid_a"
    query = parse_qs(uri.query)
    assert query["issuer"] == ["枫桥"]
    device = TOTPDevice.objects.get(user=personas.grid_a)
    assert device.confirmed is False
    # when they type a wrong code, nothing is enrolled
    wrong = client.post(
        "/account/two-factor/enrol/", {"code": "000000" if key_code(device) != "000000" else "111111"}
    )
    assert "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    # when they type the code their app shows (computed from the secret in the QR code)
    let_throttle_pass(device)
    done = client.post("/account/two-factor/enrol/", {"code": code_of(query["secret"][0])})
    # then the device is theirs, with ten recovery codes shown once, and the session is verified
    assert done.status_code == 200, done.content.decode()
    html = done.content.decode()
    assert "恢复码" in html
    device.refresh_from_db()
    assert device.confirmed is True
    codes = StaticToken.objects.filter(device__user=personas.grid_a)
    assert codes.count() == 10
    assert all(f"{t.token[:4]}-{t.token[4:]}" in html for t in codes)
    assert AuditEntry.objects.filter(action="mfa_enrol", object_id=str(personas.grid_a.pk)).exists()
    assert client.get("/grids/").status_code == 200
    # and the QR code is gone with the enrolment: the key is not shown again
    assert client.get("/account/two-factor/qr.png").status_code == 404
    assert client.get("/account/two-factor/enrol/").headers["Location"] == "/account/"


def test_someone_with_a_device_cannot_enrol_another_with_the_password_alone(client, personas):
    enrol(personas.grid_a)
    page_login(client, "grid_a")
    assert (
        client.get("/account/two-factor/enrol/").headers["Location"].startswith("/account/two-factor/verify/")
    )
    assert client.get("/account/two-factor/qr.png").status_code == 302
    assert TOTPDevice.objects.filter(user=personas.grid_a).count() == 1


# --- the second step of a log-in on the pages ---------------------------------------------------


def test_password_then_code_then_home(client, personas):
    # given a grid worker with an authenticator app
    device, _codes = enrol(personas.grid_a)
    # when they log in with the password
    response = page_login(client, "grid_a")
    # then the home page sends them to the second step, and nothing else opens
    assert client.get(response["Location"]).headers["Location"] == "/account/two-factor/verify/"
    assert client.get("/events/").headers["Location"] == "/account/two-factor/verify/?next=%2Fevents%2F"
    # when they type a wrong code: a Chinese error, audited
    wrong = client.post("/account/two-factor/verify/", {"code": "12345"})
    assert wrong.status_code == 200
    assert "验证码不正确" in wrong.content.decode()
    assert AuditEntry.objects.filter(action="mfa_failed", object_id="grid_a").count() == 1
    # when they type the code the app shows now (once django-otp's throttle lets them)
    let_throttle_pass(device)
    done = client.post("/account/two-factor/verify/", {"code": key_code(device), "next": "/events/"})
    # then they reach where they were going, and every page opens
    assert done.status_code == 302
    assert done["Location"] == "/events/"
    assert client.get("/").status_code == 200


@override_settings(OTP_TOTP_THROTTLE_FACTOR=30)  # django-otp's setting: 30 s after one wrong code
def test_a_wrong_code_throttles_the_next_try_even_when_it_is_right(client, personas):
    device, _codes = enrol(personas.grid_a)
    page_login(client, "grid_a")
    client.post("/account/two-factor/verify/", {"code": "000001"})
    # straight after, the right code is refused too, with how long to wait
    response = client.post("/account/two-factor/verify/", {"code": key_code(device)})
    assert "错误次数过多" in response.content.decode()
    assert client.get("/").status_code == 302


def test_repeated_wrong_codes_lock_the_account_out(client, personas):
    device, _codes = enrol(personas.grid_a)
    page_login(client, "grid_a")
    answers = []
    for _i in range(5):  # FENGQIAO_LOGIN_FAILURES
        let_throttle_pass(device)
        answers.append(client.post("/account/two-factor/verify/", {"code": "999999"}).status_code)
    # then the last one is the lock-out, the session is over, and the right password is refused
    assert answers[-1] == 429
    assert "_auth_user_id" not in client.session
    assert page_login(client, "grid_a").status_code == 429
    assert AuditEntry.objects.filter(action="login_locked_out", object_id="grid_a").exists()


def test_a_recovery_code_works_once_and_its_use_is_audited(client, personas):
    _device, codes = enrol(personas.grid_a)
    page_login(client, "grid_a")
    assert client.post("/account/two-factor/verify/", {"code": codes[0].upper()}).status_code == 302
    assert client.get("/").status_code == 200
    entry = AuditEntry.objects.get(action="mfa_recovery_used")
    assert entry.after == {"left": 9}
    # the same code in another log-in no longer works
    other = Client()
    page_login(other, "grid_a")
    response = other.post("/account/two-factor/verify/", {"code": codes[0]})
    assert "验证码不正确" in response.content.decode()


def test_new_recovery_codes_replace_the_old_ones_and_are_audited(client, personas):
    device, codes = enrol(personas.grid_a)
    page_login(client, "grid_a")
    client.post("/account/two-factor/verify/", {"code": key_code(device)})
    response = client.post("/account/two-factor/recovery-codes/")
    assert response.status_code == 200
    fresh = {t.token for t in StaticToken.objects.filter(device__user=personas.grid_a)}
    assert len(fresh) == 10 and not fresh & {c.replace("-", "") for c in codes}
    assert AuditEntry.objects.filter(action="mfa_recovery_codes", actor=personas.grid_a).exists()


def test_the_admin_requires_the_second_factor(client, personas):
    # given the superuser with an authenticator app, logged in with the password alone
    device, _codes = enrol(personas.admin)
    client.force_login(personas.admin)
    # then the admin does not open
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/verify/?next=%2Fadmin%2F"
    # nor does the admin site itself let in an unverified session (the site's own check)
    from django.contrib import admin
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user, request.session = personas.admin, client.session
    request.user.is_verified = lambda: False
    assert admin.site.has_permission(request) is False
    # when they pass the second step
    client.post("/account/two-factor/verify/", {"code": key_code(device)})
    # then it does
    assert client.get("/admin/").status_code == 200


def test_residents_are_not_asked(client, personas):
    response = page_login(client, "resident")
    assert client.get(response["Location"]).status_code == 200
    assert client.get("/account/two-factor/enrol/").headers["Location"] == "/account/"
    assert token_request(client, "resident").status_code == 201


@override_settings(STAFF_MFA="optional")
def test_optional_asks_only_those_who_enrolled(client, personas):
    page_login(client, "grid_b")
    assert client.get("/").status_code == 200
    enrol(personas.grid_a)
    other = Client()
    page_login(other, "grid_a")
    assert other.get("/").headers["Location"] == "/account/two-factor/verify/"


@override_settings(STAFF_MFA="off")
def test_off_asks_nobody(client, personas):
    enrol(personas.grid_a)
    page_login(client, "grid_a")
    assert client.get("/").status_code == 200
    assert token_request(client, "grid_a").status_code == 201


# --- the token endpoint -------------------------------------------------------------------------


def test_the_token_endpoint_asks_staff_for_the_code(client, personas):
    device, codes = enrol(personas.station)
    # no code: refused, saying what is missing, in Chinese
    response = token_request(client, "station")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("otp: ")
    assert "验证码" in response.json()["detail"]
    assert not AuditEntry.objects.filter(action="token_create").exists()
    # a wrong code: refused, audited as a failed second factor
    response = token_request(client, "station", otp="000000" if key_code(device) != "000000" else "111111")
    assert response.status_code == 401
    assert "验证码不正确" in response.json()["detail"]
    assert AuditEntry.objects.filter(action="mfa_failed", object_id="station").exists()
    # the code the app shows: a token
    let_throttle_pass(device)
    code = key_code(device)
    response = token_request(client, "station", otp=code)
    assert response.status_code == 201, response.content
    # the same code again (a replay): refused
    assert token_request(client, "station", otp=code).status_code == 401
    # a recovery code: a token, once
    assert token_request(client, "station", otp=codes[3]).status_code == 201
    assert token_request(client, "station", otp=codes[3]).status_code == 401


def test_the_token_endpoint_refuses_staff_who_must_enrol_first(client, personas):
    response = token_request(client, "grid_a", otp="123456")
    assert response.status_code == 403
    assert response.json()["detail"].startswith("otp: ")
    assert "启用两步登录" in response.json()["detail"]


def test_wrong_codes_on_the_token_endpoint_lock_the_account_out(client, personas):
    device, _codes = enrol(personas.station)
    answers = []
    for _i in range(5):
        let_throttle_pass(device)
        answers.append(token_request(client, "station", otp="999999").status_code)
    assert answers[:4] == [401] * 4
    assert answers[-1] == 429
    let_throttle_pass(device)
    assert token_request(client, "station", otp=key_code(device)).status_code == 429


# --- a superior's reset -------------------------------------------------------------------------


def test_a_superior_resets_a_lost_second_factor_and_the_user_enrols_again(api, personas):
    # given a grid worker who lost the phone with their authenticator app
    enrol(personas.grid_a)
    url = "/api/v1/users/grid_a/second-factor/reset"
    # a peer or the user themself: 404, as for a missing account
    assert api.post(url, {"reason": "丢手机"}, as_=personas.grid_b).status_code == 404
    assert api.post(url, {"reason": "丢手机"}, as_=personas.grid_a).status_code == 404
    # without a reason: 422
    assert api.post(url, {"reason": ""}, as_=personas.station).status_code == 422
    # when the station chief resets it, with a reason
    response = api.post(url, {"reason": "手机丢失，本人电话核实"}, as_=personas.station)
    # then every device of the user is gone, on the record
    assert response.status_code == 200, response.content
    assert response.json() == {"username": "grid_a", "devices_removed": 2}
    assert not TOTPDevice.objects.filter(user=personas.grid_a).exists()
    assert not StaticToken.objects.filter(device__user=personas.grid_a).exists()
    entry = AuditEntry.objects.get(action="mfa_reset")
    assert (entry.actor, entry.object_id, entry.reason) == (
        personas.station,
        str(personas.grid_a.pk),
        "手机丢失，本人电话核实",
    )
    # and the grid worker's next log-in leads to a new enrolment
    client = Client()
    page_login(client, "grid_a")
    assert client.get("/").headers["Location"] == "/account/two-factor/enrol/"


def test_an_unconfirmed_device_counts_for_nothing(client, personas):
    # a device whose enrolment was never confirmed: the account must still enrol
    TOTPDevice.objects.create(user=personas.grid_a, name="x", confirmed=False)
    assert token_request(client, "grid_a", otp="123456").status_code == 403
