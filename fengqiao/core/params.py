"""Query-string filters and small parsers shared by the case types' selectors and workflows.

A filter is a dataclass of strings, one per query parameter, so a page, the API and every
figure's link speak the same vocabulary; a bad value is a ValidationError naming the parameter.
"""

import datetime as dt
from dataclasses import fields
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.scoping import scope_q


class ParamFilter:
    """Mixed into a dataclass whose fields are the query parameters."""

    __dataclass_fields__: ClassVar[dict]  # the dataclass it is mixed into has them

    @classmethod
    def from_params(cls, params):
        return cls(**{f.name: str(params.get(f.name, "") or "").strip() for f in fields(cls)})

    def as_params(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def _choice(self, name: str, allowed) -> str:
        value = getattr(self, name)
        if value not in allowed:
            raise ValidationError({name: [_("Unknown value: %(value)s.") % {"value": value}]})
        return value

    def _date(self, name: str) -> dt.date | None:
        return parse_date(getattr(self, name), name)

    def _between(self, qs, field: str, start: str, end: str):
        """Rows whose ``field`` falls on the days of parameters ``start`` to ``end`` (inclusive)."""
        first, last = self._date(start), self._date(end)
        if first is not None:
            qs = qs.filter(**{f"{field}__gte": start_of(first)})
        if last is not None:
            qs = qs.filter(**{f"{field}__lt": start_of(last + dt.timedelta(days=1))})
        return qs

    @staticmethod
    def _under(qs, path: str):
        """The rows at or under a tree path (the ``unit`` parameter)."""
        return qs.filter(scope_q([path.rstrip("/")], vendor=connections[qs.db].vendor))


def parse_date(value: str, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: [_("Give a date as YYYY-MM-DD.")]}) from None


def start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
