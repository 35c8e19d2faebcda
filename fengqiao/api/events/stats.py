"""The closed loop's indicators (``GET /api/v1/events/indicators``): thin over
:mod:`fengqiao.events.indicators`, which counts and checks scope."""

import datetime as dt

from ninja import Field, Query, Router, Schema

from fengqiao.api.schemas import ERRORS, InputSchema, Text
from fengqiao.events import indicators as ind

router = Router(tags=["events"])


class IndicatorFilters(InputSchema):
    unit: Text = Field(
        "", description="The jurisdiction: a unit's or grid's tree path in your scope; yours by default."
    )
    start: dt.date | None = Field(None, description="First day counted; by default the last whole month.")
    end: dt.date | None = Field(None, description="Last day counted (included).")


class PeriodOut(Schema):
    start: dt.date
    end: dt.date


class NodeOut(Schema):
    path: str
    code: str
    name: str
    level: str = Field(description="city, county, station, community (a police district) or grid.")
    complete: bool = Field(True, description="False above your postings: only the part you see counts.")


class FigureOut(Schema):
    label: str
    value: float | None = Field(
        description="A count, or a rate from 0 to 1 (null with nothing to divide by)."
    )
    last_year: float | None = Field(description="The same dates a year earlier.")
    previous: float | None = Field(description="The period just before.")
    yoy: float | None = Field(
        description="同比: a count's (value − last_year) / last_year; a rate's value − last_year (points)."
    )
    mom: float | None = Field(description="环比: the same against the previous period.")
    rate: bool
    numerator: int | None = Field(None, description="A rate's numerator (null for a count).")
    denominator: int | None = Field(
        None, description="A rate's denominator in the period (null for a count)."
    )
    reliable: bool = Field(
        description="False for a rate from fewer than FENGQIAO_RATE_MIN_CASES cases: not to compare or rank."
    )
    better: str = Field(description="Which way the figure is good: higher, lower, or empty for neither.")
    params: dict[str, str] = Field(
        description="The event-list filters selecting exactly the events counted (a rate: its numerator's); "
        "the same parameters as GET /api/v1/events and the /events/ page."
    )
    list_url: str = Field(description="The event list page behind the figure.")


class StepOut(Schema):
    status: str
    label: str
    hours: float | None = Field(description="Average clock hours between entering the status and leaving it.")
    count: int = Field(description="Finished stays measured.")


class RowOut(Schema):
    path: str
    code: str
    name: str
    level: str
    figures: dict[str, FigureOut]
    steps: list[StepOut]


class MonthOut(Schema):
    month: dt.date
    received: int = Field(description="Events opened in the month.")
    closed: int = Field(description="Events closed in the month (and closed now).")


class IndicatorsOut(Schema):
    node: NodeOut
    period: PeriodOut
    last_year: PeriodOut
    previous: PeriodOut
    rows: list[RowOut] = Field(description="One per child of the node (a grid: itself).")
    total: RowOut
    monthly: list[MonthOut] = Field(description="The twelve months up to the end of the period.")


def _row(row: ind.Row) -> dict:
    return {
        "path": row.path,
        "code": row.code,
        "name": row.name,
        "level": row.level,
        "figures": {
            name: {
                "label": f.label,
                "value": f.value,
                "last_year": f.last_year,
                "previous": f.previous,
                "yoy": f.yoy,
                "mom": f.mom,
                "rate": f.rate,
                "numerator": f.share.numerator if f.share else None,
                "denominator": f.share.denominator if f.share else None,
                "reliable": f.reliable,
                "better": f.better,
                "params": f.params,
                "list_url": ind.list_url(f.params),
            }
            for name, f in row.figures.items()
        },
        "steps": [vars(s) for s in row.steps],
    }


@router.get(
    "/events/indicators",
    response={200: IndicatorsOut, **ERRORS},
    url_name="event-indicators",
    summary="Event indicators",
)
def event_indicators(request, filters: Query[IndicatorFilters]):
    """Received, filed, closed, 结案率, 按期结案率, 返工率, the shares closed within the grid and
    the community, and the average time per step, for each child of a jurisdiction and in total,
    over the events opened in the period, with the same period a year earlier (同比) and the period
    before (环比). Every figure carries the list filters of the events behind it. Staff only."""
    result = ind.indicators(request.auth, unit=filters.unit, start=filters.start, end=filters.end)
    node = result.node
    return {
        "node": vars(node) | {"complete": node.complete},
        "period": vars(result.period),
        "last_year": vars(result.last_year),
        "previous": vars(result.previous),
        "rows": [_row(r) for r in result.rows],
        "total": _row(result.total),
        "monthly": [{k: m[k] for k in ("month", "received", "closed")} for m in result.monthly],
    }
