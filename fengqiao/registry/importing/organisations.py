"""Importing organisations (实有单位): keyed by the unified social credit code, placed by their
address (or, without one, their point or grid), validated as ``actions.record_organisation`` does."""

from django.utils.translation import gettext as _

from fengqiao.registry import rules
from fengqiao.registry.choices import OrganisationType, SpecialTrade
from fengqiao.registry.importing.base import Importer, Row, RowRejected, grid_hint, locate_points, point_of
from fengqiao.registry.importing.columns import ORGANISATIONS
from fengqiao.registry.importing.places import AddressBook
from fengqiao.registry.models import Organisation
from fengqiao.registry.validators import InvalidValue, parse_credit_code, parse_id_number, parse_phone


class OrganisationsImporter(Importer):
    kind = ORGANISATIONS
    model = Organisation
    key_field = "credit_code"

    def __init__(self, ctx, header):
        super().__init__(ctx, header)
        self.addresses = AddressBook(ctx)
        self._grids: dict[int, int] = {}

    def key(self, row: Row):
        try:
            return parse_credit_code(row.data.get("credit_code", ""))
        except InvalidValue as exc:
            raise RowRejected("credit_code", exc.reason) from None

    def prepare(self, rows):
        self.addresses.load(
            [r.data.get("address_code") for r in rows], [r.data.get("address_text") for r in rows]
        )
        points = {}
        for index, row in enumerate(rows):
            if row.data.get("address_code"):
                continue
            try:
                point = point_of(row)
            except RowRejected:
                continue
            if point is not None:
                points[index] = point
        self._grids = locate_points(rows, points)

    def build(self, row, index, stored):
        obj = self.record(stored)
        obj.credit_code = row.key
        errors = rules.Errors()
        data = row.data
        for name in ("name", "legal_representative", "industry"):
            if name in data:
                setattr(obj, name, data[name].strip())
        converters = {
            "org_type": lambda v: rules.choice(v, OrganisationType, rules.ORGANISATION_TYPES),
            "legal_representative_id": lambda v: parse_id_number(v, today=self.ctx.today).number,
            "phone": parse_phone,
            "collected_at": rules.date,
        }
        for name, convert in converters.items():
            if name in data:
                try:
                    setattr(obj, name, convert(data[name]))
                except InvalidValue as exc:
                    errors.add(name, exc.reason)
        if "special_trades" in data:
            try:
                chosen = rules.choices_listed(data["special_trades"], SpecialTrade, rules.SPECIAL_TRADES)
            except InvalidValue as exc:
                errors.add("special_trades", exc.reason)
            else:
                for trade in SpecialTrade:
                    setattr(obj, trade.value, trade.value in chosen)
        if not obj.name:
            errors.add("name", _("The name is required."))
        errors.raise_if_any()
        self.place(row, index, obj)
        obj.grid = self.ctx.grids[obj.grid_id]
        obj.refresh_derived()
        return obj

    def place(self, row: Row, index: int, obj) -> None:
        """As record_organisation: the address's grid; without an address, the point's or the
        grid given."""
        code, full_text = row.data.get("address_code"), row.data.get("address_text")
        if code or full_text:
            placement = self.addresses.place(
                row,
                field_code="address_code",
                field_text="address_text",
                grid_hint=lambda: grid_hint(self.ctx, row, self._grids.get(index)),
            )
            obj.address_id, obj.grid_id = placement.address_id, placement.grid_id
            obj.import_placement = ("address_id", placement)
            given = row.data.get("grid")
            if given and self.ctx.grid_by_code.get(given.strip()) != obj.grid_id:
                raise RowRejected("grid", _("An organisation lies in its address's grid."))
            self.ctx.check_scope(obj.grid_id, "address_code" if code else "address_text")
            return
        point = point_of(row)
        if point is not None:
            grid_id = self._grids.get(index)
            if grid_id is None:
                raise RowRejected(
                    "lon",
                    _("the point (%(lon)s, %(lat)s) lies in no grid") % {"lon": point[0], "lat": point[1]},
                )
            obj.grid_id = grid_id
            self.ctx.check_scope(grid_id, "lon")
            return
        if row.data.get("grid"):
            obj.grid_id = self.ctx.grid_of_code(row.data["grid"])
            self.ctx.check_scope(obj.grid_id, "grid")
            return
        if obj.grid_id is None:
            raise RowRejected("address_text", _("Give the address (or, without one, the grid)."))
        self.ctx.check_scope(obj.grid_id, "address_text")
