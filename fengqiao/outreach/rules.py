"""The rules of outreach, written once: what a group, a campaign, a consultation and a lecture must
hold. Forms, the API and the actions call these; each raises a ValidationError naming the field."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.outreach.choices import ConsultationOutcome

MAX_AMOUNT = Decimal("9999999999.99")
MAX_MEMBERS = 5000  # WeChat and WeCom groups take at most 500, WeCom customer groups 2,000; QQ up to 3,000
MAX_ATTENDANCE = 100_000


def text(value, field: str, *, limit: int, required: bool = True) -> str:
    value = str(value or "").strip()
    if required and not value:
        raise ValidationError({field: [_("This field is required.")]})
    if len(value) > limit:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": limit}]})
    return value


def choice(value, field: str, choices) -> str:
    if value not in choices.values:
        raise ValidationError({field: [_("Unknown value: %(value)s.") % {"value": value}]})
    return value


def member_count(value, field: str = "members") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Give a whole number.")]}) from None
    if not 0 <= number <= MAX_MEMBERS:
        raise ValidationError({field: [_("Give a number from 0 to %(n)s.") % {"n": MAX_MEMBERS}]})
    return number


def attendance(value, field: str = "attendance") -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Give a whole number.")]}) from None
    if not 0 <= number <= MAX_ATTENDANCE:
        raise ValidationError({field: [_("Give a number from 0 to %(n)s.") % {"n": MAX_ATTENDANCE}]})
    return number


def not_in_future(day: dt.date, field: str) -> dt.date:
    if day > timezone.localdate():
        raise ValidationError({field: [_("This date is in the future.")]})
    return day


def webhook_url(value) -> str:
    """A WeCom group bot's webhook: an http(s) URL (the bot's key is in its query)."""
    url = str(value or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError({"webhook_url": [_("Give the group bot's webhook address (https://…).")]})
    if len(url) > 500:
        raise ValidationError({"webhook_url": [_("At most %(n)s characters.") % {"n": 500}]})
    return url


def amount(value, field: str) -> Decimal:
    if value in (None, ""):
        return Decimal(0)
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValidationError({field: [_("Give an amount in yuan, e.g. 5000 or 1200.50.")]}) from None
    if not number.is_finite() or number < 0 or number > MAX_AMOUNT:
        raise ValidationError({field: [_("Give an amount in yuan, e.g. 5000 or 1200.50.")]})
    return number.quantize(Decimal("0.01"))


def outcome_amounts(outcome: str, amount_lost: Decimal) -> Decimal:
    """Only someone already defrauded has lost money, and then the loss is given."""
    if outcome == ConsultationOutcome.DEFRAUDED and amount_lost <= 0:
        raise ValidationError({"amount_lost": [_("Give the amount the resident lost.")]})
    if outcome != ConsultationOutcome.DEFRAUDED and amount_lost:
        raise ValidationError({"amount_lost": [_("Only a resident already defrauded has an amount lost.")]})
    return amount_lost


def send_at(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value < timezone.now() - dt.timedelta(minutes=5):
        raise ValidationError({"send_at": [_("This time has passed: leave it empty to send once approved.")]})
    return value
