"""Log-ins and real one-time codes for the account tests (django-otp's own TOTP, no mock)."""

import base64
import datetime as dt
import time

from django.test import override_settings
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.accounts.actions import confirm_enrolment, start_enrolment
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token"
ZH = {"Accept-Language": "zh-hans"}


def page_login(client, username, password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password}, headers=ZH)


def token_request(client, username, password=PASSWORD, otp=None):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    return client.post(TOKEN_URL, body, content_type="application/json", headers=ZH)


def code_of(secret_b32: str) -> str:
    """The code an authenticator app shows now for this key (as scanned from the QR code)."""
    totp = TOTP(base64.b32decode(secret_b32))
    return f"{totp.token():06d}"


def key_code(device: TOTPDevice) -> str:
    """The code the device's app shows, at the first time step the device still accepts (one step
    ahead at most, which its tolerance allows: a code is accepted once)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    step = max(totp.t(), device.last_t + 1)
    if step > totp.t() + 1:  # two codes used within one step: wait for the next
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.1)
        return key_code(device)
    totp.time = device.t0 + step * device.step
    return f"{totp.token():0{device.digits}d}"


def let_throttle_pass(device) -> None:
    """Time passes: django-otp's back-off after wrong codes has run out (the count stays)."""
    past = timezone.now() - dt.timedelta(days=1)
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user_id=device.user_id, throttling_failure_count__gt=0).update(
            throttling_failure_timestamp=past
        )


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """``user`` enrols an authenticator app, as the enrolment page does: the device and the ten
    recovery codes."""
    with override_settings(STAFF_MFA="required"):
        device = start_enrolment(user)
        return confirm_enrolment(user, key_code(device), actor=user)
