from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit entries are append-only")

    def delete(self):
        raise PermissionError("audit entries are append-only")

    def delete_archived(self, cut: "AuditArchive") -> int:
        """Delete the entries an archive cut holds, once its file is written (core.audit.archive).
        The database lets these through only: entries a recorded cut covers, older than 183 days."""
        covered = self.filter(id__gte=cut.first_id, id__lte=cut.last_id)
        deleted, _by_model = models.QuerySet.delete(covered)
        return deleted


class AuditEntry(models.Model):
    """One thing someone did to one record. Append-only and hash-chained to its predecessor."""

    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    source = models.CharField(_("source"), max_length=16)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)
    # How entry_hash was made: "hmac-sm3" or "hmac-sha256" under the audit key, or "sha256" (no
    # key) for the entries written before the chain was keyed (docs/adr/0007).
    scheme = models.CharField(_("hash scheme"), max_length=16)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx")]

    def __str__(self):
        return (
            f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_label or '-'} {self.action} {self.object_repr}"
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit entries are append-only")


class AuditChainHead(models.Model):
    """The single row that serialises appends to the audit chain and remembers its last hash,
    signed with the audit key (so the tail cannot be cut off without it)."""

    last_hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self):
        return self.last_hash


class AuditArchive(models.Model):
    """One cut of the audit chain: the entries first_id..last_id, older than the retention period,
    moved into a signed, compressed file (core.audit.archive). The chain left in the table starts
    from the last cut's last_hash; the row is signed with the audit key."""

    archived_at = models.DateTimeField(_("archived at"))
    before = models.DateTimeField(_("entries before"))
    first_id = models.BigIntegerField(_("first entry"))
    last_id = models.BigIntegerField(_("last entry"), unique=True)
    count = models.BigIntegerField(_("entries"))
    total = models.BigIntegerField(_("entries archived in all"))
    first_prev_hash = models.CharField(max_length=64)
    last_hash = models.CharField(max_length=64)
    file_name = models.CharField(_("file"), max_length=255)
    file_hmac = models.CharField(max_length=64)
    scheme = models.CharField(_("hash scheme"), max_length=16)
    mac = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")
        ordering = ["last_id"]

    def __str__(self):
        return f"{self.file_name}: #{self.first_id}-#{self.last_id} ({self.count})"


class ReferenceVersion(models.Model):
    """The version of one piece of reference data that every process caches (core.refcache)."""

    name = models.CharField(max_length=64, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self):
        return f"{self.name}: {self.token}"


class JobLease(models.Model):
    """Which worker took a periodic job's current period, and when the next period may be taken:
    one schedule across every worker process (core.periodic)."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name}: {self.holder} until {self.expires_at}"


class RateWindow(models.Model):
    """How many requests one key (a limit and an address) made in one minute (core.ratelimit)."""

    key = models.CharField(max_length=100)
    window = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="rate_window_unique")]

    def __str__(self):
        return f"{self.key} {self.window:%H:%M}: {self.hits}"


class CalendarDay(models.Model):
    """An exception to the working week: a public holiday on a weekday, or a weekend made a
    working day (调休). Every other Monday to Friday is a working day."""

    date = models.DateField(_("date"), unique=True)
    working = models.BooleanField(_("working day"), default=False)
    name = models.CharField(_("name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working calendar")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}".strip()


class CaseCounter(models.Model):
    """The last number given to a case of one type in one county on one day."""

    prefix = models.CharField(max_length=8)
    county = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "county", "day"], name="case_counter_unique"),
        ]

    def __str__(self):
        return f"{self.prefix}-{self.county}-{self.day:%Y%m%d}: {self.last}"


class TimelineEntry(models.Model):
    """One step in a case's life: who took which transition, from which status to which, and why.
    One table for every case type, so an inbox or a report can read across them."""

    case_type = models.CharField(_("case type"), max_length=32)
    case_id = models.BigIntegerField(_("case"))
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    transition = models.CharField(_("step"), max_length=32)
    from_status = models.CharField(_("from"), max_length=24, blank=True)
    to_status = models.CharField(_("to"), max_length=24)
    holder_path = models.CharField(_("held by"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        indexes = [models.Index(fields=["case_type", "case_id", "id"], name="timeline_case_idx")]

    def __str__(self):
        return f"{self.case_type}#{self.case_id} {self.transition}"


from fengqiao.core.notifications.models import *  # noqa: E402,F403
