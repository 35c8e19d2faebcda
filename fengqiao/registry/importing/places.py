"""Importing standard addresses and houses, and finding the addresses other rows refer to."""

import re
import unicodedata

from django.utils.translation import gettext as _

from fengqiao.geo.models import Division, Grid
from fengqiao.registry import actions
from fengqiao.registry.choices import AddressElement, HouseOwnership, HouseUse
from fengqiao.registry.importing import values
from fengqiao.registry.importing.base import (
    IN_CHUNK,
    UNSCOPED_IMPORT,
    Importer,
    Row,
    RowRejected,
    draft,
    locate_points,
    point_of,
)
from fengqiao.registry.importing.columns import ADDRESSES, HOUSES
from fengqiao.registry.models import Address, House, Person
from fengqiao.registry.validators import InvalidValue, parse_id_number

_BLANKS = re.compile(r"\s+")
_CACHE_LIMIT = 400_000


def address_text(value: str) -> str:
    """An address as typed, reduced the way the registry spells ``full_text``: no blanks."""
    return _BLANKS.sub("", unicodedata.normalize("NFKC", value or ""))


class AddressBook:
    """Addresses by code and by full text, looked up a chunk at a time and remembered for the
    rest of the import. Spreadsheets often prefix the address with the province, city and county
    (宁夏回族自治区吴忠市利通区金积镇…), which ``full_text`` starts below: those prefixes are
    tried off."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.by_code: dict[str, tuple | None] = {}
        self.by_text: dict[str, list[tuple]] = {}
        names = Division.objects.filter(level__in=["province", "city", "county"]).values_list("name", flat=True)
        self.prefixes = sorted({n for n in names if n}, key=len, reverse=True)

    def _variants(self, text: str) -> list[str]:
        out = [text]
        stripped = text
        changed = True
        while changed:
            changed = False
            for prefix in self.prefixes:
                if stripped.startswith(prefix) and len(stripped) > len(prefix):
                    stripped = stripped[len(prefix) :]
                    changed = True
                    break
        if stripped != text:
            out.append(stripped)
        return out

    def load(self, codes, texts) -> None:
        if len(self.by_code) + len(self.by_text) > _CACHE_LIMIT:
            self.by_code.clear()
            self.by_text.clear()
        qs = Address.objects.unscoped(reason=UNSCOPED_IMPORT)
        fields = ("id", "grid_id", "retired_at", "in_use", "full_text", "code")
        wanted = sorted({c.strip() for c in codes if c} - set(self.by_code))
        for i in range(0, len(wanted), IN_CHUNK):
            part = wanted[i : i + IN_CHUNK]
            for code in part:
                self.by_code[code] = None
            for item in qs.filter(code__in=part).values_list(*fields):
                self.by_code[item[5]] = item
        wanted_texts = set()
        for t in texts:
            if t:
                wanted_texts.update(self._variants(address_text(t)))
        wanted_texts = sorted(wanted_texts - set(self.by_text))
        for i in range(0, len(wanted_texts), IN_CHUNK):
            part = wanted_texts[i : i + IN_CHUNK]
            for t in part:
                self.by_text[t] = []
            for item in qs.filter(full_text__in=part).values_list(*fields):
                self.by_text[item[4]].append(item)

    def find(self, code: str | None, text: str | None, *, field_code="address_code", field_text="current_address"):
        """(address id, grid id) of the address a row names; RowRejected when there is none, more
        than one, or it is retired."""
        if code:
            item = self.by_code.get(code.strip())
            if item is None:
                raise RowRejected(field_code, _("unknown address code %(code)s") % {"code": code})
            field_name, shown = field_code, code
        else:
            matches = []
            for variant in self._variants(address_text(text)):
                matches = self.by_text.get(variant) or []
                if matches:
                    break
            if not matches:
                raise RowRejected(
                    field_text,
                    _("unknown address %(text)s: record it first (import addresses) or give its code")
                    % {"text": text},
                )
            if len(matches) > 1:
                raise RowRejected(
                    field_text,
                    _("%(n)d addresses read %(text)s: give the address code") % {"n": len(matches), "text": text},
                )
            item = matches[0]
            field_name, shown = field_text, text
        if item[2] is not None or not item[3]:
            raise RowRejected(field_name, _("the address %(text)s is retired") % {"text": shown})
        return item[0], item[1]


class AddressesImporter(Importer):
    """Standard addresses, keyed by their code; rows without a code are matched by their full
    text within their community, and new ones get a code generated from their grid."""

    kind = ADDRESSES
    model = Address
    key_field = "code"

    def __init__(self, ctx, header):
        super().__init__(ctx, header)
        self._grids: dict[int, int] = {}  # row index → grid id
        self._texts: dict[int, str] = {}  # row index → full text (rows without a code)
        self._communities: dict[int, Division] = {}
        self._next_code: dict[int, int] = {}

    def key(self, row: Row):
        code = row.data.get("code")
        if code:
            return code.strip()
        parts = tuple(address_text(row.data.get(n, "")) for n in ("street", "compound", "door_plate", "building", "unit", "room"))
        if not any(parts[:2]):
            raise RowRejected("street", _("Give the street (or lane, or village group) or the compound."))
        place = row.data.get("grid") or row.data.get("community") or (row.data.get("lon"), row.data.get("lat"))
        return ("text", place, *parts)

    def _community(self, pk: int) -> Division:
        if pk not in self._communities:
            self._communities[pk] = Division.objects.select_related("parent").get(pk=pk)
        return self._communities[pk]

    def prepare(self, rows):
        points, self._grids, self._texts = {}, {}, {}
        for index, row in enumerate(rows):
            if row.data.get("grid"):
                try:
                    self._grids[index] = self.ctx.grid_of_code(row.data["grid"])
                except RowRejected:
                    pass  # build() reports it
                continue
            try:
                point = point_of(row)
            except RowRejected:
                continue
            if point is not None:
                points[index] = point
        self._grids.update(locate_points(rows, points))
        for index, row in enumerate(rows):
            grid_id = self._grids.get(index)
            if isinstance(row.key, tuple) and grid_id is not None:
                obj = draft(Address, self.defaults)
                self._apply_parts(obj, row)
                obj.community = self._community(self.ctx.grid_community[grid_id])
                self._texts[index] = obj.compose_full_text()

    def existing(self, keys):
        codes = [k for k in keys if isinstance(k, str)]
        found = super().existing(codes)
        texts = sorted(set(self._texts.values()))
        qs = Address.objects.unscoped(reason=UNSCOPED_IMPORT)
        names = ["id", *self.attnames()]
        by_text: dict[str, list] = {}
        for i in range(0, len(texts), IN_CHUNK):
            for values_ in qs.filter(full_text__in=texts[i : i + IN_CHUNK]).values(*names):
                by_text.setdefault(values_["full_text"], []).append(values_)
        self._by_text = by_text
        return found

    def plan(self, rows, reject):
        self._rows_index = {id(r): i for i, r in enumerate(rows)}
        return super().plan(rows, reject)

    def _stored_by_text(self, index: int):
        matches = self._by_text.get(self._texts.get(index, ""), [])
        return matches[0] if len(matches) == 1 else None

    @staticmethod
    def _apply_parts(obj, row: Row) -> None:
        for name in ("street", "compound", "door_plate", "building", "unit", "room"):
            if name in row.data:
                setattr(obj, name, row.data[name].strip())

    def build(self, row, index, stored):
        if stored is None and isinstance(row.key, tuple):
            stored = self._stored_by_text(index)
            if stored is not None:
                if not self.ctx.in_scope(stored["scope_path"]):
                    raise RowRejected("street", _("this record exists outside your scope: its grid must change it"))
                if stored["retired_at"] is not None:
                    raise RowRejected("street", _("this record is retired and cannot be changed"))
        obj = draft(Address, stored if stored is not None else self.defaults)
        self._apply_parts(obj, row)
        errors = actions._Errors()
        if "element_type" in row.data:
            try:
                obj.element_type = actions._choice(
                    values.word(row.data["element_type"], values.ADDRESS_ELEMENTS, AddressElement), AddressElement
                )
            except InvalidValue as exc:
                errors.add("element_type", exc.reason)
        elif stored is None:
            obj.element_type = actions._element_type(obj)
        point = point_of(row)
        if point is not None:
            obj.lon, obj.lat = point
        grid_id = self._grids.get(index)
        if row.data.get("grid"):
            grid_id = self.ctx.grid_of_code(row.data["grid"])
        elif point is not None and grid_id is None:
            raise RowRejected("lon", _("the point (%(lon)s, %(lat)s) lies in no grid") % dict(lon=point[0], lat=point[1]))
        if grid_id is None:
            grid_id = obj.grid_id
        if grid_id is None:
            raise RowRejected("grid", _("Give the grid, or a point inside it."))
        if stored is not None and grid_id != stored["grid_id"]:
            raise RowRejected(
                "grid", _("the address lies in another grid: move it on its page, which moves what lives there")
            )
        obj.grid_id = grid_id
        community = self._community(self.ctx.grid_community[grid_id])
        given = row.data.get("community")
        if given and given.strip() not in (community.code, community.name):
            errors.add("community", _("The address's grid lies in %(name)s.") % {"name": community})
        obj.community = community
        if not (obj.street or obj.compound):
            errors.add("street", _("Give the street (or lane, or village group) or the compound."))
        errors.raise_if_any()
        self.ctx.check_scope(grid_id, "grid")
        obj.scope_path = self.ctx.grid_path[grid_id]
        obj.full_text = obj.compose_full_text()
        if not obj.code:
            obj.code = self._new_code(grid_id)
        obj.in_use = True if stored is None else obj.in_use
        return obj

    def _new_code(self, grid_id: int) -> str:
        grid = Grid.objects.unscoped(reason=UNSCOPED_IMPORT).get(pk=grid_id)
        if grid_id not in self._next_code:
            first = actions._next_address_code(grid)
            self._next_code[grid_id] = int(first[len(grid.code) :])
        seq = self._next_code[grid_id]
        self._next_code[grid_id] = seq + 1
        return f"{grid.code}{seq:06d}"

    def write(self, planned):
        try:
            super().write(planned)
        except BaseException:
            self._next_code.clear()  # codes handed out to rows that were not written
            raise

    def ids_of(self, keys):
        return super().ids_of(keys)


class HousesImporter(Importer):
    """Houses, one per standard address: keyed by the address (code or full text)."""

    kind = HOUSES
    model = House
    key_field = "address_id"

    def __init__(self, ctx, header):
        super().__init__(ctx, header)
        self.addresses = AddressBook(ctx)
        self.people: dict[str, tuple] = {}

    def key(self, row: Row):
        code = row.data.get("address_code")
        if code:
            return ("code", code.strip())
        return ("text", address_text(row.data.get("address_text", "")))

    def prepare(self, rows):
        self.addresses.load([r.data.get("address_code") for r in rows], [r.data.get("address_text") for r in rows])
        self._address_of = {}
        for row in rows:
            try:
                self._address_of[id(row)] = self.addresses.find(
                    row.data.get("address_code"), row.data.get("address_text"), field_text="address_text"
                )
            except RowRejected as exc:
                self._address_of[id(row)] = exc
        numbers = set()
        for row in rows:
            for name in ("owner_id_number", "landlord_id_number"):
                raw = row.data.get(name)
                if raw:
                    try:
                        numbers.add(parse_id_number(raw, today=self.ctx.today).number)
                    except InvalidValue:
                        pass
        self.people = _people_by_number(numbers)

    def existing(self, keys):
        ids = [v[0] for v in self._address_of.values() if isinstance(v, tuple)]
        found = {}
        names = ["id", *self.attnames()]
        qs = House.objects.unscoped(reason=UNSCOPED_IMPORT)
        for i in range(0, len(ids), IN_CHUNK):
            for values_ in qs.filter(address_id__in=ids[i : i + IN_CHUNK]).values(*names):
                found[values_["address_id"]] = values_
        self._stored = found
        return {}

    def plan(self, rows, reject):
        planned = super().plan(rows, reject)
        return planned

    def build(self, row, index, stored):
        found = self._address_of[id(row)]
        if isinstance(found, RowRejected):
            raise found
        address_id, grid_id = found
        stored = self._stored.get(address_id)
        if stored is not None:
            if not self.ctx.in_scope(stored["scope_path"]):
                raise RowRejected("address_code", _("this record exists outside your scope: its grid must change it"))
            if stored["retired_at"] is not None:
                raise RowRejected("address_code", _("this record is retired and cannot be changed"))
        field_name = "address_code" if row.data.get("address_code") else "address_text"
        self.ctx.check_scope(grid_id, field_name)
        obj = draft(House, stored if stored is not None else self.defaults)
        obj.address_id, obj.grid_id = address_id, grid_id
        obj.scope_path = self.ctx.grid_path[grid_id]
        errors = actions._Errors()
        converters = {
            "use": lambda v: actions._choice(values.word(v, values.HOUSE_USES, HouseUse), HouseUse),
            "ownership": lambda v: actions._choice(values.word(v, values.HOUSE_OWNERSHIPS, HouseOwnership), HouseOwnership),
            "area_m2": actions._decimal,
            "rooms": actions._rooms,
        }
        for name, convert in converters.items():
            if name in row.data:
                try:
                    setattr(obj, name, convert(row.data[name]))
                except InvalidValue as exc:
                    errors.add(name, exc.reason)
        if "is_rented" in row.data:
            flag = values.boolean(row.data["is_rented"])
            if flag is None:
                errors.add("is_rented", _("write 是 or 否"))
            else:
                obj.is_rented = flag
        for name, attname in (("owner_id_number", "owner_id"), ("landlord_id_number", "landlord_id")):
            if name in row.data:
                try:
                    setattr(obj, attname, self._person(row.data[name]))
                except InvalidValue as exc:
                    errors.add(name, exc.reason)
        if obj.landlord_id and not obj.is_rented and "is_rented" not in row.data:
            obj.is_rented = True
        errors.raise_if_any()
        return obj

    def _person(self, raw: str) -> int:
        number = parse_id_number(raw, today=self.ctx.today).number
        found = self.people.get(number)
        if found is None or not self.ctx.in_scope(found[1]):
            raise InvalidValue(_("no person with this ID number in your area: import people first"), "unknown")
        return found[0]

    def plan_key(self, obj):
        return obj.address_id

    def ids_of(self, keys):
        return super().ids_of(keys)


def _people_by_number(numbers) -> dict[str, tuple]:
    """ID number → (person id, scope path) of current people."""
    numbers = sorted(numbers)
    found = {}
    qs = Person.objects.unscoped(reason=UNSCOPED_IMPORT).filter(retired_at__isnull=True)
    for i in range(0, len(numbers), IN_CHUNK):
        for number, pk, path in qs.filter(id_number__in=numbers[i : i + IN_CHUNK]).values_list(
            "id_number", "id", "scope_path"
        ):
            found[number] = (pk, path)
    return found
