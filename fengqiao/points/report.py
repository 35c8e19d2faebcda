"""The stations' monthly points report (issue 18 §4): points issued by source, redeemed, reversed and
expired, and the net, per station and per team; pieces in and out per item. Every figure is read
from the ledger's entries, so it is what the books say:

- the issuing account's entries give the points (an earning takes from it, a redemption, a
  pick-up, a reversal of an earning or an expiry gives back), so ``net = issued - redeemed -
  reversed - expired`` is exactly how far the station's issuing account moved in the month;
- an item's shelf (its stock account) gives the pieces: opening + delivered - handed out - written
  off + count adjustments = closing.

The XLSX goes through ``core.exporting`` (every text a text cell, never a formula) and its export
is audited."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.exporting import xlsx_bytes
from fengqiao.core.scoping import path_within, scope_prefixes
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit
from fengqiao.patrols.models import Team
from fengqiao.points.actions import may_keep_counter
from fengqiao.points.choices import EARNING_SOURCES, REDEEMING_SOURCES, AccountKind, Source
from fengqiao.points.models import Entry, Item

REPORT_EXPORT = audit.register("points_report_export", "exported the monthly points report")
UNSCOPED_REPORT = "points: the report reads the entries of stations the reader was checked to keep"


def parse_month(value) -> dt.date:
    """``YYYY-MM`` (this month when empty) as the month's first day; a clear error otherwise."""
    text = str(value or "").strip()
    if not text:
        return timezone.localdate().replace(day=1)
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise ValidationError({"month": [_("Enter a month as YYYY-MM, e.g. 2026-03.")]}) from None


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's first and the next month's first instant, in local time."""
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(month.replace(day=1), dt.time(), tzinfo=zone)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following


def stations_kept_by(user):
    """The police stations whose points the user keeps: those in their area, for the roles that
    keep the counter."""
    if not may_keep_counter(user):
        return PoliceUnit.objects.none()
    prefixes = scope_prefixes(user)
    return PoliceUnit.objects.filter(
        pk__in=[
            unit.pk
            for unit in PoliceUnit.objects.filter(kind=UnitKind.STATION).only("pk", "path")
            if path_within(unit.path, prefixes)
        ]
    ).order_by("path")


@dataclass
class Flow:
    """Points of one station, or one team, in the month."""

    issued: int = 0
    redeemed: int = 0
    reversed: int = 0  # taken back by reversals (net: a reversed redemption gives points back)
    expired: int = 0

    @property
    def net(self) -> int:
        return self.issued - self.redeemed - self.reversed - self.expired

    def add(self, source: str, issuing_amount: int) -> None:
        """Count one sum of the issuing account's entries of one source."""
        if source in EARNING_SOURCES:
            self.issued -= issuing_amount
        elif source in REDEEMING_SOURCES:
            self.redeemed += issuing_amount
        elif source == Source.REVERSAL:
            self.reversed += issuing_amount
        elif source == Source.EXPIRY:
            self.expired += issuing_amount


@dataclass
class TeamRow:
    team_id: int | None
    name: str
    flow: Flow = field(default_factory=Flow)


@dataclass
class ItemRow:
    item_id: int
    name: str
    opening: int = 0
    delivered: int = 0
    handed_out: int = 0  # redeemed at the counter or reserved (net of reservations released)
    written_off: int = 0
    adjusted: int = 0  # stock counts' corrections and reversals of movements

    @property
    def closing(self) -> int:
        return self.opening + self.delivered - self.handed_out - self.written_off + self.adjusted


@dataclass
class StationReport:
    station: PoliceUnit
    total: Flow = field(default_factory=Flow)
    by_source: dict[str, int] = field(default_factory=dict)  # points issued per earning source
    teams: list[TeamRow] = field(default_factory=list)
    items: list[ItemRow] = field(default_factory=list)

    @property
    def sources(self) -> list[tuple[str, str, int]]:
        """Every earning source, in the choices' order, with its label and points issued."""
        return [(s, Source(s).label, self.by_source.get(s, 0)) for s in EARNING_SOURCES]


@dataclass
class MonthlyReport:
    month: dt.date
    stations: list[StationReport]


def monthly_report(stations, month: dt.date) -> MonthlyReport:
    """The report of ``stations`` (as :func:`stations_kept_by` gives them) for ``month``."""
    stations = list(stations)
    start, end = month_bounds(month)
    reports = {s.pk: StationReport(station=s) for s in stations}
    in_month = {"transaction__created_at__gte": start, "transaction__created_at__lt": end}
    points = (
        Entry.objects.filter(account__station__in=stations, account__kind=AccountKind.ISSUING, **in_month)
        .values_list("account__station", "transaction__source", "transaction__member__team")
        .annotate(n=Sum("amount"))
        .order_by()
    )
    teams: dict[tuple[int, int | None], TeamRow] = {}
    for station_id, source, team_id, amount in points:
        report = reports[station_id]
        report.total.add(source, amount)
        if source in EARNING_SOURCES:
            report.by_source[source] = report.by_source.get(source, 0) - amount
        row = teams.get((station_id, team_id))
        if row is None:
            row = teams[(station_id, team_id)] = TeamRow(team_id=team_id, name="")
        row.flow.add(source, amount)
    names = dict(
        Team.objects.unscoped(reason=UNSCOPED_REPORT)
        .filter(pk__in=[t for (_s, t) in teams if t])
        .values_list("pk", "name")
    )
    for (station_id, team_id), row in teams.items():
        row.name = names.get(team_id, "") if team_id else _("No team")
        reports[station_id].teams.append(row)
    for report in reports.values():
        report.teams.sort(key=lambda r: (-r.flow.issued, r.name))
    _stock(reports, stations, start, end)
    return MonthlyReport(month=month, stations=[reports[s.pk] for s in stations])


def _stock(reports: dict[int, StationReport], stations, start, end) -> None:
    shelf = Entry.objects.filter(account__station__in=stations, account__kind=AccountKind.STOCK)
    opening = dict(
        shelf.filter(transaction__created_at__lt=start)
        .values_list("account__item")
        .annotate(n=Sum("amount"))
        .order_by()
    )
    moves: dict[int, dict[str, int]] = defaultdict(dict)
    for item_id, source, amount in (
        shelf.filter(transaction__created_at__gte=start, transaction__created_at__lt=end)
        .values_list("account__item", "transaction__source")
        .annotate(n=Sum("amount"))
        .order_by()
    ):
        moves[item_id][source] = amount
    items = Item.objects.unscoped(reason=UNSCOPED_REPORT).filter(station__in=stations).order_by("name")
    for item in items:
        if item.pk not in opening and item.pk not in moves and not item.is_active:
            continue
        m = moves.get(item.pk, {})
        reports[item.station_id].items.append(
            ItemRow(
                item_id=item.pk,
                name=item.name,
                opening=opening.get(item.pk, 0),
                delivered=m.get(Source.DELIVERY, 0),
                handed_out=-sum(m.get(s, 0) for s in (Source.REDEMPTION, Source.RESERVATION, Source.RELEASE)),
                written_off=-m.get(Source.WRITE_OFF, 0),
                adjusted=m.get(Source.STOCK_COUNT, 0) + m.get(Source.REVERSAL, 0),
            )
        )


# --- the spreadsheet ------------------------------------------------------------------------------


def report_rows(report: MonthlyReport) -> tuple[list, list[list]]:
    """The report as one sheet: a section per station, each with its tables one under another."""
    headers = [_("Monthly points report"), f"{report.month:%Y-%m}"]
    flow_head = [
        _("Points issued"),
        _("Points redeemed"),
        _("Points reversed"),
        _("Points expired"),
        _("Net points"),
    ]
    rows: list[list] = []
    for s in report.stations:
        t = s.total
        rows += [
            [],
            [_("Police station"), s.station.name],
            [_("Points"), *flow_head],
            [_("Total"), t.issued, t.redeemed, t.reversed, t.expired, t.net],
            [],
            [_("Issued by source"), _("Points")],
            *([str(label), n] for _key, label, n in s.sources),
            [],
            [_("Team"), *flow_head],
            *(
                [r.name, r.flow.issued, r.flow.redeemed, r.flow.reversed, r.flow.expired, r.flow.net]
                for r in s.teams
            ),
            [],
            [
                _("Item"),
                _("Opening stock"),
                _("Stock delivered"),
                _("Handed out or reserved"),
                _("Written off"),
                _("Counts and reversals"),
                _("Closing stock"),
            ],
            *(
                [i.name, i.opening, i.delivered, i.handed_out, i.written_off, i.adjusted, i.closing]
                for i in s.items
            ),
        ]
    return headers, rows


def export_report(report: MonthlyReport, *, actor) -> bytes:
    """The report as an XLSX file; the export is on the record."""
    data = xlsx_bytes(*report_rows(report))
    audit.record(
        REPORT_EXPORT,
        None,
        actor=actor,
        object_type="points.report",
        object_repr=f"{report.month:%Y-%m}",
        after={"month": f"{report.month:%Y-%m}", "stations": [s.station.pk for s in report.stations]},
    )
    return data
