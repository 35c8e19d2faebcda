"""Importing standard addresses and houses, and finding the addresses other rows refer to."""

import contextlib
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from fengqiao.geo.models import Division
from fengqiao.registry import addressing, history, rules
from fengqiao.registry.choices import AddressElement, AddressStatus, HouseOwnership, HouseUse
from fengqiao.registry.importing.base import (
    IN_CHUNK,
    UNSCOPED_IMPORT,
    Importer,
    Row,
    RowRejected,
    grid_hint,
    locate_points,
    point_of,
)
from fengqiao.registry.importing.columns import ADDRESSES, HOUSES
from fengqiao.registry.models import Address, House, Person
from fengqiao.registry.validators import InvalidValue, parse_id_number

_BLANKS = re.compile(r"\s+")
_CACHE_LIMIT = 400_000
_FIELDS = ("id", "grid_id", "retired_at", "in_use", "match_key", "code", "status", "community__code")


def address_text(value: str) -> str:
    """An address as typed, reduced the way the registry spells ``full_text``: no blanks."""
    return _BLANKS.sub("", unicodedata.normalize("NFKC", value or ""))


@dataclass
class Placement:
    """Where a row's address text put it: a standard address it matched (``via`` MATCHED), a
    pending address (PENDING: one on file, or ``new``, written with the chunk), or the address
    whose code the row gave (CODE)."""

    address_id: int | None
    grid_id: int
    via: str
    new: Address | None = None


CODE, MATCHED, PENDING = "code", "matched", "pending"


class AddressBook:
    """Addresses by code and by the key of their text (``registry.addressing``), looked up a chunk
    at a time and remembered for the rest of the import. A text that names no one standard address
    goes to a pending address (待规范地址), placed by the row's point, grid, or the village or
    community its text names: one per text and grid, shared by the rows that write it."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.names = addressing.DIVISION_NAMES.get()  # read once per import
        self.by_code: dict[str, tuple | None] = {}
        self.by_key: dict[str, list[tuple]] = {}
        self.new_pending: dict[tuple[int, str], Address] = {}
        self._communities: dict[int, Division] = {}
        self._community_grid: dict[int, int | None] = {}

    def load(self, codes, texts) -> None:
        if len(self.by_code) + len(self.by_key) > _CACHE_LIMIT:
            self.by_code.clear()
            self.by_key.clear()
        qs = Address.objects.unscoped(reason=UNSCOPED_IMPORT)
        known_codes = self.by_code
        wanted = sorted({c.strip() for c in codes if c and c.strip() not in known_codes})
        for i in range(0, len(wanted), IN_CHUNK):
            part = wanted[i : i + IN_CHUNK]
            for code in part:
                self.by_code[code] = None
            for item in qs.filter(code__in=part).values_list(*_FIELDS):
                self.by_code[item[5]] = item
        known = self.by_key
        keys = sorted({k for k in (self.names.parse(t).key for t in texts if t) if k and k not in known})
        for i in range(0, len(keys), IN_CHUNK):
            part = keys[i : i + IN_CHUNK]
            for key in part:
                self.by_key[key] = []
            for item in qs.filter(match_key__in=part).values_list(*_FIELDS):
                self.by_key[item[4]].append(item)

    def _matches(self, text: str):
        """The text read, and the addresses on file reading the same in the divisions it names."""
        parsed = self.names.parse(text)
        if parsed.division == "!":
            return parsed, []
        return parsed, [i for i in self.by_key.get(parsed.key, ()) if i[7].startswith(parsed.division)]

    def find(
        self, code: str | None, text: str | None, *, field_code="address_code", field_text="current_address"
    ):
        """(address id, grid id) of the standard address a row names; RowRejected when there is
        none, more than one, or it is retired."""
        if code:
            item = self.by_code.get(code.strip())
            if item is None:
                raise RowRejected(field_code, _("unknown address code %(code)s") % {"code": code})
            field_name, shown = field_code, code
        else:
            _parsed, found = self._matches(text)
            standard = [i for i in found if i[6] == AddressStatus.STANDARD]
            usable = [i for i in standard if i[2] is None and i[3]]
            if not standard:
                raise RowRejected(
                    field_text,
                    _("unknown address %(text)s: record it first (import addresses) or give its code")
                    % {"text": text},
                )
            if len(usable) > 1:
                raise RowRejected(
                    field_text,
                    _("%(n)d addresses read %(text)s: give the address code")
                    % {"n": len(usable), "text": text},
                )
            item = usable[0] if usable else standard[0]
            field_name, shown = field_text, text
        if item[2] is not None or not item[3]:
            raise RowRejected(field_name, _("the address %(text)s is retired") % {"text": shown})
        return item[0], item[1]

    def place(self, row: Row, *, field_code: str, field_text: str, grid_hint=None) -> Placement:
        """Where the row's address code or text puts it. A text is matched to the one standard
        address reading so; otherwise the row goes to a pending address in the grid of its point
        or grid column (``grid_hint()``, asked only then), else of the village or community its
        text names."""
        code, text = row.data.get(field_code), row.data.get(field_text)
        if code:
            return Placement(*self.find(code, None, field_code=field_code), CODE)
        parsed, found = self._matches(text)
        standard = [i for i in found if i[6] == AddressStatus.STANDARD]
        usable = [i for i in standard if i[2] is None and i[3]]
        if len(usable) == 1:
            return Placement(usable[0][0], usable[0][1], MATCHED)
        if standard and not usable:
            raise RowRejected(field_text, _("the address %(text)s is retired") % {"text": text})
        grid_id = (grid_hint() if grid_hint else None) or self._grid_of_community(parsed.community_id)
        if grid_id is None:
            raise RowRejected(
                field_text,
                _(
                    "unknown address %(text)s: it is no standard address and names no village or "
                    "community; write the village or community, or give the longitude and latitude "
                    "or the grid code"
                )
                % {"text": text},
            )
        for item in found:
            if item[6] == AddressStatus.PENDING and item[2] is None and item[1] == grid_id:
                return Placement(item[0], grid_id, PENDING)
        pending = self.new_pending.get((grid_id, parsed.key))
        if pending is None:
            pending = self.new_pending[(grid_id, parsed.key)] = self._pending(text, parsed.key, grid_id)
        if pending.lon is None:
            point = point_of(row)
            if point is not None:
                pending.lon, pending.lat = point
        return Placement(None, grid_id, PENDING, pending)

    def _grid_of_community(self, community_id: int | None) -> int | None:
        """The grid a pending address named only by its village or community goes to: the first
        of the community's grids in the actor's scope (by code), else its first."""
        if community_id is None:
            return None
        if community_id not in self._community_grid:
            ctx = self.ctx
            grids = sorted(
                (g.code, pk)
                for pk, g in ctx.grids.items()
                if g.community_id == community_id and pk in ctx.active_grids
            )
            mine = [pk for _code, pk in grids if ctx.in_scope(ctx.grid_path[pk])]
            self._community_grid[community_id] = (mine or [pk for _code, pk in grids] or [None])[0]
        return self._community_grid[community_id]

    def _community(self, pk: int) -> Division:
        if pk not in self._communities:
            self._communities[pk] = Division.objects.select_related("parent").get(pk=pk)
        return self._communities[pk]

    def _pending(self, text: str, key: str, grid_id: int) -> Address:
        """A new pending address (unsaved; its code is given when the chunk is written)."""
        ctx = self.ctx
        community = self._community(ctx.grid_community[grid_id])
        obj = Address(
            created_at=ctx.now,
            updated_at=ctx.now,
            collected_by_id=ctx.actor.pk,
            collected_at=ctx.today,
            status=AddressStatus.PENDING,
            grid=ctx.grids[grid_id],
            community=community,
            source_text=text.strip()[:400],
            **addressing.address_parts(key, community.name),
        )
        obj.element_type = rules.element_type(obj)
        obj.refresh_derived()
        return obj

    def write_pending(self, placed: list[tuple[object, str, Placement]]) -> list[Address]:
        """Write the new pending addresses the records of a chunk go to, and point the records
        at them (``placed``: record, attname of its address, placement). Returns those written
        (the caller forgets their ids should the chunk's write fail)."""
        new: dict[int, Address] = {}
        for _obj, _attname, placement in placed:
            if placement.new is not None and placement.new.pk is None:
                new[id(placement.new)] = placement.new
        made = list(new.values())
        if made:
            sequences: dict[int, int] = {}
            for address in made:
                grid = self.ctx.grids[address.grid_id]
                if address.grid_id not in sequences:
                    sequences[address.grid_id] = int(rules.next_address_code(grid)[len(grid.code) :])
                address.code = f"{grid.code}{sequences[address.grid_id]:06d}"
                sequences[address.grid_id] += 1
            Address.objects.unscoped(reason=UNSCOPED_IMPORT).bulk_create(made)
            ctx = self.ctx
            history.write_history(
                history.creation_row(
                    a, actor=ctx.actor, source=ctx.source, batch=ctx.batch, created_at=ctx.now
                )
                for a in made
            )
        for obj, attname, placement in placed:
            if placement.new is not None:
                setattr(obj, attname, placement.new.pk)
        return made


class AddressesImporter(Importer):
    """Standard addresses, keyed by their code; rows without a code are matched by their full
    text (within their grid's community), and new ones get a code generated from their grid."""

    kind = ADDRESSES
    model = Address
    key_field = "code"

    def __init__(self, ctx, header):
        super().__init__(ctx, header)
        self._grids: dict[int, int] = {}  # row index → grid id (by grid code or point)
        self._texts: dict[int, str] = {}  # row index → full text (rows without a code)
        self._by_text: dict[str, list] = {}
        self._communities: dict[int, Division] = {}
        self._grid_codes: dict[int, str] = {}
        self._next_code: dict[int, int] = {}

    def key(self, row: Row):
        code = row.data.get("code")
        if code:
            return code.strip()
        parts = tuple(address_text(row.data.get(n, "")) for n in _PARTS)
        if not any(parts[:2]):
            raise RowRejected("street", _("Give the street (or lane, or village group) or the compound."))
        place = row.data.get("grid") or (row.data.get("lon"), row.data.get("lat"))
        return ("text", place, *parts)

    def key_column(self, row: Row) -> str:
        return "code" if row.data.get("code") else "street"

    def _community(self, pk: int) -> Division:
        if pk not in self._communities:
            self._communities[pk] = Division.objects.select_related("parent").get(pk=pk)
        return self._communities[pk]

    def prepare(self, rows):
        points, self._grids, self._texts = {}, {}, {}
        for index, row in enumerate(rows):
            if row.data.get("grid"):
                pk = self.ctx.grid_by_code.get(row.data["grid"].strip())
                if pk is not None:
                    self._grids[index] = pk
                continue
            try:
                point = point_of(row)
            except RowRejected:
                continue  # build() reports it
            if point is not None:
                points[index] = point
        self._grids.update(locate_points(rows, points))
        for index, row in enumerate(rows):
            grid_id = self._grids.get(index)
            if isinstance(row.key, tuple) and grid_id is not None:
                obj = self.new()
                _apply_parts(obj, row)
                obj.community = self._community(self.ctx.grid_community[grid_id])
                self._texts[index] = obj.compose_full_text()

    def existing(self, keys):
        found = super().existing([k for k in keys if isinstance(k, str)])
        texts = sorted(set(self._texts.values()))
        qs = Address.objects.unscoped(reason=UNSCOPED_IMPORT)
        names = self.attnames
        self._by_text = {}
        for i in range(0, len(texts), IN_CHUNK):
            # a pending address reading the same is not this one: the officer merges it into it
            part = texts[i : i + IN_CHUNK]
            for stored in qs.filter(full_text__in=part, status=AddressStatus.STANDARD).values(*names):
                self._by_text.setdefault(stored["full_text"], []).append(stored)
        return found

    def stored_for(self, row, index, stored):
        if isinstance(row.key, str):
            return stored.get(row.key)
        grid_id = self._grids.get(index)
        matches = [m for m in self._by_text.get(self._texts.get(index, ""), []) if m["grid_id"] == grid_id]
        if len(matches) > 1:
            raise RowRejected(
                "street",
                _("%(n)d addresses read %(text)s: give the address code")
                % {"n": len(matches), "text": self._texts[index]},
            )
        return matches[0] if matches else None

    def duplicate(self, row, first_line):
        if row.data.get("code"):
            return super().duplicate(row, first_line)
        return RowRejected("street", _("the same address is on line %(line)d already") % {"line": first_line})

    def build(self, row, index, stored):
        obj = self.record(stored)
        if isinstance(row.key, str):
            obj.code = row.key
        _apply_parts(obj, row)
        errors = rules.Errors()
        if "element_type" in row.data:
            try:
                obj.element_type = rules.choice(
                    row.data["element_type"], AddressElement, rules.ADDRESS_ELEMENTS
                )
            except InvalidValue as exc:
                errors.add("element_type", exc.reason)
        elif stored is None:
            obj.element_type = rules.element_type(obj)
        point = point_of(row)
        if point is not None:
            obj.lon, obj.lat = point
        if row.data.get("grid"):
            grid_id = self.ctx.grid_of_code(row.data["grid"])
        elif point is not None:
            grid_id = self._grids.get(index)
            if grid_id is None:
                raise RowRejected(
                    "lon",
                    _("the point (%(lon)s, %(lat)s) lies in no grid") % {"lon": point[0], "lat": point[1]},
                )
        else:
            grid_id = obj.grid_id
        if grid_id is None:
            raise RowRejected("grid", _("Give the grid, or a point inside it."))
        if stored is not None and grid_id != stored["grid_id"]:
            raise RowRejected(
                "grid",
                _("the address lies in another grid: move it on its page, which moves what lives there"),
            )
        self.ctx.check_scope(grid_id, "grid" if row.data.get("grid") else "lon")
        obj.grid_id = grid_id
        community = self._community(self.ctx.grid_community[grid_id])
        given = row.data.get("community")
        if given and given.strip() not in (community.code, community.name):
            errors.add("community", _("The address's grid lies in %(name)s.") % {"name": community})
        obj.community = community
        if not (obj.street or obj.compound):
            errors.add("street", _("Give the street (or lane, or village group) or the compound."))
        errors.raise_if_any()
        obj.grid = self.ctx.grids[grid_id]
        obj.refresh_derived()
        if not obj.code:
            obj.code = self._new_code(grid_id)
        return obj

    def _new_code(self, grid_id: int) -> str:
        """The grid code and the next free 6-digit sequence (``rules.next_address_code`` for the
        first one of the chunk, counted on from there)."""
        if grid_id not in self._next_code:
            grid = self.ctx.grids[grid_id]
            first = rules.next_address_code(grid)
            self._grid_codes[grid_id] = grid.code
            self._next_code[grid_id] = int(first[len(grid.code) :])
        seq = self._next_code[grid_id]
        self._next_code[grid_id] = seq + 1
        return f"{self._grid_codes[grid_id]}{seq:06d}"

    def plan(self, rows, reject):
        self._next_code = {}  # sequences are read afresh inside each chunk's transaction
        return super().plan(rows, reject)


_PARTS = ("street", "compound", "door_plate", "building", "unit", "room")


def _apply_parts(obj, row: Row) -> None:
    for name in _PARTS:
        if name in row.data:
            setattr(obj, name, row.data[name].strip())


class HousesImporter(Importer):
    """Houses, one per standard address: keyed by the address (its code or its full text)."""

    kind = HOUSES
    model = House
    key_field = "address_id"

    def __init__(self, ctx, header):
        super().__init__(ctx, header)
        self.addresses = AddressBook(ctx)
        self.people: dict[str, tuple] = {}
        self._address_of: dict[int, tuple | RowRejected] = {}

    def key(self, row: Row):
        code = row.data.get("address_code")
        if code:
            return ("code", code.strip())
        return ("text", self.addresses.names.parse(row.data.get("address_text", "")).key)

    def key_column(self, row: Row) -> str:
        return "address_code" if row.data.get("address_code") else "address_text"

    def duplicate(self, row, first_line):
        return RowRejected(
            self.key_column(row), _("the same address is on line %(line)d already") % {"line": first_line}
        )

    def prepare(self, rows):
        self.addresses.load(
            [r.data.get("address_code") for r in rows], [r.data.get("address_text") for r in rows]
        )
        points = {}
        for index, row in enumerate(rows):
            if not row.data.get("address_code"):
                with contextlib.suppress(RowRejected):  # placing the row reports it
                    point = point_of(row)
                    if point is not None:
                        points[index] = point
        located = locate_points(rows, points)
        self._address_of = {}
        for index, row in enumerate(rows):
            try:
                self._address_of[index] = self.addresses.place(
                    row,
                    field_code="address_code",
                    field_text="address_text",
                    grid_hint=lambda row=row, index=index: grid_hint(self.ctx, row, located.get(index)),
                )
            except RowRejected as exc:
                self._address_of[index] = exc
        self.people = people_by_number(
            self.ctx, [r.data.get(n) for r in rows for n in ("owner_id_number", "landlord_id_number")]
        )

    def existing(self, keys):
        ids = [v.address_id for v in self._address_of.values() if isinstance(v, Placement) and v.address_id]
        found = {}
        names = self.attnames
        qs = House.objects.unscoped(reason=UNSCOPED_IMPORT)
        for i in range(0, len(ids), IN_CHUNK):
            for stored in qs.filter(address_id__in=ids[i : i + IN_CHUNK]).values(*names):
                found[stored["address_id"]] = stored
        return found

    def stored_for(self, row, index, stored):
        found = self._address_of[index]
        if isinstance(found, RowRejected):
            raise found
        return stored.get(found.address_id) if found.address_id else None

    def identity(self, obj):
        # a new pending address has no id yet: its house is the one the address object names
        return obj.address_id or ("pending", id(obj.import_placement[1].new))

    def build(self, row, index, stored):
        placement = self._address_of[index]
        grid_id = placement.grid_id
        self.ctx.check_scope(grid_id, self.key_column(row))
        obj = self.record(stored)
        obj.address_id, obj.grid_id = placement.address_id, grid_id
        obj.import_placement = ("address_id", placement)
        obj.scope_path = self.ctx.grid_path[grid_id]
        errors = rules.Errors()
        converters = {
            "use": lambda v: rules.choice(v, HouseUse, rules.HOUSE_USES),
            "ownership": lambda v: rules.choice(v, HouseOwnership, rules.HOUSE_OWNERSHIPS),
            "area_m2": rules.area,
            "rooms": rules.rooms,
        }
        for name, convert in converters.items():
            if name in row.data:
                try:
                    setattr(obj, name, convert(row.data[name]))
                except InvalidValue as exc:
                    errors.add(name, exc.reason)
        if "is_rented" in row.data:
            flag = rules.boolean(row.data["is_rented"])
            if flag is None:
                errors.add("is_rented", _("write 是 or 否"))
            else:
                obj.is_rented = flag
        for name, attname in (("owner_id_number", "owner_id"), ("landlord_id_number", "landlord_id")):
            if name in row.data:
                try:
                    setattr(obj, attname, person_id(self.ctx, self.people, row.data[name]))
                except InvalidValue as exc:
                    errors.add(name, exc.reason)
        # as record_house: a house with a landlord is rented unless the row says otherwise
        if obj.landlord_id and not obj.is_rented and "is_rented" not in row.data:
            obj.is_rented = True
        errors.raise_if_any()
        return obj


def people_by_number(ctx, raw_numbers) -> dict[str, tuple]:
    """ID number → (person id, scope path) of the current people the rows name."""
    numbers = set()
    for raw in raw_numbers:
        if raw:
            with contextlib.suppress(InvalidValue):  # the row's own check names a bad number
                numbers.add(parse_id_number(raw, today=ctx.today).number)
    numbers = sorted(numbers)
    found = {}
    qs = Person.objects.unscoped(reason=UNSCOPED_IMPORT).filter(retired_at__isnull=True)
    for i in range(0, len(numbers), IN_CHUNK):
        for number, pk, path in qs.filter(id_number__in=numbers[i : i + IN_CHUNK]).values_list(
            "id_number", "id", "scope_path"
        ):
            found[number] = (pk, path)
    return found


def person_id(ctx, people: dict, raw: str) -> int:
    """The id of the person an ID-number cell names, who must be in the actor's area (as the
    actions' references are)."""
    number = parse_id_number(raw, today=ctx.today).number
    found = people.get(number)
    if found is None or not ctx.in_scope(found[1]):
        raise InvalidValue(_("no person with this ID number in your area: import people first"), "unknown")
    return found[0]
