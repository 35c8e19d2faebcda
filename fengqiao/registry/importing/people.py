"""Importing people (实有人口): keyed by ID number (an overseas person without one by their
document), placed by their current address (or, without one, their point or grid), validated by
the registry's rules as ``actions.record_person`` is."""

from django.utils.translation import gettext as _

from fengqiao.registry import rules
from fengqiao.registry.actions import PERSON_FIELDS
from fengqiao.registry.importing.base import (
    Importer,
    Row,
    RowRejected,
    grid_hint,
    locate_points,
    point_of,
)
from fengqiao.registry.importing.columns import PEOPLE
from fengqiao.registry.importing.places import AddressBook
from fengqiao.registry.models import Person
from fengqiao.registry.validators import InvalidValue, parse_id_number

# A row's fields the rules take as they are; the placement is the importer's.
_DATA_FIELDS = frozenset(PERSON_FIELDS) - {"current_address", "grid", "id_number"}


class PeopleImporter(Importer):
    kind = PEOPLE
    model = Person
    key_field = "id_number"

    def __init__(self, ctx, header):
        super().__init__(ctx, header)
        self.addresses = AddressBook(ctx)
        self._grids: dict[int, int] = {}  # line → grid id of the chunk's points

    def key(self, row: Row):
        data = row.data
        raw = data.get("id_number")
        if raw is None:
            if data.get("document_number"):
                # an overseas person without a citizen ID number: keyed by their document
                return (
                    "document",
                    data.get("nationality", ""),
                    data.get("document_type", ""),
                    data["document_number"],
                )
            raise RowRejected("id_number", _("the ID number is empty"))
        try:
            return parse_id_number(raw, today=self.ctx.today).number
        except InvalidValue as exc:
            raise RowRejected("id_number", exc.reason) from None

    def key_column(self, row: Row) -> str:
        return "id_number" if isinstance(row.key, str) or row.key is None else "document_number"

    # -- look-ups --------------------------------------------------------------------------------

    def prepare(self, rows: list[Row]) -> None:
        """The addresses and the points' grids of a chunk's rows."""
        self.addresses.load(
            [r.data.get("address_code") for r in rows], [r.data.get("current_address") for r in rows]
        )
        points = {}
        for row in rows:
            if row.data.get("address_code"):
                continue
            try:
                point = point_of(row)
            except RowRejected:
                continue  # place() reports it
            if point is not None:
                points[row.line] = point
        self._grids = locate_points(rows, points)

    def existing(self, keys):
        found = super().existing([k for k in keys if isinstance(k, str)])
        qs = Person.objects.unscoped(reason="registry import: upsert by document")
        for key in keys:
            if isinstance(key, tuple):
                _kind, nationality, document_type, number = key
                stored = (
                    qs.filter(nationality=nationality, document_type=document_type, document_number=number)
                    .values(*self.attnames)
                    .first()
                )
                if stored is not None:
                    found[key] = stored
        return found

    def identity(self, obj):
        return obj.id_number or (obj.nationality, obj.document_type, obj.document_number)

    def place(self, row: Row, current: tuple[int | None, int | None]) -> tuple[int, int | None]:
        """(grid id, current address id): the current address's grid; else the point's grid;
        else the grid given; else where the stored person is (``current``)."""
        code, full_text = row.data.get("address_code"), row.data.get("current_address")
        if code or full_text:
            placement = self.addresses.place(
                row,
                field_code="address_code",
                field_text="current_address",
                grid_hint=lambda: grid_hint(self.ctx, row, self._grids.get(row.line)),
            )
            grid_id = placement.grid_id
            given = row.data.get("grid")
            if given and self.ctx.grid_by_code.get(given.strip()) != grid_id:
                raise RowRejected("grid", _("A person lives in their current address's grid."))
            self.ctx.check_scope(grid_id, "address_code" if code else "current_address")
            self._placement = ("current_address_id", placement)
            return grid_id, placement.address_id
        point = point_of(row)
        if point is not None:
            grid_id = self._grids.get(row.line)
            if grid_id is None:
                raise RowRejected(
                    "lon",
                    _("the point (%(lon)s, %(lat)s) lies in no grid") % {"lon": point[0], "lat": point[1]},
                )
            self.ctx.check_scope(grid_id, "lon")
            return grid_id, None
        if row.data.get("grid"):
            grid_id = self.ctx.grid_of_code(row.data["grid"])
            self.ctx.check_scope(grid_id, "grid")
            return grid_id, None
        grid_id, address_id = current
        if grid_id is None:
            raise RowRejected(
                "current_address", _("give the current address (or, without one, a point or the grid)")
            )
        self.ctx.check_scope(grid_id, "current_address")
        return grid_id, address_id

    # -- the rows --------------------------------------------------------------------------------

    def build(self, row, index, stored):
        person = self.record(stored)
        current = (None, None) if stored is None else (stored["grid_id"], stored["current_address_id"])
        self._placement = None
        grid_id, person.current_address_id = self.place(row, current)
        person.import_placement = self._placement
        data = {name: value for name, value in row.data.items() if name in _DATA_FIELDS}
        errors = rules.Errors()
        rules.clean_fields(person, data, rules.PERSON_CONVERTERS, errors)
        if isinstance(row.key, str):
            person.id_number = row.key
        rules.check_person(person, data, errors)
        errors.raise_if_any()
        person.grid = self.ctx.grids[grid_id]
        person.refresh_derived()
        return person
