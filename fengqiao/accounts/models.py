import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.roles import Role
from fengqiao.core.scoping import is_staff
from fengqiao.geo.models import Grid, PoliceUnit


class User(AbstractUser):
    """Anyone who logs in: staff posted somewhere in the police tree, volunteers, residents."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.RESIDENT)
    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.username

    def scope_paths(self) -> list[str]:
        """The tree paths this user is posted to; cached on the instance for the request."""
        if not hasattr(self, "_scope_paths"):
            paths = self.postings.values_list("grid__scope_path", "unit__path")
            self._scope_paths = [grid_path or unit_path for grid_path, unit_path in paths]
        return self._scope_paths

    def forget_scope(self) -> None:
        self.__dict__.pop("_scope_paths", None)

    @classmethod
    def posted_at(cls, *paths: str):
        """Active users posted exactly at one of these tree paths (a grid's or a unit's)."""
        return cls.objects.filter(pk__in=_posted_ids(paths), is_active=True)

    @classmethod
    def list_posted_at(cls, *paths: str) -> list["User"]:
        ids = _posted_ids(paths)
        return list(cls.objects.filter(pk__in=ids, is_active=True).order_by("pk")) if ids else []


class Posting(models.Model):
    """Where a staff member works: one node of the police tree, or one grid."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="postings", verbose_name=_("user"))
    unit = models.ForeignKey(
        PoliceUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="postings",
        verbose_name=_("unit"),
    )
    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="postings", verbose_name=_("grid")
    )
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=False) & Q(grid__isnull=True))
                | (Q(unit__isnull=True) & Q(grid__isnull=False)),
                name="posting_unit_xor_grid",
            ),
            models.UniqueConstraint(fields=["user", "unit"], name="posting_unique_unit"),
            models.UniqueConstraint(fields=["user", "grid"], name="posting_unique_grid"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.grid or self.unit}"

    @property
    def path(self) -> str:
        """The tree path of the posted node (read through a join, so it never goes stale)."""
        return self.grid.scope_path if self.grid_id else self.unit.path

    def clean(self):
        if bool(self.unit_id) == bool(self.grid_id):
            raise ValidationError(_("A posting names either a unit or a grid."))


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its hash is stored; the token is shown once."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=8, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True)
    # A digest of the user's password hash when the token was issued: a new password, whoever
    # sets it, ends every token issued before.
    password_mark = models.CharField(max_length=16, editable=False, default="")

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def new_raw(cls) -> str:
        return "fq_" + secrets.token_urlsafe(32)

    @staticmethod
    def password_mark_of(user) -> str:
        return hashlib.sha256(user.password.encode()).hexdigest()[:16]

    def is_alive(self, now) -> bool:
        """Unexpired, its user's password unchanged since, and its user still posted if staff."""
        user = self.user
        return (
            self.expires_at is not None
            and now < self.expires_at
            and self.password_mark == self.password_mark_of(user)
            and (not is_staff(user) or user.is_superuser or bool(user.scope_paths()))
        )


class PasswordRecord(models.Model):
    """A password a user has had: its hash (no reuse of the last few), when it was set, and whether
    someone else set it (then it must be changed at the next log-in). The newest is the current one."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="password_records", verbose_name=_("user")
    )
    password = models.CharField(max_length=128, editable=False)
    set_at = models.DateTimeField(_("set at"), default=timezone.now)
    must_change = models.BooleanField(_("must be changed"), default=False)

    class Meta:
        verbose_name = _("password record")
        verbose_name_plural = _("password records")
        indexes = [models.Index(fields=["user", "-set_at", "-id"], name="password_record_newest")]

    def __str__(self):
        return f"{self.user} @ {self.set_at:%Y-%m-%d %H:%M}"


def _posted_ids(paths) -> list[int]:
    """Who is posted at these paths: the union of two indexed look-ups. As one query with the
    users (an OR across both joins, or the look-ups as a subquery) the planners scan every user."""
    paths = sorted(set(paths))
    by_grid = Posting.objects.filter(grid__scope_path__in=paths).values_list("user_id", flat=True)
    by_unit = Posting.objects.filter(unit__path__in=paths).values_list("user_id", flat=True)
    return sorted(by_grid.union(by_unit))
