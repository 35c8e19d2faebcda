"""Keys of the Open311 clients (apps and partner systems) that post service requests."""

import hashlib
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _


class Open311Key(models.Model):
    """An ``api_key`` for ``POST requests``. Only its digest is stored; the key is shown once, when
    ``fengqiao open311-key create`` makes it. Revoked keys stay, so the log keeps their names."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    prefix = models.CharField(_("prefix"), max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @staticmethod
    def new_raw() -> str:
        return "o311_" + secrets.token_urlsafe(32)
