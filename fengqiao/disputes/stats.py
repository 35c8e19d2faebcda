"""Statistics of the ledger: found, resolved, the resolution rate (化解率 = resolved / found),
amounts, agreements and their performance, disputes kept from turning criminal; in total and by
category, source, risk grade, jurisdiction and month, each with the same period a year earlier
and the year-on-year change (同比). Every figure carries the filter that lists its disputes.

A dispute counts in the period in which it was found (registered); "resolved" are those of them
whose mediation ended in an agreement, so the rate never passes 100 %. Only disputes the reader
may see are counted. A call runs a fixed number of GROUP BY queries, whatever the ledger's size.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.rates import HIGHER, NEUTRAL, Rate, ranked
from fengqiao.core.scoping import scope_prefixes
from fengqiao.disputes import conf
from fengqiao.disputes.choices import (
    CATEGORY_TABLE_NAMES,
    AgreementForm,
    Category,
    Outcome,
    Performance,
    Source,
)
from fengqiao.disputes.selectors import disputes_for, ledger_url, start_of
from fengqiao.geo.models import Grid, PoliceUnit

# figure -> the extra filter parameters that list its disputes
FIGURE_PARAMS = {
    "found": {},
    "resolved": {"outcome": Outcome.RESOLVED},
    "written": {"agreement": AgreementForm.WRITTEN},
    "oral": {"agreement": AgreementForm.ORAL},
    "performed": {"performed": "1"},
    "kept": {"kept": "1"},
    "repeated": {"repeated": "1"},
}
RESOLVED_Q = Q(outcome=Outcome.RESOLVED)


def _aggregates() -> dict:
    """The figures as aggregates, named ``n_<figure>`` (``amount`` would clash with the field)."""
    figures = {
        "found": Count("pk"),
        "resolved": Count("pk", filter=RESOLVED_Q),
        "amount": Sum("amount"),
        "resolved_amount": Sum("amount", filter=RESOLVED_Q),
        "written": Count("pk", filter=Q(agreement__form=AgreementForm.WRITTEN)),
        "oral": Count("pk", filter=Q(agreement__form=AgreementForm.ORAL)),
        "performed": Count("pk", filter=Q(agreement__performance=Performance.PERFORMED)),
        "kept": Count("pk", filter=Q(kept_from_criminal=True)),
        "repeated": Count("pk", filter=Q(repeated=True)),
        "people": Sum("people_count"),
    }
    return {f"n_{name}": aggregate for name, aggregate in figures.items()}


# Which way each figure is good (core.rates): more found is neither, more resolved is better.
BETTER = {"found": NEUTRAL, "resolved": HIGHER, "rate": HIGHER, "amount": NEUTRAL}


def year_on_year(current, earlier) -> float | None:
    if not earlier:
        return None
    return (float(current) - float(earlier)) / float(earlier)


def a_year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


@dataclass
class Figures:
    found: int = 0
    resolved: int = 0
    amount: Decimal = Decimal(0)
    resolved_amount: Decimal = Decimal(0)
    written: int = 0
    oral: int = 0
    performed: int = 0
    kept: int = 0
    repeated: int = 0
    people: int = 0

    @classmethod
    def of(cls, row: dict | None) -> Figures:
        row = row or {}
        zero = {k: Decimal(0) if "amount" in k else 0 for k in cls.__dataclass_fields__}
        return cls(**{k: row.get(f"n_{k}") or zero[k] for k in cls.__dataclass_fields__})

    @property
    def share(self) -> Rate:
        """化解率 as a core.rates Rate: resolved of found, unreliable from too few disputes."""
        return Rate(self.resolved, self.found)

    @property
    def rate(self) -> float | None:
        return self.share.value

    @property
    def agreements(self) -> int:
        return self.written + self.oral


@dataclass
class Row:
    """One line of a breakdown: a category, a source, a grade, a jurisdiction or a month."""

    key: str
    label: str
    current: Figures
    last_year: Figures
    params: dict  # the filter parameters that select this line's disputes in the period
    links: dict = field(default_factory=dict)

    @property
    def found_yoy(self):
        return year_on_year(self.current.found, self.last_year.found)

    @property
    def resolved_yoy(self):
        return year_on_year(self.current.resolved, self.last_year.resolved)

    @property
    def amount_yoy(self):
        return year_on_year(self.current.amount, self.last_year.amount)


@dataclass
class Statistics:
    start: dt.date
    end: dt.date
    node: object | None  # the jurisdiction broken down (a PoliceUnit), None for several
    total: Row
    by_category: list[Row]
    by_source: list[Row]
    by_grade: list[Row]
    by_jurisdiction: list[Row]
    by_month: list[Row]
    # The jurisdictions by resolution rate, best first; those with too few disputes take no place.
    ranking: list[Row] = field(default_factory=list)
    unranked: list[Row] = field(default_factory=list)


def _period_params(start: dt.date, end: dt.date) -> dict:
    return {"opened_from": start.isoformat(), "opened_to": end.isoformat()}


def _links(params: dict) -> dict:
    return {name: ledger_url(**params, **extra) for name, extra in FIGURE_PARAMS.items()}


def _in_period(qs, start: dt.date, end: dt.date):
    return qs.filter(opened_at__gte=start_of(start), opened_at__lt=start_of(end + dt.timedelta(days=1)))


def _grouped(qs, key: str) -> dict:
    return {row.pop(key): row for row in qs.order_by().values(key).annotate(**_aggregates())}


def _breakdown(base, start, end, key, choices, period_params, extra_params) -> list[Row]:
    current = _grouped(_in_period(base, start, end), key)
    earlier = _grouped(_in_period(base, a_year_earlier(start), a_year_earlier(end)), key)
    rows = []
    for value, label in choices:
        params = {**period_params, **extra_params(value)}
        rows.append(
            Row(
                key=str(value),
                label=str(label),
                current=Figures.of(current.get(value)),
                last_year=Figures.of(earlier.get(value)),
                params=params,
                links=_links(params),
            )
        )
    return rows


# The jurisdiction one level below a node, read off the dispute's grid (city/county/station/district/grid).
_CHILD_LOOKUP = {
    1: "grid__district__parent__parent",
    2: "grid__district__parent",
    3: "grid__district",
    4: "grid",
}


def default_node(user):
    """The unit a reader's figures are broken down under: their posting, or the city for a superuser."""
    prefixes = scope_prefixes(user)
    if prefixes is None:
        return PoliceUnit.objects.filter(parent=None).order_by("path").first()
    units = list(PoliceUnit.objects.filter(path__in=prefixes).order_by("path"))
    return units[0] if len(units) == 1 else None


def statistics(user, *, start: dt.date, end: dt.date, node: PoliceUnit | None = None) -> Statistics:
    if end < start:
        start, end = end, start
    base = disputes_for(user)
    node = node if node is not None else default_node(user)
    if node is not None:
        from fengqiao.disputes.selectors import DisputeFilter

        base = DisputeFilter(unit=node.path).apply(base)
    period = _period_params(start, end)
    node_params = {"unit": node.path} if node is not None else {}
    total_params = {**period, **node_params}
    current = _in_period(base, start, end).aggregate(**_aggregates())
    earlier = _in_period(base, a_year_earlier(start), a_year_earlier(end)).aggregate(**_aggregates())
    total = Row(
        "total", _("Total"), Figures.of(current), Figures.of(earlier), total_params, _links(total_params)
    )

    by_category = _breakdown(
        base, start, end, "category", Category.choices, total_params, lambda v: {"category": v}
    )
    by_source = _breakdown(base, start, end, "source", Source.choices, total_params, lambda v: {"source": v})
    by_grade = _breakdown(
        base, start, end, "grade", conf.grade_choices(), total_params, lambda v: {"grade": v}
    )

    by_jurisdiction = []
    if node is not None:
        depth = node.path.count("/") + 1
        lookup = _CHILD_LOOKUP.get(depth)
        if lookup:
            if depth == 4:
                children = Grid.objects.unscoped(
                    reason="disputes statistics: the grids of a district in scope"
                ).filter(district=node)
                choices = [(g.pk, g.name) for g in children.order_by("code")]
                paths = {g.pk: g.scope_path for g in children}
            else:
                children = list(PoliceUnit.objects.filter(parent=node).order_by("path"))
                choices = [(u.pk, u.name) for u in children]
                paths = {u.pk: u.path for u in children}
            by_jurisdiction = _breakdown(
                base, start, end, lookup, choices, period, lambda v: {"unit": paths[v]}
            )

    by_month = []
    months = _months(start, end)
    tz = timezone.get_current_timezone()
    grouped_now = _grouped(
        _in_period(base, start, end).annotate(month=TruncMonth("opened_at", tzinfo=tz)), "month"
    )
    grouped_then = _grouped(
        _in_period(base, a_year_earlier(start), a_year_earlier(end)).annotate(
            month=TruncMonth("opened_at", tzinfo=tz)
        ),
        "month",
    )
    now_by = {_as_date(k): v for k, v in grouped_now.items()}
    then_by = {_as_date(k): v for k, v in grouped_then.items()}
    for first in months:
        last = min(_month_end(first), end)
        begin = max(first, start)
        params = {**node_params, **_period_params(begin, last)}
        by_month.append(
            Row(
                key=f"{first:%Y-%m}",
                label=f"{first:%Y-%m}",
                current=Figures.of(now_by.get(first)),
                last_year=Figures.of(then_by.get(a_year_earlier(first))),
                params=params,
                links=_links(params),
            )
        )
    ranking = ranked(by_jurisdiction, lambda row: row.current.share)
    return Statistics(
        start,
        end,
        node,
        total,
        by_category,
        by_source,
        by_grade,
        by_jurisdiction,
        by_month,
        ranking=ranking,
        unranked=[row for row in by_jurisdiction if row not in ranking],
    )


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _month_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    out, current = [], start.replace(day=1)
    while current <= end:
        out.append(current)
        current = _month_end(current) + dt.timedelta(days=1)
    return out


# ---------------------------------------------------------------------------------------------
# the justice bureau's monthly table

TABLE_COLUMNS = [
    ("found", "排查纠纷数（件）"),
    ("found_last_year", "去年同期（件）"),
    ("found_yoy", "同比"),
    ("resolved", "调解成功数（件）"),
    ("rate", "化解率"),
    ("written", "书面协议（件）"),
    ("oral", "口头协议（件）"),
    ("performed", "协议履行（件）"),
    ("amount", "涉及金额（元）"),
    ("resolved_amount", "调解成功涉及金额（元）"),
    ("people", "涉及人数（人）"),
    ("kept", "防止民转刑（件）"),
    ("repeated", "重复纠纷（件）"),
]


def _cells(row: Row) -> list:
    c, last = row.current, row.last_year
    values = {
        "found": c.found,
        "found_last_year": last.found,
        "found_yoy": row.found_yoy,
        "resolved": c.resolved,
        "rate": c.rate,
        "written": c.written,
        "oral": c.oral,
        "performed": c.performed,
        "amount": float(c.amount),
        "resolved_amount": float(c.resolved_amount),
        "people": c.people,
        "kept": c.kept,
        "repeated": c.repeated,
    }
    return [values[key] for key, _label in TABLE_COLUMNS]


def monthly_table(stats: Statistics, *, unit_name: str) -> bytes:
    """The table as an XLSX file: a title, the reporting unit and period, one row per category in
    the bureau's order, and the total."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "矛盾纠纷排查化解统计"
    width = len(TABLE_COLUMNS) + 2
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws["A1"] = "矛盾纠纷排查化解情况统计表"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    ws["A2"] = (
        f"填报单位：{unit_name}    统计期间：{stats.start:%Y年%m月%d日}至{stats.end:%Y年%m月%d日}    "
        f"填报日期：{timezone.localdate():%Y年%m月%d日}"
    )
    header = ["序号", "纠纷类别", *[label for _key, label in TABLE_COLUMNS]]
    ws.append(header)
    thin = Side(style="thin")
    by_key = {row.key: row for row in stats.by_category}
    for number, category in enumerate(Category.values, start=1):
        ws.append([number, CATEGORY_TABLE_NAMES[category], *_cells(by_key[category])])
    ws.append(["", "合计", *_cells(stats.total)])
    last_row = ws.max_row
    for row in ws.iter_rows(min_row=3, max_row=last_row, max_col=width):
        for cell in row:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            if cell.row == 3 or cell.row == last_row:
                cell.font = Font(bold=True)
            key = TABLE_COLUMNS[cell.column - 3][0] if cell.column >= 3 else ""
            if cell.row > 3 and key in ("rate", "found_yoy"):
                cell.number_format = "0.0%"
            elif cell.row > 3 and "amount" in key:
                cell.number_format = "#,##0.00"
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 14
    for column in range(3, width + 1):
        ws.column_dimensions[get_column_letter(column)].width = 14
    ws.freeze_panes = "C4"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
