"""The password rules of MLPS level 3, as Django password validators, and when a password is due.

Django runs the validators wherever a password is chosen (the change page, the admin, the actions
that set one), and calls each validator's ``password_changed`` whenever a user is saved with a new
password, whoever set it: that hook keeps the history the no-reuse rule reads and the date expiry
counts from.
"""

import datetime as dt
import secrets
import string

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fengqiao.accounts.models import PasswordRecord
from fengqiao.core.scoping import is_staff

CLASSES = (
    (str.isupper, "upper"),
    (str.islower, "lower"),
    (str.isdigit, "digit"),
)


def character_classes(password: str) -> int:
    """How many of upper-case letters, lower-case letters, digits and symbols the password has."""
    kinds = {name for char in password for test, name in CLASSES if test(char)}
    if any(not char.isalnum() for char in password):
        kinds.add("symbol")
    return len(kinds)


class CharacterClassesValidator:
    """At least FENGQIAO_PASSWORD_CLASSES of the four kinds of character (read at each check)."""

    def validate(self, password, user=None):
        needed = settings.PASSWORD_CLASSES
        if character_classes(password) < needed:
            raise ValidationError(self.message(needed), code="password_too_plain")

    def message(self, needed: int) -> str:
        return ngettext(
            "The password must mix at least %(n)d kind of character: upper-case letters, "
            "lower-case letters, digits, symbols.",
            "The password must mix at least %(n)d kinds of character: upper-case letters, "
            "lower-case letters, digits, symbols.",
            needed,
        ) % {"n": needed}

    def get_help_text(self):
        return self.message(settings.PASSWORD_CLASSES)


class HistoryValidator:
    """None of the user's last FENGQIAO_PASSWORD_HISTORY passwords (the current one included)."""

    def validate(self, password, user=None):
        keep = settings.PASSWORD_HISTORY
        if keep <= 0 or user is None or user.pk is None:
            return
        hashes = list(
            PasswordRecord.objects.filter(user_id=user.pk)
            .order_by("-set_at", "-id")
            .values_list("password", flat=True)[:keep]
        )
        if user.password and user.password not in hashes:
            hashes.insert(0, user.password)  # the current one, set before records were kept
        if any(check_password(password, encoded) for encoded in hashes[:keep]):
            raise ValidationError(self.message(keep), code="password_reused")

    def password_changed(self, password, user):
        """Keep the new password's hash (the user's, never the raw password) and forget the ones
        past the history's length. A password set by anyone starts here as the user's own; the
        actions that set one for someone else then mark it for change."""
        PasswordRecord.objects.create(user=user, password=user.password)
        keep = max(settings.PASSWORD_HISTORY, 1)
        older = PasswordRecord.objects.filter(user=user).order_by("-set_at", "-id")[keep:]
        stale = list(older.values_list("pk", flat=True))
        if stale:
            PasswordRecord.objects.filter(pk__in=stale).delete()

    def message(self, keep: int) -> str:
        return ngettext(
            "A new password must differ from the last %(n)d password you used.",
            "A new password must differ from the last %(n)d passwords you used.",
            keep,
        ) % {"n": keep}

    def get_help_text(self):
        keep = settings.PASSWORD_HISTORY
        return self.message(keep) if keep > 0 else ""


# --- when a password must change ----------------------------------------------------------------

# The session's note of why its user must change their password ("" when they need not): checked
# once a session, dropped at each log-in.
DUE_KEY = "fq_password_due"
SET_BY_OTHER = "set_by_other"
EXPIRED = "expired"


def current_record(user) -> PasswordRecord | None:
    return PasswordRecord.objects.filter(user_id=user.pk).order_by("-set_at", "-id").first()


def change_due(user) -> str:
    """Why ``user`` must choose a new password before anything else ("" when they need not): it was
    set by someone else, or it is a staff password older than FENGQIAO_STAFF_PASSWORD_DAYS (counted
    from the sign-up when no record of it was kept)."""
    if user is None or not user.is_authenticated or not user.has_usable_password():
        return ""
    record = current_record(user)
    if record is not None and record.must_change:
        return SET_BY_OTHER
    days = settings.STAFF_PASSWORD_DAYS
    if days > 0 and is_staff(user):
        set_at = record.set_at if record is not None else user.date_joined
        if timezone.now() - set_at > dt.timedelta(days=days):
            return EXPIRED
    return ""


def due_message(reason: str) -> str:
    if reason == SET_BY_OTHER:
        return _("Your password was set by someone else: choose your own before going on.")
    if reason == EXPIRED:
        return _("Your password is more than %(days)d days old: choose a new one before going on.") % {
            "days": settings.STAFF_PASSWORD_DAYS
        }
    return ""


def temporary_password() -> str:
    """A random password that passes every rule: four kinds of character, 16 characters."""
    symbols = "-_.!@#%+="
    picks = [
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.digits),
        secrets.choice(symbols),
    ]
    alphabet = string.ascii_letters + string.digits + symbols
    picks += [secrets.choice(alphabet) for _ in range(12)]
    secrets.SystemRandom().shuffle(picks)
    return "".join(picks)
