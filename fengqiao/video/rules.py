"""The camera inventory's rules, written once: the GB/T 28181 device code and a camera's fields.

A GB/T 28181 device code has 20 digits: the centre code (8: the 6-digit administrative division
and 2 digits of the base unit), the industry (2), the type (3: 131 camera, 132 network camera),
the network (1: 0–4 the surveillance network, 5 the police network, 6 the government network,
7 the Internet, 8 the social-resources access network; 9 is reserved) and a serial (6).
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from fengqiao.video.choices import PRIVATE_KINDS

CAMERA_TYPES = ("131", "132")
NETWORKS = "012345678"
# The province-level codes of GB/T 2260 (the first two digits of a division code).
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


def device_code_problem(value: str) -> str | None:
    """What is wrong with a device code, in one sentence naming the part; None when it is right."""
    code = (value or "").strip()
    if not re.fullmatch(r"[0-9]{20}", code):
        return _("A device code has exactly 20 digits; this one has %(n)s characters.") % {"n": len(code)}
    centre, type_code, network = code[:8], code[10:13], code[13]
    if centre[:2] not in PROVINCES or centre[2:6] == "0000":
        return _(
            "Digits 1–8 are the centre code, which begins with a division code: %(code)s is not one."
        ) % {"code": centre[:6]}
    if type_code not in CAMERA_TYPES:
        return _(
            "Digits 11–13 are the device type: %(code)s is not a camera (131 camera, 132 network camera)."
        ) % {"code": type_code}
    if network not in NETWORKS:
        return _("Digit 14 is the network: %(code)s is reserved (0–8 are networks).") % {"code": network}
    return None


def check_device_code(value: str) -> str:
    """The code, stripped; raises a ValidationError on ``device_code`` naming what is wrong."""
    problem = device_code_problem(value)
    if problem:
        raise ValidationError({"device_code": [problem]})
    return value.strip()


def check_camera(*, kind: str, owner_name: str, owner_phone: str, direction, lon, lat) -> dict:
    """The field errors of a camera's details (empty when they are right)."""
    errors: dict[str, list] = {}
    if kind in PRIVATE_KINDS and not (owner_name or "").strip():
        errors["owner_name"] = [_("A private camera needs its owner's name.")]
    phone = (owner_phone or "").strip()
    if kind in PRIVATE_KINDS and not phone:
        errors["owner_phone"] = [_("A private camera needs a contact phone.")]
    elif phone and not PHONE.match(phone):
        errors["owner_phone"] = [_("Give a phone number of digits (spaces and dashes are fine).")]
    if direction is not None and not 0 <= direction < 360:
        errors["direction"] = [_("Give the direction in degrees from north, 0 to 359.")]
    if (lon is None) != (lat is None):
        errors["lat" if lat is None else "lon"] = [_("Give both longitude and latitude, or neither.")]
    for name, v, bound in (("lon", lon, 180), ("lat", lat, 90)):
        if v is not None and not -bound <= v <= bound:
            errors[name] = [_("Give a number from %(low)s to %(high)s.") % {"low": -bound, "high": bound}]
    return errors
