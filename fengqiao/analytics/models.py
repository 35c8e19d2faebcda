"""The command room's own tables: the daily counts behind the dashboard (rollups) and the days
waiting to be counted again. Nothing here is a source of truth; ``fengqiao rebuild_rollups``
counts everything again from the domain's records."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyCount(models.Model):
    """How many records of one rolled-up indicator (``core.indicators``) were dated ``day`` under
    one police station (``path``: the records' scope path cut to the station's)."""

    indicator = models.CharField(_("indicator"), max_length=64)
    path = models.CharField(_("station path"), max_length=200)
    day = models.DateField(_("day"))
    value = models.PositiveIntegerField(_("count"))

    class Meta:
        verbose_name = _("daily count")
        verbose_name_plural = _("daily counts")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "path", "day"], name="daily_count_unique"),
        ]
        # The dashboard reads a span of days for every indicator at once.
        indexes = [models.Index(fields=["day", "indicator"], name="daily_count_day_idx")]

    def __str__(self):
        return f"{self.indicator} {self.path} {self.day}: {self.value}"


class MonthlyCount(models.Model):
    """The daily counts of one month summed (``month``: its first day): what a period of whole
    months reads, a thirtieth of the rows."""

    indicator = models.CharField(_("indicator"), max_length=64)
    path = models.CharField(_("station path"), max_length=200)
    month = models.DateField(_("month"))
    value = models.PositiveIntegerField(_("count"))

    class Meta:
        verbose_name = _("monthly count")
        verbose_name_plural = _("monthly counts")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "path", "month"], name="monthly_count_unique"),
        ]

    def __str__(self):
        return f"{self.indicator} {self.path} {self.month:%Y-%m}: {self.value}"


class StaleDay(models.Model):
    """A day whose records of one model changed since it was last counted (``app_label.model``)."""

    model = models.CharField(_("model"), max_length=64)
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("day to count again")
        verbose_name_plural = _("days to count again")
        constraints = [models.UniqueConstraint(fields=["model", "day"], name="stale_day_unique")]

    def __str__(self):
        return f"{self.model} {self.day}"
