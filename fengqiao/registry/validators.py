"""Identifiers of the registry: citizen ID numbers (GB 11643-1999), unified social credit codes
(GB 32100-2015), phone numbers; and how they are shown masked.

Every parser returns the normalised value or raises :class:`InvalidValue` whose ``reason`` is a
sentence a clerk can act on (and whose ``code`` names the rule, for programs and tests). The same
parsers serve the forms, the API and the bulk importer, so a row is rejected for the same reason
whichever door it came through.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _


class InvalidValue(ValueError):
    """A value that cannot be accepted. ``reason`` is translated; ``code`` is stable."""

    def __init__(self, reason: str, code: str = "invalid"):
        super().__init__(reason)
        self.reason = reason
        self.code = code

    def __str__(self):
        return self.reason


# ---------------------------------------------------------------------------------------------
# citizen ID numbers (GB 11643-1999)

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# The earliest birth year accepted: the standard's own example was born in 1880.
EARLIEST_BIRTH_YEAR = 1850

_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")
_SPREADSHEET_FLOAT = re.compile(r"^\d{15,18}\.0+$")
_FULL_WIDTH = re.compile(r"[\uff10-\uff19\uff38\uff58]")  # ０-９ Ｘ ｘ
_WHITESPACE = re.compile(r"[\s\u3000]+")


@dataclass(frozen=True)
class IdNumber:
    """A valid 18-character citizen ID number and what it says."""

    number: str
    birth_date: dt.date
    sex: str  # "M" or "F" (Sex choices)
    county_code: str

    def __str__(self):
        return self.number


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def make_id_number(county: str, born: dt.date, sex: str, n: int) -> str:
    """The ID number of the ``n``-th (0–499) person of ``sex`` born on ``born`` in ``county``:
    the county code, the birth date, a sequence whose parity is the sex (odd: male) and the check
    character, as :func:`parse_id_number` reads them."""
    first17 = f"{county}{born:%Y%m%d}{n * 2 + (1 if sex == 'M' else 0):03d}"
    return first17 + id_check_char(first17)


def _today() -> dt.date:
    return timezone.localdate()


def _birth_date(digits: str, *, today: dt.date) -> dt.date:
    try:
        born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidValue(
            _("the birth date %(date)s in the number is not a real date") % {"date": digits},
            "bad_date",
        ) from None
    if born.year < EARLIEST_BIRTH_YEAR:
        raise InvalidValue(
            _("the birth date %(date)s in the number is not a possible one") % {"date": born.isoformat()},
            "bad_date",
        )
    if born > today:
        raise InvalidValue(
            _("the birth date %(date)s in the number is in the future") % {"date": born.isoformat()},
            "future_date",
        )
    return born


def _spreadsheet_checks(value: str) -> None:
    if _SCIENTIFIC.match(value) or _SPREADSHEET_FLOAT.match(value):
        raise InvalidValue(
            _("the number was turned into %(value)s by a spreadsheet: format the column as text")
            % {"value": value},
            "spreadsheet",
        )
    if _FULL_WIDTH.search(value):
        raise InvalidValue(_("full-width digits: retype with half-width digits"), "full_width")


def parse_id_number(raw, *, today: dt.date | None = None) -> IdNumber:
    """Validate and normalise a citizen ID number; 15-digit numbers are converted to 18."""
    value = _WHITESPACE.sub("", str(raw if raw is not None else ""))
    if not value:
        raise InvalidValue(_("the ID number is empty"), "empty")
    _spreadsheet_checks(value)
    today = today or _today()
    if len(value) == 15:
        if not value.isascii() or not value.isdigit():
            raise InvalidValue(_("a 15-digit ID number has digits only"), "not_digits")
        first17 = value[:6] + "19" + value[6:]
        born = _birth_date(first17[6:14], today=today)
        number = first17 + id_check_char(first17)
    elif len(value) == 18:
        value = value.upper()
        first17, check = value[:17], value[17]
        if not first17.isascii() or not first17.isdigit() or check not in "0123456789X":
            raise InvalidValue(
                _("an ID number has 17 digits and a digit or X at the end"),
                "not_digits",
            )
        born = _birth_date(first17[6:14], today=today)
        expected = id_check_char(first17)
        if check != expected:
            raise InvalidValue(
                _("check character should be %(expected)s, not %(given)s")
                % {"expected": expected, "given": check},
                "check",
            )
        number = value
    else:
        raise InvalidValue(
            _("an ID number has 18 characters (or 15 for the old ones), this one has %(n)d")
            % {"n": len(value)},
            "length",
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumber(number=number, birth_date=born, sex=sex, county_code=number[:6])


def check_sex_matches(id_number: IdNumber, sex) -> None:
    """Raise when a stated sex contradicts the number (odd sequence = male, even = female)."""
    if sex and str(sex) != id_number.sex:
        raise InvalidValue(
            _("the sex does not match the ID number, which says %(sex)s")
            % {"sex": _("male") if id_number.sex == "M" else _("female")},
            "sex_mismatch",
        )


def check_birth_date_matches(id_number: IdNumber, birth_date) -> None:
    """Raise when a stated birth date contradicts the number."""
    if birth_date and birth_date != id_number.birth_date:
        raise InvalidValue(
            _("the birth date does not match the ID number, which says %(date)s")
            % {"date": id_number.birth_date.isoformat()},
            "birth_mismatch",
        )


# ---------------------------------------------------------------------------------------------
# unified social credit codes (GB 32100-2015)

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CHARS)}


def organisation_code_check_char(body: str) -> str:
    """The check character of an 8-character organisation code (GB 11714-1997): weights
    3 7 9 10 5 8 4 2 on the values of the characters (0–9, A=10 … Z=35), 11 − sum mod 11,
    10 → X and 11 → 0."""
    total = sum(int(c, 36) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def make_credit_code(prefix: str, county: str, body: str) -> str:
    """A credit code from its parts: registration authority and category (2 characters), the
    county code (6), the 8-character organisation code body with its GB 11714 check character,
    and the check character :func:`parse_credit_code` checks."""
    first17 = f"{prefix}{county}{body}{organisation_code_check_char(body)}"
    return first17 + credit_check_char(first17)


def credit_check_char(first17: str) -> str:
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def parse_credit_code(raw) -> str:
    """Validate and normalise (upper case, no spaces) a unified social credit code."""
    value = _WHITESPACE.sub("", str(raw if raw is not None else "")).upper()
    if not value:
        raise InvalidValue(_("the credit code is empty"), "empty")
    if _FULL_WIDTH.search(value) or any("\uff21" <= c <= "\uff3a" for c in value):
        raise InvalidValue(_("full-width characters: retype with half-width ones"), "full_width")
    if len(value) != 18:
        raise InvalidValue(
            _("a credit code has 18 characters, this one has %(n)d") % {"n": len(value)}, "length"
        )
    bad = sorted({c for c in value if c not in _CREDIT_VALUE})
    if bad:
        raise InvalidValue(
            _("a credit code does not use %(chars)s (I, O, S, V and Z are never used)")
            % {"chars": ", ".join(bad)},
            "bad_chars",
        )
    expected = credit_check_char(value[:17])
    if value[17] != expected:
        raise InvalidValue(
            _("check character should be %(expected)s, not %(given)s")
            % {"expected": expected, "given": value[17]},
            "check",
        )
    return value


# ---------------------------------------------------------------------------------------------
# phones

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")  # area code 0xx/0xxx + 7–8 digit local number
_PHONE_NOISE = re.compile(r"[\s\u3000\-()（）]")


def parse_phone(raw) -> str:
    """A mainland mobile (11 digits from 13…19) or a landline with its area code, as digits only.
    Spaces, dashes, brackets and a +86/0086 prefix are removed; full-width digits are accepted."""
    value = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
    if not value:
        raise InvalidValue(_("the phone number is empty"), "empty")
    if _SCIENTIFIC.match(value):
        raise InvalidValue(
            _("the number was turned into %(value)s by a spreadsheet: format the column as text")
            % {"value": value},
            "spreadsheet",
        )
    digits = _PHONE_NOISE.sub("", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits.isascii() or not digits.isdigit():
        raise InvalidValue(_("a phone number has digits only"), "not_digits")
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    if digits.startswith("1"):
        raise InvalidValue(_("a mobile number has 11 digits and starts with 13 to 19"), "bad_phone")
    if len(digits) in (7, 8):
        raise InvalidValue(_("a landline number needs its area code"), "bad_phone")
    raise InvalidValue(_("not a mainland mobile or landline number"), "bad_phone")


# ---------------------------------------------------------------------------------------------
# masking


def mask_id_number(value) -> str:
    """``640302199001011234`` → ``6403************34``: the first four and the last two kept.

    Beside the birth year that masked roles see, this leaves about 3,300 numbers one person's
    could be (365 days × 100 sequence numbers ÷ 11 check characters, in one county); first-4 and
    last-4 left 33, fewer than the look-ups an hour allows (docs/adr/0009)."""
    value = str(value or "")
    if not value:
        return ""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_birth_date(value) -> str:
    """``1990-01-01`` → ``1990``: the birth year, all a role that sees masked numbers is shown."""
    if not value:
        return ""
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return text[:4]


def mask_phone(value) -> str:
    """``13912345678`` → ``139****5678``; landlines keep their area code and last four digits."""
    value = str(value or "")
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * (len(value) - 2) + value[-2:] if len(value) > 2 else "*" * len(value)
    if value.startswith("0"):
        head = 3 if value[1] in "12" else 4
        return value[:head] + "*" * (len(value) - head - 4) + value[-4:]
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
