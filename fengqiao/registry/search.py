"""Finding people and places in the registry, always within the caller's scope.

One search box takes whatever a clerk types and decides what it is (``classify``):

- an ID number (18 characters, or an old 15-digit one, lower-case ``x`` accepted): exact match on
  the normalised number; a number that cannot be valid says why (``notice``) and finds nobody;
- a phone number (mobile or landline with area code, spaces and dashes allowed): exact match on the
  normalised digits. Not the last four digits: no index serves a suffix, and four digits name too
  many people to be a search;
- a few digits that are no whole number (``6403``, ``403``: up to ten): never a prefix of an ID
  number or a phone, which a role that sees numbers masked must not have (docs/adr/0009), and not
  a phone to validate either: the digits are looked for in the address (a door or room number),
  with a ``hint`` saying that numbers are found whole; fewer than three digits find nobody;
- Latin letters: a prefix of the name's toneless pinyin (``zhang``, ``zhangsan``) or of its initials
  (``zs``); people whose pinyin matches come first, then those matched only by their initials;
- Chinese characters: a prefix of the name (``张``, ``张三``); text that reads as an address (digits,
  more than four characters, or three or more ending in an address word such as 路, 村, 小区, 号)
  searches the current address instead, on any part of it. ``key`` overrides the guess.

Every key but the address is a prefix or an exact match on an indexed column, written as a range
(``key >= 'zhang' AND key < 'zhanh'``) that a B-tree index answers on SQLite and PostgreSQL alike,
in the index's order, so a page of results never reads more rows than it shows. (On PostgreSQL a
Chinese prefix uses ``LIKE 'x%'``, which the ``varchar_pattern_ops`` index Django creates for every
indexed text column answers under any collation; a range would not be safe under a linguistic
collation such as zh_CN, which sorts Han characters by their reading.) Address text is matched
anywhere in the address (``contains``): the scope narrows it first, so it is cheap for a grid or a
district and a read of every address in scope for a whole city.

Results are :class:`Results`: one or more disjoint, ordered querysets read as one sequence, sliced
and counted in the database (Django's Paginator and the API's pagination take it as they take a
queryset).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from itertools import islice

from django.db import connections
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _

from fengqiao.registry import access
from fengqiao.registry.models import Address, House, Organisation, Person
from fengqiao.registry.text import search_key
from fengqiao.registry.validators import InvalidValue, parse_credit_code, parse_id_number, parse_phone


class Key:
    """What a query searches by."""

    ALL = "all"
    ID_NUMBER = "id_number"
    PHONE = "phone"
    NAME = "name"
    PINYIN = "pinyin"
    ADDRESS = "address"
    CODE = "code"
    CREDIT_CODE = "credit_code"


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"^[A-Za-z][A-Za-z\s'’·.\-]*$")
_ID_LIKE = re.compile(r"^(\d{15}|\d{17}[\dXx])$")
_ID_MANGLED = re.compile(r"^[+-]?\d+(\.\d*)?[eE][+-]?\d+$|^\d{15,18}\.0+$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-()（）]+$")
# What Chinese text ends with when it is an address rather than a name (马道明 and 张镇江 are names).
_ADDRESS_END = re.compile(
    r"(省|市|区|县|镇|乡|街道|村|社区|路|街|巷|弄|胡同|小区|花园|苑|号|栋|幢|楼|单元|室|组)$"
)
MAX_NAME_CHARS = 4


def _normalise(query: str) -> str:
    return unicodedata.normalize("NFKC", query or "").strip()


@dataclass(frozen=True)
class Classified:
    """A query and the key it searches by; ``value`` is normalised, or empty with ``notice``
    saying why nothing can match."""

    key: str
    value: str
    notice: str = ""
    # Shown beside the results without emptying them (a partial number searched as an address).
    hint: str = ""


_PARTIAL_DIGITS_MIN = 3
_PARTIAL_DIGITS_MAX = 10


def _partial_number() -> str:
    return _("Type a whole ID number or phone number, or search by name or address")


def _as_phone_or_partial(text: str) -> Classified:
    """A whole phone number, or a few digits searched in the address (never as a number)."""
    found = _as_phone(text)
    digits = re.sub(r"[\s\-()（）]+", "", text)
    if found.value or not digits.isdigit() or len(digits) > _PARTIAL_DIGITS_MAX:
        return found
    if len(digits) < _PARTIAL_DIGITS_MIN:
        return Classified(Key.ADDRESS, "", _partial_number())
    return Classified(Key.ADDRESS, digits, hint=_partial_number())


def classify(query: str) -> Classified:
    """What a typed query is: an ID number, a phone, pinyin, a Chinese name or an address."""
    raw = (query or "").strip()
    text = _normalise(raw)
    if not text:
        return Classified(Key.ALL, "")
    compact = re.sub(r"[\s\u3000]+", "", raw)
    if _ID_LIKE.match(re.sub(r"\s+", "", text)) or _ID_MANGLED.match(compact) or _full_width_id(compact):
        return _as_id_number(raw)
    if _PHONE_LIKE.match(text):
        return _as_phone_or_partial(text)
    if _HAN.search(text):
        if _looks_like_address(text):
            return Classified(Key.ADDRESS, text)
        return Classified(Key.NAME, re.sub(r"\s+", "", text))
    if _LATIN.match(text):
        return Classified(Key.PINYIN, search_key(text))
    return Classified(Key.NAME, text)


def classify_as(query: str, key: str) -> Classified:
    """The query read as ``key`` (the search box's explicit choice)."""
    raw = (query or "").strip()
    text = _normalise(raw)
    if not text or key == Key.ALL:
        return Classified(Key.ALL, "")
    if key == Key.ID_NUMBER:
        return _as_id_number(raw)
    if key == Key.PHONE:
        return _as_phone(text)
    if key == Key.PINYIN:
        return Classified(Key.PINYIN, search_key(text))
    if key == Key.NAME:
        # A name typed in Latin letters is looked up by its pinyin.
        if _LATIN.match(text):
            return Classified(Key.PINYIN, search_key(text))
        return Classified(Key.NAME, re.sub(r"\s+", "", text))
    if key == Key.ADDRESS:
        return Classified(Key.ADDRESS, text)
    raise ValueError(f"unknown search key {key!r}")


def _full_width_id(compact: str) -> bool:
    # Full-width digits are an ID number typed on a Chinese keyboard: parse it to say so.
    return 15 <= len(compact) <= 18 and bool(re.search(r"[\uff10-\uff19]", compact))


def _as_id_number(raw: str) -> Classified:
    try:
        return Classified(Key.ID_NUMBER, parse_id_number(raw).number)
    except InvalidValue as exc:
        return Classified(Key.ID_NUMBER, "", _("ID number: %(reason)s") % {"reason": exc.reason})


def _as_phone(text: str) -> Classified:
    try:
        return Classified(Key.PHONE, parse_phone(text))
    except InvalidValue as exc:
        return Classified(Key.PHONE, "", _("phone: %(reason)s") % {"reason": exc.reason})


def _looks_like_address(text: str) -> bool:
    """Digits, more than four characters, or three or more ending like an address (王家村, 幸福小区)."""
    han = _HAN.findall(text)
    return (
        any(c.isdigit() for c in text)
        or len(han) > MAX_NAME_CHARS
        or (len(han) > 2 and bool(_ADDRESS_END.search(text)))
    )


# --- index-friendly prefix conditions -------------------------------------------------------------


def _successor(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def ascii_prefix(field_name: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, for lower-case ASCII keys (pinyin, initials, digits): a
    range a B-tree index answers, in its own order, on both databases and under any collation
    (lower-case ASCII letters and digits sort the same in all of them)."""
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": _successor(prefix)})


class PatternOrder(OrderBy):
    """``ORDER BY <column> USING ~<~`` (PostgreSQL): the order of the ``varchar_pattern_ops``
    index that answers ``LIKE 'x%'``, so that one index both finds a prefix's rows and gives them
    in order, and a page is read without sorting every match. Ordering by the column itself would
    make the planner walk the ordinary index from the start, filtering, through most of the table."""

    # ``USING`` takes no ASC/DESC, which Django's compiler looks for (to tell ordering terms apart):
    # it gets one, in a comment.
    template = "%(expression)s USING ~<~ /* %(ordering)s */"

    def __init__(self, expression):
        super().__init__(expression)


def text_prefix_order(field_name: str, *, using: str = "default"):
    """The order to give the rows of :func:`text_prefix` in: the one its index reads them in."""
    if connections[using].vendor == "postgresql":
        return PatternOrder(F(field_name))
    return F(field_name).asc()


def text_prefix(field_name: str, prefix: str, *, using: str = "default") -> Q:
    """``field`` starts with ``prefix``, for any text (Chinese names)."""
    if connections[using].vendor == "postgresql":
        # LIKE 'x%' is answered by the varchar_pattern_ops index whatever the collation.
        return Q(**{f"{field_name}__startswith": prefix})
    # SQLite compares text byte by byte (BINARY), which is code-point order: the range is exact.
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": _successor(prefix)})


# --- results --------------------------------------------------------------------------------------


@dataclass
class Results:
    """Disjoint ordered querysets read one after the other, as one sequence.

    ``key`` is what the query searched by; ``notice`` says why it cannot match (an ID number with
    a wrong check character, a phone number that is too short), for the search box to show.
    """

    parts: list[QuerySet]
    key: str
    notice: str = ""
    _counts: dict = field(default_factory=dict, repr=False)

    def _part_count(self, index: int) -> int:
        if index not in self._counts:
            # order_by(): a count does not depend on the order, and sorting costs
            self._counts[index] = self.parts[index].order_by().count()
        return self._counts[index]

    def count(self) -> int:
        return sum(self._part_count(i) for i in range(len(self.parts)))

    def count_upto(self, cap: int) -> tuple[int, bool]:
        """The count, reading at most ``cap + 1`` rows: ``(count, exact)``; when not exact the
        count is ``cap`` and more match."""
        total = 0
        for index, part in enumerate(self.parts):
            room = cap + 1 - total
            if room <= 0:
                break
            # A fresh query (even after iterating), unordered: how many of the first ``room`` rows
            # there are does not depend on their order, and sorting a large match costs.
            found = part.order_by()[:room].count()
            if found < room:
                self._counts[index] = found
            total += found
        if total > cap:
            return cap, False
        return total, True

    def all(self) -> Results:
        return self

    def only(self, *fields: str) -> Results:
        """The same results loading only ``fields`` (a list that shows a few columns)."""
        return Results([part.only(*fields) for part in self.parts], self.key, self.notice)

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        for part in self.parts:
            yield from part

    def __getitem__(self, item):
        if isinstance(item, int):
            if item < 0:
                raise IndexError("negative indexing is not supported")
            found = self[item : item + 1]
            if not found:
                raise IndexError("search result index out of range")
            return found[0]
        if not isinstance(item, slice) or item.step not in (None, 1):
            raise TypeError("search results take an index or a plain slice")
        start, stop = item.start or 0, item.stop
        if start < 0 or (stop is not None and stop < 0):
            raise IndexError("negative indexing is not supported")
        if len(self.parts) == 1:
            return list(self.parts[0][start:stop])
        # Walk the parts; a part's size is needed only to skip it, and is then learnt from the
        # rows read (or, when the slice starts past it, counted: at most ``start`` rows).
        out: list = []
        local_start, remaining = start, None if stop is None else stop - start
        for index, part in enumerate(self.parts):
            if remaining is not None and remaining <= 0:
                break
            last = index == len(self.parts) - 1
            known = self._counts.get(index)
            if not last and known is not None and local_start >= known:
                local_start -= known
                continue
            rows = list(part[local_start : None if remaining is None else local_start + remaining])
            out.extend(rows)
            if remaining is not None:
                remaining -= len(rows)
                if remaining <= 0:
                    break
            if last:
                break
            size = local_start + len(rows) if rows else self._part_count(index)
            local_start = max(0, local_start - size)
        return out

    def first(self):
        return next(islice(iter(self), 1), None)


def _results(parts: list[QuerySet], classified: Classified) -> Results:
    if classified.notice:
        parts = [parts[0].none()]
    return Results(parts=parts, key=classified.key, notice=classified.notice or classified.hint)


def _live(queryset: QuerySet, include_retired: bool) -> QuerySet:
    return queryset if include_retired else queryset.filter(retired_at__isnull=True)


# --- people ---------------------------------------------------------------------------------------


def search_people(
    user,
    query: str = "",
    *,
    key: str | None = None,
    queryset: QuerySet | None = None,
    include_retired: bool = False,
) -> Results:
    """The people ``user`` may see that match ``query`` (see the module's docstring), each with
    their grid and current address loaded. ``key`` forces what the query is read as; ``queryset``
    narrows the people searched (a grid, a resident type) and is scoped here in any case."""
    classified = classify_as(query, key) if key else classify(query)
    people = (queryset if queryset is not None else Person.objects.all()).visible_to(user)
    people = _live(people, include_retired).select_related("grid", "current_address").defer("grid__geometry")
    value = classified.value
    if classified.key == Key.ALL or not value and not classified.notice:
        return _results([people.order_by("name_pinyin", "id")], classified)
    if classified.key in (Key.ID_NUMBER, Key.PHONE):
        # A whole number typed in confirms or refutes a guess: for a role that sees masked
        # numbers it is a counted, limited look-up, on the record (registry.access).
        access.exact_lookup(user)
    if classified.key == Key.ID_NUMBER:
        parts = [people.filter(id_number=value)]
    elif classified.key == Key.PHONE:
        parts = [people.filter(phone=value).order_by("name_pinyin", "id")]
    elif classified.key == Key.PINYIN:
        by_pinyin = ascii_prefix("name_pinyin", value)
        parts = [
            people.filter(by_pinyin).order_by("name_pinyin", "id"),
            people.filter(ascii_prefix("name_initials", value))
            .exclude(by_pinyin)
            .order_by("name_initials", "id"),
        ]
    elif classified.key == Key.NAME:
        by_name = people.filter(text_prefix("name", value, using=people.db))
        parts = [by_name.order_by(text_prefix_order("name", using=people.db), "id")]
    elif classified.key == Key.ADDRESS:
        parts = [people.filter(current_address__full_text__contains=value).order_by("name_pinyin", "id")]
    else:
        raise ValueError(f"people are not searched by {classified.key!r}")
    return _results(parts, classified)


# --- places and units -----------------------------------------------------------------------------

_ADDRESS_CODE = re.compile(r"^[0-9A-Za-z]{12,64}$")


def search_addresses(
    user, query: str = "", *, queryset: QuerySet | None = None, include_retired: bool = False
) -> Results:
    """Addresses ``user`` may see: by their code (exact) or by any part of their text."""
    addresses = (queryset if queryset is not None else Address.objects.all()).visible_to(user)
    addresses = (
        _live(addresses, include_retired)
        .select_related("grid", "community")
        .defer("grid__geometry", "community__outline")
    )
    text = _normalise(query)
    if not text:
        return _results([addresses.order_by("code")], Classified(Key.ALL, ""))
    if _ADDRESS_CODE.match(text):
        return _results([addresses.filter(code=text)], Classified(Key.CODE, text))
    return _results(
        [addresses.filter(full_text__contains=text).order_by("full_text", "id")],
        Classified(Key.ADDRESS, text),
    )


def search_houses(
    user, query: str = "", *, queryset: QuerySet | None = None, include_retired: bool = False
) -> Results:
    """Houses ``user`` may see: by their address's code (exact) or any part of its text."""
    houses = (queryset if queryset is not None else House.objects.all()).visible_to(user)
    houses = (
        _live(houses, include_retired)
        .select_related("grid", "address", "owner", "landlord")
        .defer("grid__geometry")
    )
    text = _normalise(query)
    if not text:
        return _results([houses.order_by("id")], Classified(Key.ALL, ""))
    if _ADDRESS_CODE.match(text):
        return _results([houses.filter(address__code=text)], Classified(Key.CODE, text))
    return _results(
        [houses.filter(address__full_text__contains=text).order_by("address__full_text", "id")],
        Classified(Key.ADDRESS, text),
    )


_CREDIT_LIKE = re.compile(r"^[0-9A-Za-z]{18}$")


def search_organisations(
    user, query: str = "", *, queryset: QuerySet | None = None, include_retired: bool = False
) -> Results:
    """Organisations ``user`` may see: by credit code or phone (exact), else by any part of their
    name or address."""
    organisations = (queryset if queryset is not None else Organisation.objects.all()).visible_to(user)
    organisations = (
        _live(organisations, include_retired).select_related("grid", "address").defer("grid__geometry")
    )
    text = _normalise(query)
    if not text:
        return _results([organisations.order_by("name", "id")], Classified(Key.ALL, ""))
    compact = re.sub(r"\s+", "", text)
    if _CREDIT_LIKE.match(compact) and not compact.isdigit():
        try:
            code = parse_credit_code(compact)
        except InvalidValue as exc:
            notice = _("credit code: %(reason)s") % {"reason": exc.reason}
            return _results([organisations], Classified(Key.CREDIT_CODE, "", notice))
        return _results([organisations.filter(credit_code=code)], Classified(Key.CREDIT_CODE, code))
    if _PHONE_LIKE.match(text):
        classified = _as_phone_or_partial(text)
        if classified.key == Key.PHONE:
            return _results([organisations.filter(phone=classified.value).order_by("name", "id")], classified)
        # A few digits: looked for in the name and address, never as a prefix of the phone.
        text, hint = re.sub(r"[\s\-()（）]+", "", text), _partial_number()
    else:
        hint = ""
    matches = organisations.filter(Q(name__contains=text) | Q(address__full_text__contains=text))
    return _results([matches.order_by("name", "id")], Classified(Key.NAME, text, hint=hint))
