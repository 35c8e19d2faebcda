"""Importing people (实有人口): keyed by ID number, placed by their current address (or, without
one, their point or grid), validated by the same rules as ``actions.record_person``."""

from django.utils.translation import gettext as _

from fengqiao.registry import actions, text
from fengqiao.registry.choices import ResidentType
from fengqiao.registry.importing import values
from fengqiao.registry.importing.base import (
    UNSCOPED_IMPORT,
    IN_CHUNK,
    Importer,
    Row,
    RowRejected,
    draft,
    locate_points,
    point_of,
)
from fengqiao.registry.importing.columns import PEOPLE
from fengqiao.registry.importing.places import AddressBook
from fengqiao.registry.models import Person
from fengqiao.registry.validators import InvalidValue, parse_id_number

_RESIDENT_TYPES = frozenset(ResidentType.values)
_DATE_FIELDS = (
    "birth_date",
    "residence_permit_expires",
    "registered_on",
    "entry_date",
    "planned_exit_date",
    "collected_at",
)
# Fields of a row handed to the action's rules as they are (after the file-format clean-up).
_DATA_FIELDS = tuple(
    f for f in actions.PERSON_FIELDS if f not in ("current_address", "grid", "id_number")
)


class PeopleImporter(Importer):
    kind = PEOPLE
    model = Person
    key_field = "id_number"

    def __init__(self, ctx, header):
        super().__init__(ctx, header)
        converters = actions._person_converters(ctx.actor)
        # Placement is resolved for the whole chunk (AddressBook, locator); the ID number has been
        # parsed by key() with the same validator.
        for name in ("current_address", "grid", "id_number"):
            converters.pop(name)
        converters["resident_type"] = lambda v: v if v in _RESIDENT_TYPES else actions._choice(v, ResidentType)
        self.converters = converters
        self.addresses = AddressBook(ctx)
        self._grids: dict[int, int] = {}

    def key(self, row: Row):
        raw = row.data.get("id_number")
        if raw is None:
            if row.data.get("document_number"):
                return None  # an overseas person without a citizen ID number: no file-wide key
            raise RowRejected("id_number", _("the ID number is empty"))
        try:
            return parse_id_number(raw, today=self.ctx.today).number
        except InvalidValue as exc:
            raise RowRejected("id_number", exc.reason) from None

    def prepare(self, rows: list[Row]) -> None:
        self.addresses.load(
            [r.data.get("address_code") for r in rows], [r.data.get("current_address") for r in rows]
        )
        points = {}
        for index, row in enumerate(rows):
            if "address_code" in row.data or "current_address" in row.data:
                continue
            try:
                point = point_of(row)
            except RowRejected:
                continue  # build() reports it
            if point is not None:
                points[index] = point
        self._grids = locate_points(rows, points)

    def existing(self, keys):
        found = super().existing(keys)
        return found

    def place(self, row: Row, index: int, obj) -> None:
        """Current address → its grid; else the point → the locator's grid; else the grid code."""
        code, full_text = row.data.get("address_code"), row.data.get("current_address")
        if code or full_text:
            address_id, grid_id = self.addresses.find(code, full_text)
            obj.current_address_id, obj.grid_id = address_id, grid_id
            self.ctx.check_scope(grid_id, "address_code" if code else "current_address")
            return
        point = point_of(row)
        if point is not None:
            grid_id = self._grids.get(index)
            if grid_id is None:
                raise RowRejected("lon", _("the point (%(lon)s, %(lat)s) lies in no grid") % dict(
                    lon=point[0], lat=point[1]
                ))
            obj.grid_id = grid_id
            self.ctx.check_scope(grid_id, "lon")
            return
        if row.data.get("grid"):
            obj.grid_id = self.ctx.grid_of_code(row.data["grid"])
            self.ctx.check_scope(obj.grid_id, "grid")
            return
        if obj.grid_id is None:
            raise RowRejected(
                "current_address", _("give the current address (or, without one, a point or the grid)")
            )
        self.ctx.check_scope(obj.grid_id, "current_address")

    def build(self, row: Row, index: int, stored: dict | None):
        data = {}
        for name in _DATA_FIELDS:
            value = row.data.get(name)
            if value is not None:
                data[name] = value
        for name in _DATE_FIELDS:
            if name in data:
                data[name] = values.iso_date(data[name])
        if "resident_type" in data:
            data["resident_type"] = values.word(data["resident_type"], values.RESIDENT_TYPES, ResidentType)
        obj = draft(Person, stored if stored is not None else self.defaults)
        if row.key is not None:
            data["id_number"] = row.key
            obj.id_number = row.key
        errors = actions._Errors()
        actions._clean_fields(obj, {k: v for k, v in data.items() if k != "id_number"}, self.converters, errors)
        actions._check_person(obj, data, errors)
        errors.raise_if_any()
        self.place(row, index, obj)
        obj.scope_path = self.ctx.grid_path[obj.grid_id]
        obj.name_pinyin, obj.name_initials = text.pinyin_keys(obj.name)
        obj.name_pinyin, obj.name_initials = obj.name_pinyin[:255], obj.name_initials[:64]
        return obj


__all__ = ["PeopleImporter", "UNSCOPED_IMPORT", "IN_CHUNK"]
