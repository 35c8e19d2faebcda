"""Data scoping along the police tree, enforced in one place.

Every scoped row stores the path of its place in the tree (``640300/640302/ps07/d03/<grid>``).
A user sees the subtrees under the nodes they are posted to. The default queryset of a scoped
model fails closed: evaluating it raises until ``.visible_to(user)`` or an explicit, greppable
``.unscoped(reason=...)`` has been applied (after NetBox's ``RestrictedQuerySet.restrict()``, one
step stricter). Out-of-scope objects are 404, the same answer as a missing one.
"""

import contextlib
import contextvars

from django.db import connections, models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from fengqiao.core.roles import STAFF_ROLES

_unscoped_reason: contextvars.ContextVar[str | None] = contextvars.ContextVar("unscoped_reason", default=None)


class ScopeNotApplied(RuntimeError):
    """A scoped query was about to run without saying whose view it is."""


class OutOfScope(Http404):
    """The object is outside the user's scope (or does not exist: the two look the same)."""


@contextlib.contextmanager
def unscoped_block(reason: str):
    """Let scoped queries inside the block run unscoped; for framework internals such as
    uniqueness checks, never for showing rows to a user."""
    if not reason:
        raise ValueError("an unscoped block needs a reason")
    token = _unscoped_reason.set(reason)
    try:
        yield
    finally:
        _unscoped_reason.reset(token)


def is_staff(user) -> bool:
    """A signed-in, active member of staff (any role of the police tree) or a superuser."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.role in STAFF_ROLES


def is_under(path: str, ancestor: str) -> bool:
    """``path`` is ``ancestor`` or lies in its subtree (``a/b`` is under ``a``, ``ab`` is not)."""
    return path == ancestor or path.startswith(ancestor + "/")


def is_below(path: str, ancestor: str) -> bool:
    """``path`` lies strictly inside ``ancestor``'s subtree."""
    return path.startswith(ancestor + "/")


def scope_prefixes(user) -> list[str] | None:
    """The tree paths a user may see; None means everything (superusers)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return None
    return list(user.scope_paths())


def path_within(path: str, prefixes: list[str] | None) -> bool:
    if prefixes is None:
        return True
    return any(is_under(path, p) for p in prefixes)


def scope_q(prefixes: list[str], field: str = "scope_path", *, vendor: str = "") -> Q:
    """The rows at or under any of the prefixes.

    SQLite never serves ``LIKE 'p/%'`` from an index (its LIKE is case-insensitive), so there the
    subtree is the equivalent range ``'p/' <= path < 'p0'`` ('0' follows '/'), which relies on
    SQLite's byte-order comparison; other databases keep LIKE, whose meaning needs no collation.
    """
    q = Q()
    for prefix in prefixes:
        if vendor == "sqlite":
            subtree = Q(**{f"{field}__gte": prefix + "/", f"{field}__lt": prefix + "0"})
        else:
            subtree = Q(**{f"{field}__startswith": prefix + "/"})
        q |= Q(**{field: prefix}) | subtree
    return q


class ScopedQuerySet(models.QuerySet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope_applied = False

    def _clone(self):  # the one sanctioned private hook: docs/adr/0003
        clone = super()._clone()  # type: ignore[misc]
        clone._scope_applied = self._scope_applied
        return clone

    def visible_to(self, user):
        """Only the rows under the user's postings."""
        prefixes = scope_prefixes(user)
        if prefixes is None:
            qs = self.all()
        elif not prefixes:
            qs = self.none()
        else:
            qs = self.filter(scope_q(prefixes, vendor=connections[self.db].vendor))
        qs._scope_applied = True
        return qs

    def unscoped(self, *, reason: str):
        """All rows, for system work that is not shown to a user (imports, sweeps, exports of the
        whole territory by the command). The reason makes every such use greppable."""
        if not reason or not reason.strip():
            raise ValueError("unscoped() needs a reason")
        qs = self.all()
        qs._scope_applied = True
        return qs

    def _require_scope(self):
        if not self._scope_applied and _unscoped_reason.get() is None:
            raise ScopeNotApplied(
                f"{self.model.__name__} is scoped: call .visible_to(user) or .unscoped(reason=...) first"
            )

    def _fetch_all(self):
        if self._result_cache is None:
            self._require_scope()
        super()._fetch_all()

    def count(self):
        self._require_scope()
        return super().count()

    def exists(self):
        self._require_scope()
        return super().exists()

    def aggregate(self, *args, **kwargs):
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def iterator(self, *args, **kwargs):
        self._require_scope()
        return super().iterator(*args, **kwargs)

    def update(self, **kwargs):
        self._require_scope()
        return super().update(**kwargs)

    def delete(self):
        self._require_scope()
        return super().delete()

    def in_bulk(self, *args, **kwargs):
        self._require_scope()
        return super().in_bulk(*args, **kwargs)

    def contains(self, obj):
        self._require_scope()
        return super().contains(obj)


class ScopedModel(models.Model):
    """A row that lives somewhere in the police tree."""

    scope_path = models.CharField(_("scope path"), max_length=255, db_index=True, editable=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True

    # Django's own uniqueness checks go through the default manager; they only answer
    # "is this value taken", which must hold across the whole territory.
    def validate_unique(self, exclude=None):
        with unscoped_block("uniqueness validation"):
            super().validate_unique(exclude=exclude)

    def validate_constraints(self, exclude=None):
        with unscoped_block("constraint validation"):
            super().validate_constraints(exclude=exclude)

    def is_visible_to(self, user) -> bool:
        return path_within(self.scope_path, scope_prefixes(user))


def get_visible_or_404(queryset: ScopedQuerySet, user, **lookup):
    """Fetch one object through the user's scope; missing and forbidden are the same 404."""
    try:
        return queryset.visible_to(user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise OutOfScope(f"No {queryset.model._meta.verbose_name} matches the given query.") from None


def ensure_still_visible(user, obj: ScopedModel) -> None:
    """After a write, inside its transaction: the object must still be in the writer's scope.
    Raising here rolls the write back (NetBox's ObjectValidationMixin)."""
    model = type(obj)
    if not model.objects.visible_to(user).filter(pk=obj.pk).exists():
        raise OutOfScope(f"{model._meta.verbose_name} {obj} would be outside your scope")
