"""Two factors for staff (django-otp): who owes a second factor, and their devices.

A member of staff enrols one TOTP device (an authenticator app, issuer 枫桥) and gets ten one-time
recovery codes (django-otp's static device). FENGQIAO_STAFF_MFA decides who is asked:

- ``required``: every member of staff, at every log-in; one without a device must enrol first;
- ``optional``: the staff who have enrolled;
- ``off``: nobody.

Residents and volunteers are never asked. The changes (enrolment, recovery codes, a reset, a wrong
code) are actions in ``accounts.actions``.
"""

from django.conf import settings
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.core.scoping import is_staff

REQUIRED, OPTIONAL, OFF = "required", "optional", "off"
VERIFY, ENROL = "verify", "enrol"
RECOVERY_CODES = 10
# A session of a member of staff found to have no device, in optional mode: not asked again.
NO_DEVICE_KEY = "fq_no_second_factor"


def mode() -> str:
    return settings.STAFF_MFA


def is_verified(user) -> bool:
    """This session passed the second factor (django-otp's middleware says so)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def owed_by(user) -> str:
    """What ``user`` owes before using their account, whatever the session: "" (nothing),
    ``VERIFY`` (a code from their device) or ``ENROL`` (a device first)."""
    if mode() == OFF or not is_staff(user):
        return ""
    if user_has_device(user):
        return VERIFY
    return ENROL if mode() == REQUIRED else ""


def owed_in_session(request) -> str:
    """What the signed-in user of this request still owes in this session (see ``owed_by``)."""
    user = getattr(request, "user", None)
    if user is None or mode() == OFF or not is_staff(user) or is_verified(user):
        return ""
    session = request.session
    if mode() == OPTIONAL and session.get(NO_DEVICE_KEY):
        return ""
    owed = owed_by(user)
    if not owed and mode() == OPTIONAL:
        session[NO_DEVICE_KEY] = True
    return owed


def totp_device(user, *, confirmed: bool | None = True) -> TOTPDevice | None:
    devices = TOTPDevice.objects.devices_for_user(user, confirmed=confirmed)
    return devices.order_by("-id").first()


def recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.devices_for_user(user, confirmed=True).order_by("-id").first()


def recovery_codes_left(user) -> int:
    device = recovery_device(user)
    return device.token_set.count() if device is not None else 0


def may_enrol(user) -> bool:
    """Staff without a confirmed device, while two factors are on."""
    return mode() != OFF and is_staff(user) and not user_has_device(user)


def normalise(code: str) -> str:
    """What was typed, without spaces and dashes (recovery codes are shown as ``abcd-efgh``)."""
    return "".join(str(code or "").split()).replace("-", "").lower()


def is_totp_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def grouped(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"
