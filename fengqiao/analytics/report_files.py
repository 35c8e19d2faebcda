"""The weekly report drawn as files: a PDF (reportlab; the charts and the grid map drawn on the
server with reportlab's graphics, in the Noto Serif SC font the mediation agreements use) and an
XLSX (openpyxl; every text cell a string, never a formula, as ``core.exporting`` writes them)."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from openpyxl import Workbook
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from fengqiao.analytics.report import ReportData, week_label
from fengqiao.analytics.trends import describe
from fengqiao.disputes.pdf import fonts

# Gi* confidence bins, as the hotspot page colours them (hot red, cold blue).
BIN_COLOURS = {
    99: "#b2182b",
    95: "#ef8a62",
    90: "#fddbc7",
    0: "#f7f7f7",
    -90: "#d1e5f0",
    -95: "#67a9cf",
    -99: "#2166ac",
}
WIDTH = A4[0] - 36 * mm


def change_text(value: float | None, *, rate: bool) -> str:
    if value is None:
        return "—"
    if rate:
        return _("%(value)s points") % {"value": f"{value * 100:+.1f}"}
    return f"{value * 100:+.2f}%"


def value_text(figure, value) -> str:
    """One of a figure's values (this week's, the week before's, ...) as the PDF prints it."""
    if value is None:
        return "—"
    if figure.rate and not figure.per_10k:
        return f"{value * 100:.2f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def figure_rows(data: ReportData) -> list[list]:
    """The figures as the report's table and the XLSX's sheet list them."""
    rows = []
    for section, figures in data.sections:
        for f in figures:
            rows.append(
                [
                    str(section),
                    str(f.label),
                    str(f.unit),
                    f.value,
                    f.previous,
                    f.last_year,
                    f.mom,
                    f.yoy,
                    f.name,
                ]
            )
    return rows


# ---------------------------------------------------------------------------------------------
# PDF


def _styles():
    font, bold = fonts()
    base = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=22, spaceAfter=4),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=bold, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4
        ),
        "body": base,
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=11),
        "font": font,
    }


def _table(headers: list[str], rows: list[list], styles, widths=None) -> Table:
    cell = styles["cell"]
    body = [
        [Paragraph(escape(str(v if v is not None else "—")), cell) for v in row] for row in [headers, *rows]
    ]
    table = Table(body, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _class_chart(data: ReportData, font: str) -> Drawing:
    """Criminal cases by class: this week against the same week a year earlier."""
    classes = data.classes
    drawing = Drawing(WIDTH, 150)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 30, 40, WIDTH - 50, 95
    chart.data = [[c["now"] or 0 for c in classes], [c["last_year"] or 0 for c in classes]]
    chart.categoryAxis.categoryNames = [str(c["label"])[:6] for c in classes]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#c23531")
    chart.bars[1].fillColor = colors.HexColor("#91a7c2")
    drawing.add(chart)
    drawing.add(
        String(30, 140, _("This week"), fontName=font, fontSize=7, fillColor=colors.HexColor("#c23531"))
    )
    drawing.add(
        String(
            90, 140, _("Same week last year"), fontName=font, fontSize=7, fillColor=colors.HexColor("#4a6a94")
        )
    )
    return drawing


def _trend_chart(data: ReportData, font: str) -> Drawing:
    """Criminal cases week by week, up to the report's week."""
    drawing = Drawing(WIDTH, 110)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 30, 20, WIDTH - 50, 80
    chart.data = [[n for _w, n in data.weekly_criminal] or [0]]
    chart.categoryAxis.categoryNames = [f"{w:%m-%d}" for w, _n in data.weekly_criminal] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin = 0
    chart.lines[0].strokeColor = colors.HexColor("#c23531")
    chart.lines[0].strokeWidth = 1.5
    drawing.add(chart)
    return drawing


def _map(data: ReportData, font: str) -> Drawing | None:
    """The unit's grids, each polygon coloured by its Gi* confidence bin, with a legend."""
    lattice, result = data.lattice, data.hotspots
    if lattice is None or result is None or not len(lattice):
        return None
    from fengqiao.analytics.spatial import project

    lat0 = float(lattice.centroids[:, 1].mean())
    lon0 = float(lattice.centroids[:, 0].mean())
    rings = []
    for geometry in lattice.geometries:
        polygons = getattr(geometry, "geoms", [geometry])
        rings.append([project(*p.exterior.coords.xy, lat0=lat0, lon0=lon0) for p in polygons])
    xs = [x for grid in rings for ring in grid for x in ring[0]]
    ys = [y for grid in rings for ring in grid for y in ring[1]]
    height = 300.0
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    scale = min((WIDTH - 90) / span_x, (height - 10) / span_y)
    drawing = Drawing(WIDTH, height)
    bins = {r.code: r.bin for r in result.rows}
    for code, grid in zip(lattice.codes, rings, strict=True):
        fill = colors.HexColor(BIN_COLOURS.get(bins.get(code, 0), BIN_COLOURS[0]))
        for x, y in grid:
            points = []
            for px, py in zip(x, y, strict=True):
                points += [(px - min(xs)) * scale + 5, (py - min(ys)) * scale + 5]
            drawing.add(
                Polygon(points, fillColor=fill, strokeColor=colors.HexColor("#888888"), strokeWidth=0.2)
            )
    legend = [
        (99, _("hot, 99%")),
        (95, _("hot, 95%")),
        (90, _("hot, 90%")),
        (0, _("not significant")),
        (-90, _("cold, 90%")),
        (-95, _("cold, 95%")),
        (-99, _("cold, 99%")),
    ]
    for i, (key, label) in enumerate(legend):
        y = height - 14 - i * 12
        drawing.add(Rect(WIDTH - 80, y, 8, 8, fillColor=colors.HexColor(BIN_COLOURS[key]), strokeWidth=0.2))
        drawing.add(String(WIDTH - 68, y + 1, label, fontName=font, fontSize=7))
    return drawing


def pdf(data: ReportData) -> bytes:
    styles = _styles()
    font = styles["font"]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=data.title,
    )
    story = [
        Paragraph(escape(data.title), styles["title"]),
        Paragraph(escape(week_label(data.week)), styles["body"]),
        Paragraph(escape(_("1. The figures and their change")), styles["h2"]),
    ]
    headers = [
        _("Figure"),
        _("This week"),
        _("Week before"),
        _("Same week last year"),
        _("against the previous period"),
        _("year on year"),
    ]
    rows = []
    for _section, figures in data.sections:
        for f in figures:
            rows.append(
                [
                    f"{f.label}" + (f"（{f.unit}）" if f.unit and f.unit != "%" else ""),
                    value_text(f, f.value),
                    value_text(f, f.previous),
                    value_text(f, f.last_year),
                    change_text(f.mom, rate=f.rate and not f.per_10k),
                    change_text(f.yoy, rate=f.rate and not f.per_10k),
                ]
            )
    story.append(_table(headers, rows, styles, widths=[WIDTH * 0.4] + [WIDTH * 0.12] * 5))
    if data.classes:
        story += [Spacer(1, 6), _class_chart(data, font)]
    if data.weekly_criminal:
        story += [
            Paragraph(escape(_("Criminal cases week by week")), styles["body"]),
            _trend_chart(data, font),
        ]

    story.append(
        Paragraph(escape(_("2. Hotspots of criminal cases (the four weeks to the week's end)")), styles["h2"])
    )
    drawn = _map(data, font)
    if drawn is None:
        story.append(Paragraph(escape(_("Too few grids to look for hotspots.")), styles["body"]))
    else:
        story.append(drawn)
        hot = [[r.code, r.name, r.count, f"{r.z:.2f}", f"{r.p:.3f}", f"{r.bin}%"] for r in data.hot]
        if hot:
            story.append(
                _table([_("Grid code"), _("Grid"), _("Cases"), "z", "p", _("Confidence")], hot, styles)
            )
        else:
            story.append(Paragraph(escape(_("No hot grid.")), styles["body"]))

    story.append(Paragraph(escape(_("3. Unusual trends")), styles["h2"]))
    if data.unusual:
        rows = [[t.label, f"{w.start:%m-%d}–{w.end:%m-%d}", describe(w)] for t, w in data.unusual]
        story.append(_table([_("Class"), _("Week"), _("Count against the baseline")], rows, styles))
    else:
        story.append(Paragraph(escape(_("No class beyond its control limit this week.")), styles["body"]))

    story.append(Paragraph(escape(_("4. Red-grade and repeated disputes")), styles["h2"]))
    story.append(_rows_or_none(data.disputes, dispute_headers(), styles))

    story.append(Paragraph(escape(_("5. Overdue and escalated cases")), styles["h2"]))
    story.append(
        Paragraph(
            escape(
                _("Overdue now: %(overdue)d; escalated: %(escalated)d.")
                % {"overdue": data.overdue_total, "escalated": data.escalated_total}
            ),
            styles["body"],
        )
    )
    story.append(_rows_or_none(data.overdue, overdue_headers(), styles))

    story.append(Paragraph(escape(_("6. Directives pushed down and their feedback")), styles["h2"]))
    c = data.directive_counts
    story.append(
        Paragraph(
            escape(
                _("Issued %(issued)d, fed back %(fed_back)d (in time %(in_time)d), closed %(closed)d.") % c
            ),
            styles["body"],
        )
    )
    story.append(_rows_or_none(data.directives, directive_headers(), styles))
    doc.build(story)
    return out.getvalue()


def _rows_or_none(rows, headers, styles):
    if not rows:
        return Paragraph(escape(_("None.")), styles["body"])
    return _table(headers, [r.cells for r in rows], styles)


def dispute_headers() -> list[str]:
    return [_("Number"), _("Title"), _("Grade"), _("Repeated"), _("Grid"), _("Opened"), _("Status")]


def overdue_headers() -> list[str]:
    return [_("Kind"), _("Number"), _("Title"), _("Status"), _("Due"), _("Escalations")]


def directive_headers() -> list[str]:
    return [
        _("Number"),
        _("Grid"),
        _("What to do"),
        _("Title"),
        _("Status"),
        _("Feedback"),
        _("What was done"),
    ]


# ---------------------------------------------------------------------------------------------
# XLSX


def _text(sheet, value):
    """A cell of ``value``: a text is a string cell whatever it starts with, never a formula."""
    from openpyxl.cell import WriteOnlyCell

    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx(data: ReportData) -> bytes:
    book = Workbook(write_only=True)

    def sheet(title: str, headers: list, rows: list[list]):
        ws = book.create_sheet(title)
        ws.append([_text(ws, str(h)) for h in headers])
        for row in rows:
            ws.append([_text(ws, v) for v in row])

    figure_headers = [_("Section"), _("Figure"), _("Unit"), _("This week"), _("Week before")]
    figure_headers += [
        _("Same week last year"),
        _("against the previous period"),
        _("year on year"),
        _("Key"),
    ]
    sheet(_("Figures"), figure_headers, figure_rows(data))
    sheet(
        _("Hotspots"),
        [_("Grid code"), _("Grid"), _("Cases"), "z", "p", _("Confidence")],
        [[r.code, r.name, r.count, round(r.z, 4), round(r.p, 4), r.bin] for r in data.hot],
    )
    sheet(
        _("Unusual trends"),
        [_("Class"), _("Week"), _("Count"), _("Baseline"), _("Limit")],
        [[t.label, w.start.isoformat(), w.count, w.baseline, w.limit] for t, w in data.unusual],
    )
    sheet(_("Disputes"), dispute_headers(), [r.cells for r in data.disputes])
    sheet(_("Overdue and escalated"), overdue_headers(), [r.cells for r in data.overdue])
    sheet(_("Directives"), directive_headers(), [r.cells for r in data.directives])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
