"""Importing relations: a person and a house (户籍, 自住, 租住, 借住, dormitory, other) or a person
and an organisation (就业). A row names the person by ID number and the house by its address
(code or text) or the organisation by its credit code; the rules are ``actions.record_residence``
and ``actions.record_employment``'s.

A person's current relation to a house is matched and updated (there is at most one); a past one
is matched by its start date. A staff link is matched by person, organisation and start date.
"""

import contextlib

from django.utils.translation import gettext as _

from fengqiao.registry import actions, history, rules
from fengqiao.registry.choices import HistoryAction, ResidenceType
from fengqiao.registry.importing.base import (
    IN_CHUNK,
    UNSCOPED_IMPORT,
    Importer,
    Planned,
    Row,
    RowRejected,
)
from fengqiao.registry.importing.columns import RELATIONS
from fengqiao.registry.importing.places import AddressBook, address_text, people_by_number, person_id
from fengqiao.registry.models import Employment, House, Organisation, Residence
from fengqiao.registry.validators import InvalidValue, parse_credit_code, parse_id_number

RESIDENCE = "residence"
EMPLOYMENT = "employment"


class RelationsImporter(Importer):
    kind = RELATIONS
    model = Residence
    key_field = "id_number"

    def __init__(self, ctx, header):
        super().__init__(ctx, header)
        self.addresses = AddressBook(ctx)
        self._resolved: dict[int, tuple] = {}

    @staticmethod
    def what(row: Row) -> str:
        kind = (row.data.get("kind") or "").strip()
        if kind in rules.EMPLOYMENT_WORDS or (
            row.data.get("credit_code") and kind not in rules.RESIDENCE_TYPES
        ):
            return EMPLOYMENT
        return RESIDENCE

    def key(self, row: Row):
        try:
            number = parse_id_number(row.data.get("id_number", ""), today=self.ctx.today).number
        except InvalidValue as exc:
            raise RowRejected("id_number", exc.reason) from None
        if self.what(row) == EMPLOYMENT:
            try:
                code = parse_credit_code(row.data.get("credit_code", ""))
            except InvalidValue as exc:
                raise RowRejected("credit_code", exc.reason) from None
            try:
                start = rules.date(row.data.get("start_date"))
            except InvalidValue:
                start = row.data.get("start_date")  # build() reports it
            return (EMPLOYMENT, number, code, start)
        if row.data.get("address_code"):
            return (RESIDENCE, number, "code", row.data["address_code"].strip())
        if row.data.get("address_text"):
            return (RESIDENCE, number, "text", address_text(row.data["address_text"]))
        raise RowRejected("address_code", _("give the house's address (or, for a job, the credit code)"))

    def key_column(self, row: Row) -> str:
        if self.what(row) == EMPLOYMENT:
            return "credit_code"
        return "address_code" if row.data.get("address_code") else "address_text"

    def duplicate(self, row, first_line):
        return RowRejected(
            self.key_column(row), _("the same relation is on line %(line)d already") % {"line": first_line}
        )

    # -- look-ups -------------------------------------------------------------------------------

    def prepare(self, rows):
        ctx = self.ctx
        self.people = people_by_number(ctx, [r.data.get("id_number") for r in rows])
        self.addresses.load(
            [r.data.get("address_code") for r in rows], [r.data.get("address_text") for r in rows]
        )
        address_ids, codes = set(), set()
        for row in rows:
            if row.key[0] == EMPLOYMENT:
                codes.add(row.key[2])
                continue
            with contextlib.suppress(RowRejected):  # reported by the row's own resolution
                address_ids.add(
                    self.addresses.find(
                        row.data.get("address_code"), row.data.get("address_text"), field_text="address_text"
                    )[0]
                )
        self.houses = _lookup(House, "address_id", address_ids, ("address_id", "id", "grid_id", "scope_path"))
        self.organisations = _lookup(
            Organisation, "credit_code", codes, ("credit_code", "id", "grid_id", "scope_path")
        )
        self._resolved = {}

    def _resolve(self, index: int, row: Row) -> tuple:
        """(kind, person id, house or organisation id, its grid id, its scope path)."""
        if index in self._resolved:
            return self._resolved[index]
        try:
            person = person_id(self.ctx, self.people, row.data["id_number"])
        except InvalidValue as exc:
            raise RowRejected("id_number", exc.reason) from None
        if row.key[0] == EMPLOYMENT:
            found = self.organisations.get(row.key[2])
            if found is None or not self.ctx.in_scope(found[3]):
                raise RowRejected("credit_code", _("no organisation with this credit code in your area"))
        else:
            address_id, _grid = self.addresses.find(
                row.data.get("address_code"), row.data.get("address_text"), field_text="address_text"
            )
            found = self.houses.get(address_id)
            if found is None or not self.ctx.in_scope(found[3]):
                raise RowRejected(
                    self.key_column(row), _("no house at this address in your area: import houses first")
                )
        resolved = (row.key[0], person, found[1], found[2], found[3])
        self._resolved[index] = resolved
        return resolved

    def existing(self, keys):
        return {}

    def plan(self, rows, reject):
        self.prepare(rows)
        pairs = {RESIDENCE: set(), EMPLOYMENT: set()}
        for index, row in enumerate(rows):
            try:
                what, person, target, _grid, _path = self._resolve(index, row)
            except RowRejected:
                continue
            pairs[what].add((person, target))
        self.stored_residences = _relations(Residence, "house_id", pairs[RESIDENCE])
        self.stored_employments = _relations(Employment, "organisation_id", pairs[EMPLOYMENT])
        return super().plan(rows, reject)

    def stored_for(self, row, index, stored):
        what, person, target, _grid, _path = self._resolve(index, row)
        start = rules.date(row.data.get("start_date"))
        if what == RESIDENCE:
            candidates = self.stored_residences.get((person, target), [])
            current = [c for c in candidates if c["end_date"] is None]
            if current:
                return current[0]
        else:
            candidates = self.stored_employments.get((person, target), [])
            if start is None:
                current = [c for c in candidates if c["end_date"] is None]
                return current[0] if current else None
        same_start = [c for c in candidates if start is not None and c["start_date"] == start]
        return same_start[0] if same_start else None

    def identity(self, obj):
        return (
            type(obj).__name__,
            obj.person_id,
            getattr(obj, "house_id", None) or obj.organisation_id,
            obj.start_date,
        )

    # -- rules ------------------------------------------------------------------------------------

    def build(self, row, index, stored):
        what, person, target, grid_id, path = self._resolve(index, row)
        data = row.data
        errors = rules.Errors()
        if what == RESIDENCE:
            obj = self.record(stored, Residence)
            obj.house_id = target
            if "kind" in data:
                try:
                    obj.kind = rules.choice(data["kind"], ResidenceType, rules.RESIDENCE_TYPES)
                except InvalidValue as exc:
                    errors.add("kind", exc.reason)
            elif not obj.kind:
                errors.add("kind", _("Required."))
        else:
            obj = self.record(stored, Employment)
            obj.organisation_id = target
            if "role" in data:
                obj.role = data["role"].strip()
        obj.person_id = person
        obj.grid_id, obj.scope_path = grid_id, path
        names = (
            ("start_date", "end_date", "registered_on") if what == RESIDENCE else ("start_date", "end_date")
        )
        for name in names:
            if name in data:
                try:
                    setattr(obj, name, rules.date(data[name]))
                except InvalidValue as exc:
                    errors.add(name, exc.reason)
        if what == RESIDENCE:
            rules.check_residence(obj, errors)
        else:
            rules.check_dates(obj, errors)
        errors.raise_if_any()
        self.ctx.check_scope(grid_id, self.key_column(row))
        return obj

    def check_lengths(self, obj):
        if isinstance(obj, Residence):
            super().check_lengths(obj)

    # -- writing --------------------------------------------------------------------------------

    def after_write(self, planned: Planned) -> None:
        self._after_residences(
            Planned(
                inserts=[i for i in planned.inserts if isinstance(i[1], Residence)],
                updates=[u for u in planned.updates if isinstance(u[1], Residence)],
            )
        )

    def _after_residences(self, planned: Planned) -> None:
        """As record_residence: a current tenancy marks the house rented; occupant counts follow."""
        changed = [obj for _row, obj in planned.inserts] + [obj for _row, obj, _o, _n in planned.updates]
        if not changed:
            return
        rented = {o.house_id for o in changed if o.kind == ResidenceType.RENTING and o.end_date is None}
        if rented:
            houses = House.objects.unscoped(reason=UNSCOPED_IMPORT)
            to_mark = list(houses.filter(pk__in=rented, is_rented=False))
            if to_mark:
                houses.filter(pk__in=[h.pk for h in to_mark]).update(is_rented=True)
                history.write_history(
                    history.history_row(
                        h,
                        action=HistoryAction.UPDATE,
                        before={"is_rented": False},
                        after={"is_rented": True},
                        actor=self.ctx.actor,
                        source=self.ctx.source,
                        batch=self.ctx.batch,
                    )
                    for h in to_mark
                )
        actions.refresh_occupant_counts({o.house_id for o in changed})


def _lookup(model, key: str, values_, fields) -> dict:
    values_ = sorted(values_)
    found = {}
    qs = model.objects.unscoped(reason=UNSCOPED_IMPORT).filter(retired_at__isnull=True)
    for i in range(0, len(values_), IN_CHUNK):
        for item in qs.filter(**{f"{key}__in": values_[i : i + IN_CHUNK]}).values_list(*fields):
            found[item[0]] = item
    return found


def _relations(model, target: str, pairs) -> dict:
    """Stored relations of the (person, target) pairs, newest first."""
    people = sorted({p for p, _t in pairs})
    names = ["id", *[f.attname for f in model._meta.concrete_fields if f.attname != "id"]]
    found: dict = {}
    qs = model.objects.unscoped(reason=UNSCOPED_IMPORT).order_by("-id")
    for i in range(0, len(people), IN_CHUNK):
        for stored in qs.filter(person_id__in=people[i : i + IN_CHUNK]).values(*names):
            pair = (stored["person_id"], stored[target])
            if pair in pairs:
                found.setdefault(pair, []).append(stored)
    return found
