"""Importing people (实有人口): keyed by ID number, placed by their current address (or, without
one, their point or grid), validated by the same rules as ``actions.record_person``.

People come by the hundred thousand, so each row is first cleaned on its own — the ID number,
the field rules of ``record_person``, the pinyin keys — by :class:`PersonCleaner`, and placed by
the address book when it knows the address. That needs no database, so for a big file it runs in
a worker process, which also reads the file, next to the one writing (see ``runner``). The writer
then only looks up which people are on file, places the rows left unplaced and writes them, their
creation history made by the database from the rows written. A row whose person is on file
already goes the general way instead: merged over the stored record, validated again, compared.
"""

import datetime as dt
import re
import unicodedata
from operator import mul

from django.db import connection
from django.utils.translation import gettext as _
from pypinyin.seg import mmseg

from fengqiao.registry import actions, history, text
from fengqiao.registry.choices import ResidentType, Sex
from fengqiao.registry.importing import values
from fengqiao.registry.importing.base import (
    Importer,
    Planned,
    Row,
    RowRejected,
    draft,
    history_json,
    locate_points,
    point_of,
    row_data,
)
from fengqiao.registry.importing.columns import PEOPLE
from fengqiao.registry.importing.places import AddressBook
from fengqiao.registry.models import Person
from fengqiao.registry.validators import (
    EARLIEST_BIRTH_YEAR,
    ID_CHECK_CHARS,
    ID_WEIGHTS,
    InvalidValue,
    parse_id_number,
)

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
_DATA_FIELDS = tuple(f for f in actions.PERSON_FIELDS if f not in ("current_address", "grid", "id_number"))
_DATA_SET = frozenset(_DATA_FIELDS)
# An ID number as parse_id_number would give it back: 17 digits and the check character.
_CANONICAL = re.compile(r"^\d{17}[\dX]$", re.ASCII)
# Columns the writer fills in: where the person lives.
_PLACEMENT = ("grid_id", "current_address_id", "scope_path")

# The quick path of PersonCleaner.clean: the fields it cleans itself. Plain text is stripped;
# the others have their rule in PersonCleaner.quick. A row with any other field in _DATA_SET goes
# the general way.
_PLAIN_FIELDS = frozenset(
    {
        "former_name",
        "ethnicity",
        "native_place",
        "marital_status",
        "education",
        "occupation",
        "workplace",
        "hukou_address",
        "reason_for_coming",
    }
)
_QUICK_FIELDS = _PLAIN_FIELDS | {"id_number", "name", "sex", "birth_date", "phone", "resident_type"}
_QUICK_DATES = frozenset({"collected_at", "registered_on"})
_SLOW_FIELDS = _DATA_SET - _QUICK_FIELDS - _QUICK_DATES
# The check character of an ID number from the sum of weight × character code of its first 17
# characters: the codes of the digits are 48 more than the digits.
_ID_CODE_OFFSET = 48 * sum(ID_WEIGHTS)
_SEX_OF_WORD = {**{k: str(v) for k, v in actions._SEX_WORDS.items()}, **{v: v for v in Sex.values}}
_MISSING = object()
_BAD = object()

# What PersonCleaner.clean gives back, by its first item.
BAD_KEY = "bad_key"  # (BAD_KEY, field, reason)
BAD = "bad"  # (BAD, key, field, reason): the ID number is good, the row is not (on its own)
GOOD = "good"  # (GOOD, key, params): the INSERT's parameters, placement left empty


class NameKeys:
    """``text.pinyin_keys``, memoised by the parts of a name rather than by the whole.

    A city has a hundred thousand distinct names but only a few thousand distinct given names,
    and converting a name to pinyin costs more than the rest of cleaning its row. pypinyin cuts a
    text into words by forward maximum matching over its phrase dictionary, so when the first
    two characters start no phrase, the first character is a word of its own and the text's
    pinyin is the first character's followed by the rest's (a test holds this to
    ``text.pinyin_keys`` over many names). Anything else is converted whole."""

    def __init__(self):
        self._parts: dict[str, tuple[str, str]] = {}
        prefixes = getattr(mmseg.seg, "_prefix_set", None)
        self._phrase_start = prefixes.__contains__ if prefixes is not None else None

    def _part(self, part: str) -> tuple[str, str]:
        found = self._parts.get(part)
        if found is None:
            syllables = text._tokens(part)
            found = ("".join(syllables), "".join(s[0] for s in syllables if s))
            if len(self._parts) < 100_000:
                self._parts[part] = found
        return found

    def keys(self, name: str) -> tuple[str, str]:
        if (
            len(name) < 2
            or not unicodedata.is_normalized("NFKC", name)
            or name != name.strip()
            or name[:2] in text.COMPOUND_SURNAMES
        ):
            return text.pinyin_keys(name)
        reading = text.SURNAME_READINGS.get(name[0])
        if reading is not None:
            full, initials = self._part(name[1:])
            return reading + full, reading[0] + initials
        if self._phrase_start is None or not text._HAN.match(name[0]) or self._phrase_start(name[:2]):
            return text.pinyin_keys(name)
        first, rest = self._part(name[0]), self._part(name[1:])
        return first[0] + rest[0], first[1] + rest[1]


class PersonCleaner:
    """Cleans one row on its own, as a new person: no database, so it can run in a worker.

    ``params`` are the row's values for the INSERT (placement left empty); the creation history
    is made by the database from the row once written (``CreationHistory.write_selected``)."""

    def __init__(self, *, today, converters, defaults: dict, columns: list[str], preps, fixed: dict):
        self.today = today
        self.converters = converters
        self.defaults = defaults
        self.columns = columns
        self.preps = preps  # (column index, function giving the database form)
        self.fixed = list(fixed.items())  # (column index, database value) the same for every row
        self.pinyin: dict[str, tuple[str, str]] = {}
        self._names = NameKeys()
        # The quick path fills a copy of the default row's parameters.
        self._at = {name: i for i, name in enumerate(columns)}
        self._template = self._insert_params(defaults)
        prep_of = dict(preps)
        self._date_prep = prep_of.get(self._at["birth_date"]) or (lambda v: v)
        # Memos of the quick path (a city has a few tens of thousands of distinct dates), with
        # each date's database form.
        self._born: dict[str, tuple | None] = {}
        self._dates: dict[str, object] = {}
        self._resident_types: dict[str, object] = {}

    def key(self, data: dict):
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
            return parse_id_number(raw, today=self.today).number
        except InvalidValue as exc:
            raise RowRejected("id_number", exc.reason) from None

    def rule_data(self, data: dict, key) -> dict:
        """The row's values as ``record_person`` takes them."""
        out = {name: value for name, value in data.items() if name in _DATA_SET}
        for name in _DATE_FIELDS:
            if name in out:
                out[name] = values.iso_date(out[name])
        if "resident_type" in out:
            out["resident_type"] = values.word(out["resident_type"], values.RESIDENT_TYPES, ResidentType)
        if isinstance(key, str):
            out["id_number"] = key
        return out

    def apply(self, obj, data: dict) -> None:
        """Set the row's values on a person and check them with ``record_person``'s rules."""
        errors = actions._Errors()
        actions._clean_fields(
            obj, {k: v for k, v in data.items() if k != "id_number"}, self.converters, errors
        )
        if "id_number" in data:
            obj.id_number = data["id_number"]
        actions._check_person(obj, data, errors)
        errors.raise_if_any()
        obj.name_pinyin, obj.name_initials = self.pinyin_keys(obj.name)

    def pinyin_keys(self, name: str) -> tuple[str, str]:
        keys = self.pinyin.get(name)
        if keys is None:
            full, initials = self._names.keys(name)
            keys = (full[:255], initials[:64])
            if len(self.pinyin) < 200_000:
                self.pinyin[name] = keys
        return keys

    def _birth(self, digits: str) -> tuple | None:
        """The birth date in an ID number's digits, its database form and its ISO text; None when
        it is no possible one."""
        found = self._born.get(digits, _MISSING)
        if found is _MISSING:
            try:
                born = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
            except ValueError:
                born = None
            if born is not None and (born.year < EARLIEST_BIRTH_YEAR or born > self.today):
                born = None
            found = self._born[digits] = (
                None if born is None else (born, self._date_prep(born), born.isoformat())
            )
        return found

    def _date(self, value: str):
        """A date cell as the general path makes it (``iso_date``, then the action's date rule):
        (date, database form), None for an empty one, _BAD for one the rule refuses."""
        found = self._dates.get(value, _MISSING)
        if found is _MISSING:
            try:
                date = actions._date(values.iso_date(value))
                found = None if date is None else (date, self._date_prep(date))
            except InvalidValue:
                found = _BAD
            self._dates[value] = found
        return found

    def _resident_type(self, value: str):
        found = self._resident_types.get(value, _MISSING)
        if found is _MISSING:
            try:
                found = self.converters["resident_type"](
                    values.word(value, values.RESIDENT_TYPES, ResidentType)
                )
            except InvalidValue:
                found = _BAD
            self._resident_types[value] = found
        return found

    def quick(self, data: dict) -> tuple | None:
        """What ``clean`` gives for the usual good row — a new person, an ID number written the
        usual way, the common fields —, found with the same rules applied directly and memoised
        look-ups; None for any other row, which ``clean`` then takes the general way (with the
        rules' own messages). A test holds the two paths to the same results."""
        raw = data.get("id_number")
        if raw is None or not data.keys().isdisjoint(_SLOW_FIELDS) or _CANONICAL.match(raw) is None:
            return None
        born = self._birth(raw[6:14])
        if (
            born is None
            or ID_CHECK_CHARS[(sum(map(mul, raw[:17].encode(), ID_WEIGHTS)) - _ID_CODE_OFFSET) % 11]
            != raw[17]
        ):
            return None
        sex = "M" if raw[16] in "13579" else "F"
        at = self._at
        params = self._template.copy()
        name = None
        for field, value in data.items():
            if field in _PLAIN_FIELDS:
                params[at[field]] = value.strip()
            elif field == "name":
                name = value.strip()
                if not name:
                    return None
            elif field == "sex":
                value = value.strip()
                if value and _SEX_OF_WORD.get(value if value in _SEX_OF_WORD else value.lower()) != sex:
                    return None
            elif field == "birth_date":
                if value != born[2]:  # other than the ISO date the number says: parse it
                    value = self._date(value)
                    if value is _BAD or (value is not None and value[0] != born[0]):
                        return None
            elif field == "phone":
                value = value.strip()
                if value and not (
                    len(value) == 11
                    and value.isascii()
                    and value.isdigit()
                    and value[0] == "1"
                    and value[1] in "3456789"
                ):
                    return None  # the general rule cleans or refuses it
                params[at["phone"]] = value
            elif field == "resident_type":
                value = self._resident_type(value)
                if value is _BAD or value == ResidentType.OVERSEAS:
                    return None
                params[at["resident_type"]] = value
            elif field in _QUICK_DATES:
                value = self._date(value)
                if value is _BAD or value is None:
                    return None
                params[at[field]] = value[1]
            # else: id_number, and the placement's cells (the writer's)
        if name is None:
            return None  # the general rule says the name is missing
        if params[at["resident_type"]] == ResidentType.FLOATING and not params[at["reason_for_coming"]]:
            return None  # the rule wants a reason or a residence permit: the general path says so
        params[at["id_number"]] = raw
        params[at["sex"]] = sex
        params[at["birth_date"]] = born[1]
        params[at["name"]] = name
        params[at["name_pinyin"]], params[at["name_initials"]] = self.pinyin_keys(name)
        return (GOOD, raw, params)

    def _insert_params(self, values: dict) -> list:
        """A person's values (by attname) as the INSERT's parameters, placement left as given."""
        params = [values[c] for c in self.columns]
        for i, prep in self.preps:
            if params[i] is not None:
                params[i] = prep(params[i])
        for i, value in self.fixed:
            params[i] = value
        return params

    def clean(self, data: dict) -> tuple:
        quick = self.quick(data)
        return quick if quick is not None else self.clean_general(data)

    def clean_general(self, data: dict) -> tuple:
        """A row cleaned by ``record_person``'s own rules, as a new person."""
        raw = data.get("id_number")
        canonical = raw is not None and _CANONICAL.match(raw) is not None
        try:
            # A number written the usual way is checked once, by record_person's own rule
            # below; any other spelling (15 digits, x, blanks, full width …) is parsed first.
            key = raw if canonical else self.key(data)
        except RowRejected as exc:
            return (BAD_KEY, exc.field, exc.reason)
        rule_data = self.rule_data(data, key)
        obj = draft(Person, self.defaults)
        try:
            self.apply(obj, rule_data)
        except InvalidValue as exc:  # the ID number itself (raised by the rule's own parse)
            return (BAD_KEY, "id_number", exc.reason)
        except Exception as exc:  # ValidationError from the rules
            from fengqiao.registry.importing.base import rejected_from

            rejected = rejected_from(exc, "id_number")
            return (BAD, key, rejected.field, rejected.reason)
        return (GOOD, key, self._insert_params(obj.__dict__))


class PeopleImporter(Importer):
    kind = PEOPLE
    model = Person
    key_field = "id_number"
    parallel = True

    def __init__(self, ctx, header):
        super().__init__(ctx, header)
        converters = actions._person_converters(ctx.actor)
        # Placement is resolved for the whole chunk (AddressBook, locator); the ID number is
        # parsed by the cleaner's key() with the same validator.
        for name in ("current_address", "grid", "id_number"):
            converters.pop(name)
        converters["resident_type"] = lambda v: (
            v if v in _RESIDENT_TYPES else actions._choice(v, ResidentType)
        )
        columns, preps = self._writer._insert
        fixed = {
            i: prep(self.defaults[columns[i]])
            for i, prep in preps
            if columns[i] in ("created_at", "updated_at")
        }
        self.cleaner = PersonCleaner(
            today=ctx.today,
            converters=converters,
            defaults=self.defaults,
            columns=columns,
            preps=[(i, p) for i, p in preps if i not in fixed],
            fixed=fixed,
        )
        self._slots = {name: columns.index(name) for name in _PLACEMENT}
        self._columns = {name: i for i, name in enumerate(columns)}
        self._preps = dict(preps)
        # The creation history keeps the fields that have a value. A new person has one only in
        # the fields the file gives, those with a default, and those the ID number and the
        # placement set (never retired_at): the database need not look at the others.
        always = {"id_number", "sex", "birth_date", "grid_id", "current_address_id"}
        self._history_fields = [
            name
            for name in self.compared
            if name in always
            or name in header.positions
            or (name != "retired_at" and self.defaults[name] not in (None, "", False))
        ]
        self.addresses = AddressBook(ctx)
        self._grids: dict[int, int] = {}  # line → grid id of the chunk's points

    # -- before the database ---------------------------------------------------------------------

    def before_worker(self) -> None:
        """A big file is cleaned and placed by a worker process: it gets the addresses the rows
        may name (those in the actor's scope) up front, being unable to look them up."""
        self.addresses.load_all(
            codes=self.header.has("address_code"), texts=self.header.has("current_address")
        )

    def preclean(self, rows: list[Row]) -> None:
        """Each row cleaned as a new person (``PersonCleaner``) and, when that is good and its
        address is one the address book knows, placed: ``row.pre`` is the cleaner's result with,
        for a good row, what became of its placement — True (in the parameters), None (the
        writer places it), or the (field, reason) that rejects it."""
        clean = self.cleaner.clean
        for row in rows:
            pre = clean(row.data)
            if pre[0] == GOOD:
                pre = (*pre, self._place_known(row, pre[2]))
            row.pre = pre

    def _place_known(self, row: Row, params: list):
        data = row.data
        code, full_text = data.get("address_code"), data.get("current_address")
        if code or full_text:
            if not self.addresses.knows(code, full_text):
                return None
        elif "lon" in data or "lat" in data:
            return None  # points are placed by the locator, a chunk at a time
        try:
            grid_id, address_id = self.place(row, (None, None))
        except RowRejected as exc:
            return (exc.field, exc.reason)
        self._set_placement(params, grid_id, address_id)
        return True

    def _set_placement(self, params: list, grid_id: int, address_id: int | None) -> None:
        slots = self._slots
        params[slots["grid_id"]] = grid_id
        params[slots["current_address_id"]] = address_id
        params[slots["scope_path"]] = self.ctx.grid_path[grid_id]

    def key(self, row: Row):
        pre = row.pre
        if pre is None:
            return self.cleaner.key(row.data)
        if pre[0] == BAD_KEY:
            raise RowRejected(pre[1], pre[2])
        return pre[1]

    def key_column(self, row: Row) -> str:
        return "id_number" if isinstance(row.key, str) or row.key is None else "document_number"

    # -- look-ups --------------------------------------------------------------------------------

    def prepare(self, rows: list[Row]) -> None:
        """The addresses and points of rows to place here (people on file, and the rows preclean
        left unplaced), a chunk at a time."""
        self.addresses.load(
            [r.data.get("address_code") for r in rows], [r.data.get("current_address") for r in rows]
        )
        points = {}
        for row in rows:
            if "address_code" in row.data or "current_address" in row.data:
                continue
            try:
                point = point_of(row)
            except RowRejected:
                continue  # place() reports it
            if point is not None:
                points[row.line] = point
        self._grids = locate_points(rows, points)

    def existing(self, keys):
        numbers = [k for k in keys if isinstance(k, str)]
        found = super().existing(numbers)
        documents = [k for k in keys if isinstance(k, tuple)]
        if documents:
            qs = Person.objects.unscoped(reason="registry import: upsert by document")
            names = ["id", *self.attnames()]
            for key in documents:
                _kind, nationality, document_type, number = key
                stored = (
                    qs.filter(nationality=nationality, document_type=document_type, document_number=number)
                    .values(*names)
                    .first()
                )
                if stored is not None:
                    found[key] = stored
        return found

    def place(self, row: Row, current: tuple[int | None, int | None]) -> tuple[int, int | None]:
        """(grid id, current address id): the current address's grid; else the point's grid;
        else the grid given; else where the stored person is (``current``)."""
        code, full_text = row.data.get("address_code"), row.data.get("current_address")
        if code or full_text:
            address_id, grid_id = self.addresses.find(code, full_text)
            given = row.data.get("grid")
            if given and self.ctx.grid_by_code.get(given.strip()) != grid_id:
                raise RowRejected("grid", _("A person lives in their current address's grid."))
            self.ctx.check_scope(grid_id, "address_code" if code else "current_address")
            return grid_id, address_id
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

    # Rows that clean well as new people are taken to be new until one turns out to be on file:
    # the ID number's unique index checks them as they are written, where looking every row up
    # first costs the server as much again. When it refuses a part, replan() looks its rows up
    # and the rest of the file is looked up too.
    assume_new = True

    def plan(self, rows: list[Row], reject) -> Planned:
        careful = not self.assume_new
        stored_by_key = self.existing([r.key for r in rows if careful or r.pre[0] != GOOD])
        # Placed here: people on file (their scope is checked before their new place) and the
        # new rows preclean could not place.
        here = [r for r in rows if r.key in stored_by_key or (r.pre[0] == GOOD and r.pre[3] is None)]
        for row in here:
            if row.data is None:
                row.data = row_data(self.header, row.cells)
        self.prepare(here)
        planned = Planned()
        for row in rows:
            stored = stored_by_key.get(row.key)
            pre = row.pre
            try:
                if stored is None:
                    if pre[0] == BAD:
                        raise RowRejected(pre[2], pre[3])
                    placed = pre[3]
                    if placed is None:
                        self._set_placement(pre[2], *self.place(row, (None, None)))
                    elif placed is not True:
                        raise RowRejected(*placed)
                    planned.fast.append((row, pre[2]))
                    continue
                if not self.ctx.in_scope(stored["scope_path"]):
                    raise RowRejected(
                        self.key_column(row),
                        _("this record exists outside your scope: its grid must change it"),
                    )
                if stored["retired_at"] is not None:
                    raise RowRejected(self.key_column(row), _("this record is retired and cannot be changed"))
                grid_id, address_id = self.place(row, (stored["grid_id"], stored["current_address_id"]))
                if (
                    pre[0] == GOOD
                    and grid_id == stored["grid_id"]
                    and address_id == stored["current_address_id"]
                    and self._says_what_is_stored(row, pre, stored)
                ):
                    planned.unchanged += 1  # the row says what is on file: nothing to check or write
                    continue
                obj = draft(Person, stored)
                self.cleaner.apply(obj, self.cleaner.rule_data(row.data, row.key))
                obj.grid_id, obj.current_address_id = grid_id, address_id
                obj.scope_path = self.ctx.grid_path[grid_id]
                self.check_lengths(obj)
            except RowRejected as exc:
                reject(row, exc)
                continue
            except Exception as exc:  # ValidationError from the rules
                from fengqiao.registry.importing.base import rejected_from

                reject(row, rejected_from(exc, self.key_column(row)))
                continue
            old = {name: stored[name] for name in self.compared}
            new = {name: getattr(obj, name) for name in self.compared}
            old, new = history.changes(history_json(old), history_json(new))
            if not old and not new:
                planned.unchanged += 1
            else:
                planned.updates.append((row, obj, old, new))
        return planned

    def replan(self, planned: Planned, reject) -> Planned | None:
        if not self.assume_new:
            return None
        self.assume_new = False
        rows = [item[0] for item in planned.fast] + [item[0] for item in planned.updates]
        return self.plan(rows, reject)

    def _says_what_is_stored(self, row: Row, pre: tuple, stored: dict) -> bool:
        """Whether a good row's values (``pre``: the row cleaned as a new person) are those of
        the stored person, for every field the row gives and those its ID number sets, compared
        in their database form. A row that passes changes nothing and needs no second clean."""
        params = pre[2]
        given = [*row.data.keys() & _DATA_SET, "sex", "birth_date"]
        if isinstance(row.key, str):
            given.append("id_number")
        for name in given:
            at = self._columns.get(name)
            if at is None:
                continue
            value = stored[name]
            prep = self._preps.get(at)
            if value is not None and prep is not None:
                value = prep(value)
            if value != params[at]:
                return False
        return True

    def build(self, row, index, stored):  # the general path is plan() above
        raise NotImplementedError

    def write(self, planned: Planned) -> None:
        if planned.fast:
            # In key order: consecutive rows then land near each other in the ID number's index.
            keys = [row.key for row, _params in planned.fast]
            order = sorted(range(len(keys)), key=[str(k) for k in keys].__getitem__)
            self._insert_people([planned.fast[i][1] for i in order], [keys[i] for i in order])
        super().write(Planned(updates=planned.updates))

    def _insert_people(self, params: list, keys: list) -> None:
        """The new people, and their creation history made by the database from the rows just
        written (their values need not come back through Python to become JSON)."""
        fields = self._history_fields
        if connection.vendor == "sqlite":
            # under the write lock the new rowids are consecutive
            ids = self._writer.insert_params(params)
            self._history.write_selected(Person, fields, "id BETWEEN %s AND %s", [ids[0], ids[-1]])
        elif all(isinstance(k, str) for k in keys):
            self._writer.insert_rows(params)  # COPY
            self._history.write_selected(Person, fields, "id_number = ANY(%s)", [keys])
        else:  # people keyed by their document: their ids come back from the INSERT
            ids = self._writer.insert_params(params)
            self._history.write_selected(Person, fields, "id = ANY(%s)", [ids])
