"""Every change to Open311 keys: create (the key is returned once), revoke; and the check of a key
a request carries. The command ``fengqiao open311-key`` is a thin shell over these."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.api.models import Open311Key
from fengqiao.core import audit
from fengqiao.core.roles import Role

KEY_CREATE = audit.register("open311_key_create", "created an Open311 key")
KEY_REVOKE = audit.register("open311_key_revoke", "revoked an Open311 key")

PREFIX_LENGTH = 12  # "o311_" and seven characters of the secret: enough to tell keys apart
NAME_MAX_LENGTH = Open311Key._meta.get_field("name").max_length


def may_manage_keys(actor) -> bool:
    """Which outside systems may post into the city's loop is the city command's decision."""
    return bool(
        actor is not None
        and actor.is_authenticated
        and (actor.is_superuser or actor.role == Role.CITY_COMMAND)
    )


@transaction.atomic
def create_key(name: str, *, actor) -> tuple[Open311Key, str]:
    """A new key named ``name``; returns the row and the raw key, which is never stored."""
    if not may_manage_keys(actor):
        raise PermissionDenied(_("Only the city command manages Open311 keys."))
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": [_("Give a name of 1 to %(n)d characters.") % {"n": NAME_MAX_LENGTH}]})
    if Open311Key.objects.filter(name=name).exists():
        raise ValidationError({"name": [_("A key named %(name)s exists already.") % {"name": name}]})
    raw = Open311Key.new_raw()
    key = Open311Key.objects.create(name=name, prefix=raw[:PREFIX_LENGTH], digest=Open311Key.digest_of(raw))
    audit.record(KEY_CREATE, key, actor=actor, after={"name": key.name, "prefix": key.prefix})
    return key, raw


def find_key(name_or_prefix: str) -> Open311Key:
    """The key with this name, else the one key whose prefix starts so; an error naming the
    argument when there is none or more than one."""
    value = (name_or_prefix or "").strip()
    if not value:
        raise ValidationError({"key": [_("Give a key's name or prefix.")]})
    by_name = Open311Key.objects.filter(name=value).first()
    if by_name is not None:
        return by_name
    matches = list(Open311Key.objects.filter(Q(prefix__startswith=value))[:2])
    if len(value) < 6 or not matches:  # a short prefix would pick a key by luck
        raise ValidationError(
            {"key": [_("No key is named %(value)s or has this prefix.") % {"value": value}]}
        )
    if len(matches) > 1:
        raise ValidationError({"key": [_("More than one key has the prefix %(value)s.") % {"value": value}]})
    return matches[0]


@transaction.atomic
def revoke_key(key: Open311Key, *, actor) -> Open311Key:
    """Revoke for good; revoking a revoked key changes nothing."""
    if not may_manage_keys(actor):
        raise PermissionDenied(_("Only the city command manages Open311 keys."))
    key = Open311Key.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        return key
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit.record(
        KEY_REVOKE, key, actor=actor, before={"revoked_at": None}, after={"revoked_at": key.revoked_at}
    )
    return key


def live_key(raw: str | None) -> Open311Key | None:
    """The unrevoked key ``raw`` is, if any; its last use is noted (no audit: not a change of state)."""
    if not raw or not isinstance(raw, str):
        return None
    key = Open311Key.objects.filter(digest=Open311Key.digest_of(raw.strip()), revoked_at__isnull=True).first()
    if key is not None:
        Open311Key.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key
