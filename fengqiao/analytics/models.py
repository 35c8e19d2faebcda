"""The command room's own tables: the daily counts behind the dashboard (rollups) and the days
waiting to be counted again. Nothing here is a source of truth; ``fengqiao rebuild_rollups``
counts everything again from the domain's records."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengqiao.core.casework import Case
from fengqiao.core.scoping import ScopedModel


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


# ---------------------------------------------------------------------------------------------
# analysis directives (研判指令): the workflow is in analytics.directives


class DirectiveStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    FED_BACK = "fed_back", _("fed back")
    CLOSED = "closed", _("closed")


class DirectiveSource(models.TextChoices):
    HOTSPOT = "hotspot", _("hotspot")
    NEAR_REPEAT = "near_repeat", _("near-repeat warning")
    TREND = "trend", _("unusual trend")
    MANUAL = "manual", _("by hand")


class Task(models.TextChoices):
    PATROL = "patrol", _("patrol")
    VISIT = "visit", _("visit")
    PUBLICITY = "publicity", _("publicity")
    CHECK = "check", _("check")


class Directive(Case):
    """One grid's task from the command room. Lives (``scope_path``) in the grid; held
    (``holder_path``) by the grid until it climbs the ladder."""

    grid = models.ForeignKey(
        "geo.Grid", on_delete=models.PROTECT, related_name="directives", verbose_name=_("grid")
    )
    source = models.CharField(_("source"), max_length=16, choices=DirectiveSource.choices)
    task = models.CharField(_("what to do"), max_length=16, choices=Task.choices)
    title = models.CharField(_("title"), max_length=200)
    instructions = models.TextField(_("instructions"), blank=True, max_length=4000)
    deadline = models.DateTimeField(_("deadline"))
    event = models.ForeignKey(
        "events.Event",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("event behind it"),
    )
    feedback = models.TextField(_("what was done"), blank=True)
    fed_back_at = models.DateTimeField(_("fed back"), null=True, blank=True)
    fed_back_in_time = models.BooleanField(_("fed back in time"), null=True, blank=True)

    class Meta:
        verbose_name = _("analysis directive")
        verbose_name_plural = _("analysis directives")
        indexes = [models.Index(fields=["scope_path", "opened_at"], name="directive_scope_opened_idx")]

    def get_absolute_url(self) -> str:
        return reverse("directive_detail", args=[self.number])

    def get_category_display(self) -> str:
        """What the inbox's category column shows of a directive: what to do."""
        return str(self.get_task_display())


# ---------------------------------------------------------------------------------------------
# the weekly analysis report (研判报告): made by analytics.report


class WeeklyReport(ScopedModel):
    """The analysis report of one unit (a station, a county or the city: ``scope_path`` is the
    unit's path, so those who see the unit see its report) for one week, Monday to Sunday. The
    files lie under the data directory (``analytics.report.REPORTS_DIR``)."""

    unit = models.ForeignKey(
        "geo.PoliceUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    week = models.DateField(_("week (its Monday)"))
    created_at = models.DateTimeField(_("made"))
    pdf_name = models.CharField(_("PDF file"), max_length=200)
    xlsx_name = models.CharField(_("XLSX file"), max_length=200)
    personal = models.BooleanField(
        _("names cases and people"),
        default=False,
        help_text=_("It lists cases and disputes by number and title: a download is audited."),
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("weekly analysis report")
        verbose_name_plural = _("weekly analysis reports")
        ordering = ["-week", "scope_path"]
        constraints = [models.UniqueConstraint(fields=["unit", "week"], name="weekly_report_unique")]

    def __str__(self):
        return f"{self.unit} {self.week:%G-W%V}"
