"""The weekly analysis report (研判报告, issue 16 §5): for each station, county and the city, every
Monday (the worker's job, after 08:00) and on demand (``fengqiao weekly_report``).

What it says, for the week (Monday to Sunday) and the unit: the dashboard's figures with their
change on the week before (环比) and the same week a year earlier (同比); the hotspots of
criminal cases over the four weeks to its end (Gi*, 999 permutations, the grid map coloured by
confidence) and the top grids; the unusual trends (``analytics.trends``); the red-grade and
repeated disputes open or opened in the week; the cases overdue or escalated now; the directives
pushed down in the week and their feedback.

It is counted as the ``system`` account (a superuser) narrowed to the unit, so each report is the
unit's whole picture; the files (``report_files``) lie under ``DATA_DIR/reports`` and the
:class:`~fengqiao.analytics.models.WeeklyReport` row lists them, scoped to the unit's path. Made
again for the same unit and week, a report replaces the earlier one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from fengqiao.analytics import spatial, trends
from fengqiao.analytics.dashboard import dashboard
from fengqiao.analytics.models import Directive, DirectiveStatus, WeeklyReport
from fengqiao.core import audit, casework
from fengqiao.core.params import start_of
from fengqiao.core.scoping import scope_q
from fengqiao.disputes import conf as dispute_conf
from fengqiao.disputes.models import Dispute
from fengqiao.events.models import Category
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit

REPORT_KINDS = (UnitKind.CITY, UnitKind.COUNTY, UnitKind.STATION)
HOTSPOT_WEEKS = 4
HOTSPOT_CATEGORY = "0201"  # criminal cases
TOP_GRIDS = 10
TREND_WEEKS = 8
MAX_ROWS = 50
SEND_AFTER = dt.time(8, 0)  # Monday, local time


def reports_dir() -> Path:
    return Path(settings.DATA_DIR) / "reports"


def parse_week(text: str) -> dt.date:
    """The Monday of an ISO week written ``YYYY-Www`` (2026-W47); a clear error otherwise."""
    try:
        year, week = text.strip().upper().split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    except (ValueError, AttributeError):
        raise ValidationError({"week": [_("Write the week as YYYY-Www, e.g. 2026-W47.")]}) from None


def last_week(today: dt.date | None = None) -> dt.date:
    """The Monday of the week before ``today``'s."""
    today = today or timezone.localdate()
    return today - dt.timedelta(days=today.weekday() + 7)


def week_label(monday: dt.date) -> str:
    year, week, _day = monday.isocalendar()
    sunday = monday + dt.timedelta(days=6)
    return _("%(year)d week %(week)d (%(start)s – %(end)s)") % {
        "year": year,
        "week": week,
        "start": monday.isoformat(),
        "end": sunday.isoformat(),
    }


@dataclass
class Row:
    """A line of one of the report's lists."""

    cells: list
    link: str = ""


@dataclass
class ReportData:
    unit: PoliceUnit
    week: dt.date
    figures: list  # dashboard.Figure, in the dashboard's order
    sections: list  # (label, [Figure])
    classes: list  # the chart of criminal cases by class (dashboard.classes)
    weekly_criminal: list[tuple[dt.date, int]]  # the weeks to the report's, criminal cases
    hotspots: spatial.Hotspots | None
    lattice: spatial.Lattice | None
    unusual: list  # (trends.Trend, trends.Week)
    disputes: list[Row] = field(default_factory=list)
    overdue: list[Row] = field(default_factory=list)
    overdue_total: int = 0
    escalated_total: int = 0
    directives: list[Row] = field(default_factory=list)
    directive_counts: dict = field(default_factory=dict)

    @property
    def end(self) -> dt.date:
        return self.week + dt.timedelta(days=6)

    @property
    def title(self) -> str:
        return _("Weekly analysis report of %(unit)s") % {"unit": self.unit.name}

    @property
    def personal(self) -> bool:
        return bool(self.disputes or self.overdue or self.directives)

    @property
    def hot(self) -> list[spatial.GridResult]:
        return self.hotspots.hot[:TOP_GRIDS] if self.hotspots else []


def _under(qs, path: str):
    return qs.filter(scope_q([path], vendor=connections[qs.db].vendor))


def _hotspots(user, unit: PoliceUnit, end: dt.date):
    lattice = spatial.lattice_within([unit.path])
    category = Category.objects.filter(code=HOTSPOT_CATEGORY).first()
    if not len(lattice) or category is None:
        return None, lattice
    choice = spatial.Choice(category, end - dt.timedelta(weeks=HOTSPOT_WEEKS) + dt.timedelta(days=1), end)
    grouped = (
        _under(spatial.chosen_events(user, choice), unit.path)
        .order_by()
        .values_list("grid_id")
        .annotate(n=Count("id"))
    )
    y = spatial.counts_per_grid(lattice, grouped)
    if len(lattice) < 2:
        return None, lattice
    result = spatial.gi_star(y, lattice.w)
    bins = spatial.confidence_bins(result.z, result.p)
    rows = [
        spatial.GridResult(
            lattice.codes[i],
            lattice.names[i],
            int(y[i]),
            float(result.z[i]),
            float(result.p[i]),
            int(bins[i]),
        )
        for i in range(len(lattice))
    ]
    return spatial.Hotspots(choice, rows, int(y.sum()), spatial.PERMUTATIONS), lattice


def _disputes(user, unit: PoliceUnit, start: dt.datetime, end: dt.datetime) -> list[Row]:
    qs = (
        _under(Dispute.objects.visible_to(user), unit.path)
        .filter(Q(grade=dispute_conf.top_grade()) | Q(repeated=True))
        .filter(Q(closed_at__isnull=True, opened_at__lt=end) | Q(opened_at__gte=start, opened_at__lt=end))
        .select_related("grid")
        .order_by("opened_at")
    )
    return [
        Row(
            [
                d.number,
                d.title,
                d.grade_label,
                _("yes") if d.repeated else "",
                d.grid.name,
                timezone.localdate(d.opened_at).isoformat(),
                d.status_label,
            ],
            d.get_absolute_url(),
        )
        for d in qs[:MAX_ROWS]
    ]


def _overdue(user, unit: PoliceUnit, now: dt.datetime) -> tuple[list[Row], int, int]:
    rows, overdue_total, escalated_total = [], 0, 0
    for model in casework.case_models():
        qs = _under(model.objects.visible_to(user), unit.path).filter(closed_at__isnull=True)
        late = qs.filter(due_at__lt=now)
        escalated = qs.filter(level__gt=0)
        overdue_total += late.count()
        escalated_total += escalated.count()
        for case in (late | escalated).order_by("due_at")[:MAX_ROWS]:
            rows.append(
                Row(
                    [
                        str(model._meta.verbose_name),
                        case.number,
                        getattr(case, "title", "") or str(case),
                        case.status_label,
                        timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M") if case.due_at else "",
                        case.level,
                    ],
                    case.get_absolute_url(),
                )
            )
    return rows[:MAX_ROWS], overdue_total, escalated_total


def _directives(user, unit: PoliceUnit, start: dt.datetime, end: dt.datetime) -> tuple[list[Row], dict]:
    qs = (
        _under(Directive.objects.visible_to(user), unit.path)
        .filter(opened_at__gte=start, opened_at__lt=end)
        .select_related("grid")
        .order_by("opened_at")
    )
    counts = {
        "issued": qs.count(),
        "fed_back": qs.filter(fed_back_at__isnull=False).count(),
        "in_time": qs.filter(fed_back_in_time=True).count(),
        "closed": qs.filter(status=DirectiveStatus.CLOSED).count(),
    }
    rows = [
        Row(
            [
                d.number,
                d.grid.name,
                d.get_task_display(),
                d.title,
                d.status_label,
                (_("in time") if d.fed_back_in_time else _("late")) if d.fed_back_at else "",
                d.feedback[:200],
            ],
            d.get_absolute_url(),
        )
        for d in qs[:MAX_ROWS]
    ]
    return rows, counts


def build(unit: PoliceUnit, week: dt.date, *, now: dt.datetime | None = None) -> ReportData:
    """Everything the report of ``unit`` for the week starting on Monday ``week`` says."""
    from fengqiao.core.commands import system_user

    if week.weekday() != 0:
        raise ValidationError({"week": [_("A report's week starts on a Monday.")]})
    user = system_user()
    now = now or timezone.now()
    end = week + dt.timedelta(days=6)
    board = dashboard(user, unit=unit.path, start=week, end=end)
    _node, found = trends.trends(user, unit=unit.path, end=end, weeks=TREND_WEEKS)
    criminal = next((t for t in found if t.key == "events.criminal"), None)
    hot, lattice = _hotspots(user, unit, end)
    start_at, end_at = start_of(week), start_of(end + dt.timedelta(days=1))
    overdue, overdue_total, escalated_total = _overdue(user, unit, min(now, end_at) if now else end_at)
    directive_rows, directive_counts = _directives(user, unit, start_at, end_at)
    return ReportData(
        unit=unit,
        week=week,
        figures=list(board.figures.values()),
        sections=[(s.label, s.figures) for s in board.sections],
        classes=board.classes,
        weekly_criminal=[(w.start, w.count) for w in criminal.weeks] if criminal else [],
        hotspots=hot,
        lattice=lattice,
        unusual=trends.unusual(found),
        disputes=_disputes(user, unit, start_at, end_at),
        overdue=overdue,
        overdue_total=overdue_total,
        escalated_total=escalated_total,
        directives=directive_rows,
        directive_counts=directive_counts,
    )


def _summary(data: ReportData) -> dict:
    figures = {f.name: f.value for f in data.figures if not f.rate}
    return {
        "criminal": figures.get("events.criminal"),
        "received": figures.get("events.received"),
        "unusual": [t.label for t, _w in data.unusual],
        "hot_grids": [r.code for r in data.hot],
        "overdue": data.overdue_total,
        "escalated": data.escalated_total,
        "directives": data.directive_counts,
    }


def make(unit: PoliceUnit, week: dt.date, *, notify: bool = True) -> WeeklyReport:
    """Build, draw, file and announce the report of ``unit`` for ``week``; made again, it
    replaces the earlier one (row and files)."""
    from fengqiao.analytics import report_files

    with translation.override(settings.LANGUAGE_CODE):
        data = build(unit, week)
        pdf = report_files.pdf(data)
        xlsx = report_files.xlsx(data)
    folder = reports_dir() / f"{week:%G-W%V}"
    folder.mkdir(parents=True, exist_ok=True)
    stem = unit.path.replace("/", "-")
    names = {"pdf": f"{week:%G-W%V}/{stem}.pdf", "xlsx": f"{week:%G-W%V}/{stem}.xlsx"}
    for kind, content in (("pdf", pdf), ("xlsx", xlsx)):
        target = reports_dir() / names[kind]
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_bytes(content)
        partial.replace(target)  # readers never see half a file
    with transaction.atomic():
        report, _created = WeeklyReport.objects.unscoped(
            reason="weekly report: one row per unit and week"
        ).update_or_create(
            unit=unit,
            week=week,
            defaults={
                "scope_path": unit.path,
                "created_at": timezone.now(),
                "pdf_name": names["pdf"],
                "xlsx_name": names["xlsx"],
                "personal": data.personal,
                "summary": _summary(data),
            },
        )
        if notify:
            announce(report, data)
    return report


def announce(report: WeeklyReport, data: ReportData) -> None:
    """Tell those posted at the unit, and the unit's WeCom groups, that the report is ready."""
    from fengqiao.accounts.models import User
    from fengqiao.core.notifications.actions import notify

    with translation.override(settings.LANGUAGE_CODE):
        body = _("Criminal cases %(criminal)s; unusual trends: %(unusual)s; overdue cases: %(overdue)d.") % {
            "criminal": report.summary.get("criminal"),
            "unusual": "、".join(report.summary.get("unusual") or []) or _("none"),
            "overdue": data.overdue_total,
        }
        notify(
            User.list_posted_at(report.unit.path),
            kind="weekly_report",
            title=f"{data.title} · {week_label(report.week)}",
            body=body,
            link=f"{reverse('weekly_reports')}?week={report.week:%G-W%V}",
            scope_path=report.unit.path,
        )


def units(path: str = "") -> list[PoliceUnit]:
    """The units a report is made for (stations, counties, the city), at or under ``path``."""
    qs = PoliceUnit.objects.filter(kind__in=REPORT_KINDS).order_by("path")
    if path:
        qs = qs.filter(Q(path=path) | Q(path__startswith=path.rstrip("/") + "/"))
    return list(qs)


def make_all(week: dt.date, *, path: str = "", notify: bool = True) -> list[WeeklyReport]:
    return [make(unit, week, notify=notify) for unit in units(path)]


def weekly_job(now: dt.datetime | None = None) -> int:
    """The worker's job (run every hour): from Monday 08:00, last week's reports of the units that
    have none yet. Returns how many it made."""
    now = timezone.localtime(now or timezone.now())
    monday = now.date() - dt.timedelta(days=now.weekday())
    if now.weekday() == 0 and now.time() < SEND_AFTER:
        return 0
    week = monday - dt.timedelta(days=7)
    done = set(
        WeeklyReport.objects.unscoped(reason="weekly report: which are made")
        .filter(week=week)
        .values_list("unit_id", flat=True)
    )
    made = 0
    for unit in units():
        if unit.pk not in done:
            make(unit, week)
            made += 1
    return made


# ---------------------------------------------------------------------------------------------
# reading the archive

REPORT_DOWNLOAD = audit.register("weekly_report_download", "downloaded a weekly analysis report")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def reports_for(user, *, week: dt.date | None = None):
    """The reports of the units the user sees (a station's own, a county's and its stations', …)."""
    qs = WeeklyReport.objects.visible_to(user).select_related("unit")
    if week is not None:
        qs = qs.filter(week=week)
    return qs.order_by("-week", "scope_path")


def report_file(user, pk: int, kind: str) -> tuple[Path, str]:
    """The file of one report the user may see (Http404 otherwise) and its download name; a
    report that names cases and people is audited as read."""
    from django.http import Http404

    from fengqiao.core.scoping import get_visible_or_404

    if kind not in CONTENT_TYPES:
        raise Http404
    found = get_visible_or_404(WeeklyReport.objects.select_related("unit"), user, pk=pk)
    path = reports_dir() / (found.pdf_name if kind == "pdf" else found.xlsx_name)
    if not path.is_file():
        raise Http404
    if found.personal:
        audit.record(REPORT_DOWNLOAD, found, actor=user, after={"file": kind, "week": f"{found.week:%G-W%V}"})
    return path, f"{found.unit.name}-{found.week:%G-W%V}.{kind}"
