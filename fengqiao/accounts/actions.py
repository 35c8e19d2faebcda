"""Changes of state for accounts: API tokens, lock-outs, postings, passwords and second factors.

A token is shown once, when it is issued; only its SHA-256 digest is stored, so a leaked
database does not leak working tokens.
"""

import copy
import datetime as dt

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from fengqiao.accounts import mfa, passwords
from fengqiao.accounts.models import ApiToken, PasswordRecord, Posting, User
from fengqiao.core import audit
from fengqiao.core.refcache import Reference
from fengqiao.core.roles import can_manage_postings
from fengqiao.core.scoping import OutOfScope, is_below, is_staff, path_within, scope_prefixes, scope_q
from fengqiao.geo.models import Grid, PoliceUnit

# How stale ``last_used_at`` may get before a request writes it again: one write a minute per
# token at most, rather than one per request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length

# Every API request checks its token: each live token, with its user and their postings, is kept
# per process (filled as tokens are used) until a token, a user, a posting or the tree changes.
LIVE_TOKENS = Reference(
    "api_tokens",
    dict,
    models=("accounts.ApiToken", "accounts.User", "accounts.Posting", "geo.Grid", "geo.PoliceUnit"),
)


def _may_manage_tokens_of(actor, user) -> bool:
    return actor is not None and actor.is_authenticated and (actor.pk == user.pk or actor.is_superuser)


@transaction.atomic
def issue_api_token(user: User, *, actor, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the raw token, which is never stored."""
    if not _may_manage_tokens_of(actor, user):
        raise PermissionDenied("You may issue API tokens only for yourself.")
    if not user.is_active:
        raise PermissionDenied("This account is disabled.")
    name = name.strip()
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"A token name has at most {NAME_MAX_LENGTH} characters."})
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:8],
        digest=ApiToken.digest_of(raw),
        expires_at=timezone.now() + dt.timedelta(days=settings.API_TOKEN_DAYS),
        password_mark=ApiToken.password_mark_of(user),
    )
    audit.record(
        audit.TOKEN_CREATE,
        token,
        actor=actor,
        after={"user": user.get_username(), "name": token.name, "prefix": token.prefix},
    )
    return token, raw


@transaction.atomic
def revoke_api_token(token: ApiToken, *, actor) -> ApiToken:
    """Revoke a token for good. Revoking a revoked token changes nothing."""
    if not _may_manage_tokens_of(actor, token.user):
        raise PermissionDenied("You may revoke only your own API tokens.")
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        audit.TOKEN_REVOKE,
        token,
        actor=actor,
        before={"revoked_at": None},
        after={"revoked_at": token.revoked_at},
    )
    return token


def find_live_token(raw: str) -> ApiToken | None:
    """The unrevoked token of an active user that ``raw`` is, if any (a copy of its own: the
    caller may note things on it and its user)."""
    if not raw or not isinstance(raw, str):
        return None
    digest = ApiToken.digest_of(raw)
    known = LIVE_TOKENS.get()
    token = known.get(digest)
    if token is None:
        live = ApiToken.objects.filter(revoked_at__isnull=True, user__is_active=True)
        token = live.select_related("user").filter(digest=digest).first()
        if token is None:  # unknown tokens are not kept: guessing must not fill the memory
            return None
        token.user.scope_paths()  # read now, kept with the token
        known[digest] = token
    now = timezone.now()
    if not token.is_alive(now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # Bookkeeping, not a change anyone acts on: no audit row, and no write per request.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    token = copy.copy(token)
    token.user = copy.copy(token.user)
    return token


def authenticate_token(raw: str) -> User | None:
    """The user a raw bearer token stands for, or None. The token used is on ``user.api_token``."""
    token = find_live_token(raw)
    if token is None:
        return None
    user = token.user
    user.api_token = token
    return user


UNLOCK = audit.register("login_unlock", "unlocked a locked-out log-in")


def may_unlock(actor, user: User) -> bool:
    """A superior may: every posting of the user lies strictly below one of the actor's."""
    if actor is None or not actor.is_authenticated or actor.pk == user.pk:
        return False
    if actor.is_superuser:
        return True
    paths, above = user.scope_paths(), actor.scope_paths()
    return bool(paths) and all(any(is_below(p, a) for a in above) for p in paths)


@transaction.atomic
def unlock_login(user: User, *, actor, reason: str) -> bool:
    """End a lock-out of ``user`` before its cool-off: their failed attempts are forgotten.
    Returns whether there were any."""
    if not may_unlock(actor, user):
        raise PermissionDenied(_("Only a superior of this account may unlock it."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the account is unlocked.")})
    had_failures = axes_reset(username=user.get_username()) > 0
    audit.record(UNLOCK, user, actor=actor, reason=reason, after={"had_failures": had_failures})
    return had_failures


# --- postings: where staff work, and so what they see --------------------------------------------

POST = audit.register("posting_create", "posted a member of staff")
MOVE = audit.register("posting_move", "moved a member of staff")
END = audit.register("posting_end", "ended a posting")


def _node_path(node) -> str:
    return node.scope_path if isinstance(node, Grid) else node.path


def _posting_json(posting: Posting) -> dict:
    return {"user": posting.user.get_username(), "node": posting.path}


def _check_manages(actor, user: User, *paths: str) -> None:
    """The actor manages postings, and every place named (the user's current postings included)
    lies strictly below one of the actor's own: no one posts themself, a peer or a superior."""
    if not can_manage_postings(actor) or actor.pk == user.pk:
        raise PermissionDenied(
            _("Only a station, county or city commander posts staff, below their own post.")
        )
    if actor.is_superuser:
        return
    own = actor.scope_paths()
    for path in (*user.scope_paths(), *paths):
        if not any(is_below(path, a) for a in own):
            raise PermissionDenied(_("This place or this member of staff is outside your area."))


def grid_in_area(actor, code: str, *, field: str = "grid") -> Grid:
    grid = Grid.objects.visible_to(actor).filter(code=code.strip()).first()
    if grid is None:
        raise ValidationError({field: [_("No grid with this code in your area.")]})
    return grid


def unit_in_area(actor, path: str, *, field: str = "unit") -> PoliceUnit:
    unit = PoliceUnit.objects.filter(path=path.strip()).first()
    if unit is None or not path_within(unit.path, scope_prefixes(actor)):
        raise ValidationError({field: [_("No police unit with this path in your area.")]})
    return unit


def posting_in_area(actor, posting_id: int) -> Posting:
    """A posting within the actor's area; any other is 404, as a missing one."""
    posting = Posting.objects.select_related("user", "unit", "grid").filter(pk=posting_id).first()
    if posting is None or not path_within(posting.path, scope_prefixes(actor)):
        raise OutOfScope("no such posting in your area")
    return posting


def _locked(posting: Posting) -> Posting:
    """The posting again, locked until the transaction ends (its unit or grid may be null)."""
    rows = Posting.objects.select_for_update(of=("self",)).select_related("user", "unit", "grid")
    return rows.get(pk=posting.pk)


@transaction.atomic
def post_staff(user: User, node, *, actor, reason: str = "") -> Posting:
    """Post ``user`` (staff) at ``node``, a police unit or a grid, below the actor's own post."""
    if not is_staff(user):
        raise ValidationError({"user": _("Only staff are posted; residents and volunteers are not.")})
    path = _node_path(node)
    _check_manages(actor, user, path)
    field = "grid" if isinstance(node, Grid) else "unit"
    if Posting.objects.filter(user=user, **{field: node}).exists():
        raise ValidationError({field: _("%(user)s is already posted there.") % {"user": user}})
    posting = Posting.objects.create(user=user, **{field: node})
    audit.record(POST, user, actor=actor, reason=reason, after=_posting_json(posting))
    return posting


@transaction.atomic
def move_posting(posting: Posting, node, *, actor, reason: str) -> Posting:
    """Move a posting to another place below the actor's post; the user sees the new subtree at once."""
    posting = (
        Posting.objects.select_for_update(of=("self",))
        .select_related("user", "unit", "grid")
        .get(pk=posting.pk)
    )
    _check_manages(actor, posting.user, _node_path(node))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the posting changes.")})
    before = _posting_json(posting)
    posting.unit, posting.grid = (None, node) if isinstance(node, Grid) else (node, None)
    posting.full_clean(exclude=["user"])
    posting.save()
    audit.record(MOVE, posting.user, actor=actor, reason=reason, before=before, after=_posting_json(posting))
    return posting


@transaction.atomic
def end_posting(posting: Posting, *, actor, reason: str) -> None:
    """End a posting. A member of staff left with none sees nothing, and their API tokens die."""
    posting = (
        Posting.objects.select_for_update(of=("self",))
        .select_related("user", "unit", "grid")
        .get(pk=posting.pk)
    )
    _check_manages(actor, posting.user)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the posting ends.")})
    before = _posting_json(posting)
    posting.delete()
    audit.record(END, posting.user, actor=actor, reason=reason, before=before)


def list_staff_under(actor) -> dict[User, list[Posting]]:
    """The staff posted in the actor's subtree (not the actor) with those postings, by username."""
    if not can_manage_postings(actor):
        raise PermissionDenied(_("Only station, county and city commanders post staff."))
    prefixes = scope_prefixes(actor)
    postings = Posting.objects.select_related("user", "unit", "grid").order_by("user__username", "id")
    if prefixes is not None:
        postings = postings.filter(_posted_under(prefixes))
    staff: dict[User, list[Posting]] = {}
    for posting in postings.exclude(user=actor):
        staff.setdefault(posting.user, []).append(posting)
    return staff


def _posted_under(prefixes: list[str]) -> Q:
    return scope_q(prefixes, "unit__path") | scope_q(prefixes, "grid__scope_path")


# --- passwords ----------------------------------------------------------------------------------

PASSWORD_CHANGE = audit.register("password_change", "changed their password")
PASSWORD_SET_FOR = audit.register("password_set_for", "set the password of another user")


def _validated(password: str, user: User, field: str) -> None:
    """Django's validators (settings.AUTH_PASSWORD_VALIDATORS), their messages on ``field``."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None


@transaction.atomic
def change_own_password(user: User, new_password: str, *, actor, field: str = "new_password1") -> None:
    """The user chooses a new password of their own: the rules apply, a pending change is done,
    their API tokens die (ApiToken.password_mark)."""
    if actor is None or not actor.is_authenticated or actor.pk != user.pk:
        raise PermissionDenied(_("Only the user themself chooses their password here."))
    _validated(new_password, user, field)
    user.set_password(new_password)
    user.save(update_fields=["password"])  # the validators' password_changed keeps the record
    audit.record(PASSWORD_CHANGE, user, actor=actor)


def _must_change(user: User) -> None:
    record = passwords.current_record(user)
    if record is None:  # a password saved without the validators' hook (a bulk write)
        record = PasswordRecord.objects.create(user=user, password=user.password)
    PasswordRecord.objects.filter(pk=record.pk).update(must_change=True)


@transaction.atomic
def password_set_by_other(user: User, *, actor, reason: str = "") -> None:
    """``actor`` has just chosen ``user``'s password (a new account in the admin, the admin's
    password form): the user must change it at their next log-in."""
    if actor is None or not actor.is_authenticated or actor.pk == user.pk:
        return
    _must_change(user)
    audit.record(PASSWORD_SET_FOR, user, actor=actor, reason=reason)


@transaction.atomic
def reset_password(user: User, *, actor, reason: str) -> str:
    """A superior (as for an unlock) gives ``user`` a new random password, returned once, which the
    user must change at the next log-in; their sessions and API tokens end with the old one."""
    if not may_unlock(actor, user):
        raise PermissionDenied(_("Only a superior of this account may reset its password."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the password is reset.")})
    raw = passwords.temporary_password()
    user.set_password(raw)
    user.save(update_fields=["password"])
    _must_change(user)
    audit.record(PASSWORD_SET_FOR, user, actor=actor, reason=reason)
    return raw


# --- second factors (django-otp) ----------------------------------------------------------------

MFA_ENROL = audit.register("mfa_enrol", "enrolled a second factor")
MFA_RECOVERY_CODES = audit.register("mfa_recovery_codes", "made new recovery codes")
MFA_RECOVERY_USED = audit.register("mfa_recovery_used", "used a recovery code")
MFA_RESET = audit.register("mfa_reset", "removed the second factor of a user")


def start_enrolment(user: User) -> TOTPDevice:
    """The TOTP device being enrolled (unconfirmed, so it counts for nothing until its first code
    is typed): the same one on every visit, so the QR code does not change under the user."""
    if not mfa.may_enrol(user):
        raise PermissionDenied(_("This account already has a second factor, or needs none."))
    device = mfa.totp_device(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    device = mfa.recovery_device(user)
    if device is None:
        device = StaticDevice.objects.create(user=user, name=_("Recovery codes"))
    device.token_set.all().delete()
    device.throttle_reset()
    codes = [StaticToken.random_token() for _i in range(mfa.RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [mfa.grouped(code) for code in codes]


def _wait_message(device) -> str:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return ""
    seconds = max(1, int((info["locked_until"] - timezone.now()).total_seconds()) + 1)
    return _("Too many wrong codes: wait %(seconds)d seconds before the next try.") % {"seconds": seconds}


def confirm_enrolment(user: User, code: str, *, actor) -> tuple[TOTPDevice, list[str]]:
    """The first code from the app confirms the device; ten recovery codes come with it (shown
    once). A wrong code keeps the device unconfirmed, and counts for django-otp's throttle."""
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied(_("Only the user themself enrols their second factor."))
    if not mfa.may_enrol(user):
        raise PermissionDenied(_("This account already has a second factor, or needs none."))
    code, wait, codes = mfa.normalise(code), "", []
    with transaction.atomic():  # the throttle's count is kept even when the code is wrong
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-id")
        device = device.first()
        if device is None:
            raise ValidationError({"code": _("Start the enrolment again: scan the new QR code.")})
        wait = _wait_message(device)
        ok = not wait and mfa.is_totp_code(code) and device.verify_token(code)
        if ok:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _new_recovery_codes(user)
            audit.record(MFA_ENROL, user, actor=actor, after={"device": device.name})
    if not ok:
        raise ValidationError({"code": wait or _("Wrong code: type the six digits the app shows now.")})
    return device, codes


@transaction.atomic
def regenerate_recovery_codes(user: User, *, actor) -> list[str]:
    """Ten new recovery codes (shown once); the old ones stop working."""
    if actor is None or actor.pk != user.pk:
        raise PermissionDenied(_("Only the user themself makes their recovery codes."))
    if mfa.totp_device(user) is None:
        raise PermissionDenied(_("Enrol an authenticator app first."))
    codes = _new_recovery_codes(user)
    audit.record(MFA_RECOVERY_CODES, user, actor=actor, after={"codes": len(codes)})
    return codes


def verify_second_factor(user: User, code: str, *, request) -> tuple[object | None, str]:
    """Check a code from the user's app, or one of their recovery codes (used up by this).
    Returns the device that accepted it, or None and why not. A wrong code is a failed log-in:
    audited, throttled by django-otp, and counted towards django-axes' lock-out."""
    code, device, wait, left = mfa.normalise(code), None, "", None
    with transaction.atomic():  # the device is locked: a code is accepted once
        if mfa.is_totp_code(code):
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        elif code:
            device = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        if device is not None:
            wait = _wait_message(device)
        ok = device is not None and not wait and device.verify_token(code)
        if ok and isinstance(device, StaticDevice):
            left = device.token_set.count()
            audit.record(MFA_RECOVERY_USED, user, actor=user, after={"left": left})
    if ok:
        return device, ""
    # Django's own signal of a failed log-in: the audit log (accounts.signals) and django-axes.
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), "second_factor": True},
        request=request,
    )
    return None, wait or _("Wrong code: type the six digits your app shows now, or a recovery code.")


@transaction.atomic
def reset_second_factor(user: User, *, actor, reason: str) -> int:
    """A superior (as for an unlock) removes every device of ``user``, who then enrols again (a
    lost phone). Returns how many devices went."""
    if not may_unlock(actor, user):
        raise PermissionDenied(_("Only a superior of this account may reset its second factor."))
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the second factor is reset.")})
    devices = list(devices_for_user(user, confirmed=None))
    for device in devices:
        device.delete()
    audit.record(MFA_RESET, user, actor=actor, reason=reason, before={"devices": [d.name for d in devices]})
    return len(devices)
