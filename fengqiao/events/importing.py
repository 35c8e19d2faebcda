"""Bulk import of incidents from an export of the 110 dispatch system (CSV or XLSX).

    result = import_110("110-export.csv", actor=user, datum="gcj02")
    result.counts()  # {"read": …, "inserted": …, "updated": 0, "unchanged": …, "rejected": …}

The file is read by ``core.importing`` (UTF-8 with or without BOM, GBK/GB18030, XLSX) and its
header matched the same way as every import's (Chinese or English names, see ``INCIDENTS``); rejected rows go
to an error file of the input's own format with the line, the column and the reason.

Each row becomes an event through :func:`fengqiao.events.actions.report_event` (channel 110, the
importing user as the actor, the incident's time as the start of its timeline), in its own
savepoint, so a row that fails leaves nothing behind. The incident number (接警单编号) is the
event's ``external_id`` and the key: a number already on file is left as it is (``unchanged``;
``updated`` is always 0), so importing the same file twice changes nothing, and says so. A row
with a point is placed by the locator; a row without one by its address text, which must be the
full text of a registry address. The import is one audit entry (``import``) with the file's
SHA-256; only a file that cannot be read at all (ImportFileError) stops it.
"""

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import audit
from fengqiao.core.context import Source
from fengqiao.core.importing import check_writable, imports_dir, readers, record_import, when
from fengqiao.core.importing import summary as import_summary
from fengqiao.core.importing.columns import Column, HeaderMap, Kind, match_header
from fengqiao.core.importing.errors import Rejection, Rejections, error_file_suffix, write_error_file
from fengqiao.core.importing.rows import Row, RowRejected, chunks, rejected_from
from fengqiao.core.models import AuditEntry
from fengqiao.core.scoping import path_within, scope_prefixes
from fengqiao.events.actions import AlreadyTakenIn, build_report, may_take_in, report_event
from fengqiao.events.choices import Channel, CrimeClass, EventKind, Offence
from fengqiao.events.models import Category, Event
from fengqiao.events.rules import crime_class_in, fraud_type_in
from fengqiao.geo import datum as datums
from fengqiao.registry.importing.base import Context, point_of
from fengqiao.registry.importing.places import AddressBook
from fengqiao.registry.models import Address

UNSCOPED_KNOWN = "110 import: incident numbers already on file, wherever the event lies"
UNSCOPED_ADDRESS = "110 import: the registry address an incident names, to place it"
AUDIT_OBJECT_TYPE = "events.import_110"

# Rows per transaction; each row has its own savepoint inside it.
CHUNK_SIZE = 200
TITLE_LENGTH = 40
MAX_NUMBER_LENGTH = Event._meta.get_field("external_id").max_length
# A 110 export's clock may run a little ahead of ours.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def _column(field_name, header, *aliases, required=False) -> Column:
    return Column(field_name, header, aliases, required)


# The columns of a typical 110 export; the Chinese header first, then the usual variants. Like the
# registry's, these headers are part of the file format and are not translated.
INCIDENTS = Kind(
    "110",
    "event",
    gettext_lazy("110 incidents"),
    (
        _column(
            "number",
            "接警单编号",
            "接警编号",
            "警情编号",
            "警单编号",
            "接处警编号",
            "报警编号",
            "incident_number",
            "external_id",
            required=True,
        ),
        _column("reported_at", "报警时间", "接警时间", "报警日期", "time", required=True),
        _column("reporter_name", "报警人", "报警人姓名", "报警人员", "caller"),
        _column("reporter_phone", "联系电话", "报警电话", "报警人电话", "联系方式", "电话", "phone"),
        _column(
            "address_text",
            "案发地址",
            "发案地址",
            "事发地址",
            "案发地点",
            "事发地点",
            "发生地址",
            "地址",
            "address",
        ),
        _column("lon", "经度", "longitude", "lng"),
        _column("lat", "纬度", "latitude"),
        _column("category", "警情类别", "警情类型", "警情分类", "报警类别", "类别", required=True),
        _column(
            "description",
            "警情内容",
            "简要案情",
            "报警内容",
            "案情",
            "内容",
            required=True,
        ),
        _column("outcome", "处理结果", "处警结果", "处置结果", "result", "outcome"),
    ),
    one_of=(("lon", "address_text"),),
)

# The words 110 systems classify incidents with, as codes of our category tree
# (events/data/categories.json). Codes and the tree's own names (Chinese and English) are
# matched before these.
CATEGORY_WORDS = {
    "刑事": "0101",
    "刑事案件": "0101",
    "刑事类": "0101",
    "盗窃": "0101",
    "抢劫": "0101",
    "抢夺": "0101",
    "两抢": "0101",
    "故意伤害": "0101",
    "治安": "0102",
    "治安案件": "0102",
    "治安类": "0102",
    "治安事件": "0102",
    "打架斗殴": "0102",
    "扰乱秩序": "0102",
    "噪音扰民": "0102",
    "交通": "0103",
    "交通事故": "0103",
    "交通类": "0103",
    "道路交通事故": "0103",
    "诈骗": "0104",
    "电信诈骗": "0104",
    "网络诈骗": "0104",
    "电信网络诈骗案件": "0104",
    "电诈": "0104",
    "纠纷": "0402",
    "民事纠纷": "0402",
    "邻里纠纷": "0402",
    "家庭纠纷": "0402",
    "纠纷类": "0402",
    "火灾隐患": "0401",
    "群众求助": "0502",
    "求助类": "0502",
    "救助": "0502",
    "其他": "01",
    "其它": "01",
    "其他警情": "01",
}
CRIMINAL_INCIDENT, FRAUD_INCIDENT = "0101", "0104"
# "刑事警情/盗窃", "治安类-打架斗殴", "0101 刑事警情": a path through the 110 system's own tree,
# or a code with its name.
_CATEGORY_PATH = re.compile(r"[\s/\\|>＞→:：、\-—]+")
# Excel's way of showing a long number it has rounded: 2.02403E+19.
_MANGLED_NUMBER = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.I)
_DATE_TIME = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$")
_CHINESE_PARTS = str.maketrans({"年": "-", "月": "-", "日": " ", "时": ":", "点": ":", "分": ":", "秒": ""})
_BLANKS = re.compile(r"\s+")


@dataclass
class ImportResult:
    """What an import did: the five counts, where the rejected rows went, the summary line."""

    file: str
    sha256: str
    encoding: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors_file: str = ""
    message: str = ""
    rejections: list[Rejection] = field(default_factory=list, repr=False)

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


@dataclass
class Incident:
    """A row as it will be reported."""

    row: Row
    number: str
    at: dt.datetime
    category: Category
    title: str
    description: str
    lon: float | None = None
    lat: float | None = None
    address_text: str = ""
    crime_class: str = ""
    fraud_type: str = ""


def parse_time(text: str, *, now: dt.datetime) -> dt.datetime:
    """A 110 export's spelling of a time (2024-03-05 14:23:11, 2024/3/5 14:23, 2024年3月5日
    14时23分, 20240305142311, ISO with an offset) as an aware datetime; a time without an offset
    is local. RowRejected for anything else, an impossible time or one in the future."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    if not value:
        raise RowRejected("reported_at", _("Required."))
    spelled = _BLANKS.sub(" ", value.translate(_CHINESE_PARTS)).strip().rstrip(":")
    match = _DATE_TIME.match(spelled) or _COMPACT.match(spelled)
    if match is None:
        raise RowRejected(
            "reported_at",
            _("%(value)s is not a time: write it as YYYY-MM-DD HH:MM:SS") % {"value": value},
        )
    parts = match.groups()
    year, month, day, hour, minute, second = (int(p) if p else 0 for p in parts[:6])
    micro = int((parts[6] or "0").ljust(6, "0")) if len(parts) > 6 else 0
    offset = parts[7] if len(parts) > 7 else None
    try:
        tzinfo = None
        if offset == "Z":
            tzinfo = dt.UTC
        elif offset:
            sign = -1 if offset[0] == "-" else 1
            digits = offset[1:].replace(":", "")
            tzinfo = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        at = dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=tzinfo)
    except ValueError:
        raise RowRejected("reported_at", _("%(value)s is not a possible time") % {"value": value}) from None
    if tzinfo is None:
        at = timezone.make_aware(at, timezone.get_current_timezone())
    if at > now + FUTURE_TOLERANCE:
        raise RowRejected("reported_at", _("%(value)s is in the future") % {"value": value})
    return at


class CategoryBook:
    """The active categories by code, by name (Chinese or English) and by the 110 systems' words."""

    def __init__(self):
        self.by_code: dict[str, Category] = {}
        self.by_name: dict[str, Category] = {}
        for category in Category.objects.filter(active=True).order_by("code"):
            self.by_code[category.code] = category
            if category.kind == EventKind.CASE:
                continue  # a 110 row is an incident: the case categories' names classify it instead
            self.by_name.setdefault(category.name, category)
            if category.name_en:
                self.by_name.setdefault(category.name_en.casefold(), category)

    def _one(self, text: str) -> Category | None:
        found = self.by_code.get(text) or self.by_name.get(text) or self.by_name.get(text.casefold())
        if found is None and text in CATEGORY_WORDS:
            found = self.by_code.get(CATEGORY_WORDS[text])
        if found is None and text.isdigit() and len(text) % 2:
            found = self.by_code.get("0" + text)  # a code typed as a number lost its leading zero
        if found is None and (crime := crime_class_in(text)):
            # A crime's own name (入室盗窃, 抢夺): a criminal incident, its class kept by classify.
            found = self.by_code.get(FRAUD_INCIDENT if crime == CrimeClass.FRAUD else CRIMINAL_INCIDENT)
        return found

    def find(self, value: str) -> Category:
        text = unicodedata.normalize("NFKC", value or "").strip()
        if not text:
            raise RowRejected("category", _("Required."))
        found = self._one(text)
        if found is None:
            # The most specific part of a path that means something here.
            for part in reversed([p for p in _CATEGORY_PATH.split(text) if p]):
                found = self._one(part)
                if found is not None:
                    break
        if found is None:
            raise RowRejected("category", _("Unknown category: %(code)s.") % {"code": text})
        return found


class _Import:
    """One run over one file."""

    def __init__(self, *, actor, header: HeaderMap, datum: str, now: dt.datetime):
        self.actor = actor
        self.header = header
        self.datum = datum
        self.now = now
        self.prefixes = scope_prefixes(actor)
        self.categories = CategoryBook()
        self.addresses = AddressBook(Context(actor=actor, batch=None, source=Source.IMPORT))
        self.seen: dict[str, int] = {}  # incident number → first line

    # -- reading -----------------------------------------------------------------------------
    def number(self, row: Row) -> str:
        number = unicodedata.normalize("NFKC", row.data.get("number", "")).strip()
        if not number:
            raise RowRejected("number", _("Required."))
        if _MANGLED_NUMBER.match(number):
            raise RowRejected(
                "number",
                _("%(value)s was turned into a number by Excel: format the column as text")
                % {"value": number},
            )
        if len(number) > MAX_NUMBER_LENGTH:
            raise RowRejected(
                "number",
                _("%(value)s is longer than %(n)d characters") % {"value": number, "n": MAX_NUMBER_LENGTH},
            )
        return number

    def incident(self, row: Row, number: str) -> Incident:
        at = parse_time(row.data.get("reported_at", ""), now=self.now)
        category = self.categories.find(row.data.get("category", ""))
        description = row.data.get("description", "").strip()
        if not description:
            raise RowRejected("description", _("Required."))
        title = _BLANKS.sub(" ", description)[:TITLE_LENGTH]
        outcome = row.data.get("outcome", "").strip()
        if outcome:
            # The 110 system's own words, kept with the facts they belong to.
            description = f"{description}\n\n处理结果：{outcome}"
        incident = Incident(row, number, at, category, title, description)
        # The class the row's category words name (刑事警情/入室盗窃); for a criminal category that
        # names none, the description's words (a 刑事 row reading 家中被入室盗窃).
        words = row.data.get("category", "")
        incident.crime_class = crime_class_in(words)
        if not incident.crime_class and category.offence == Offence.CRIMINAL:
            incident.crime_class = crime_class_in(description)
        incident.fraud_type = fraud_type_in(f"{words} {description}")
        incident.address_text = row.data.get("address_text", "").strip()
        point = point_of(row)
        # Many 110 systems write 0, 0 when the caller's position is unknown.
        if point is not None and point != (0.0, 0.0):
            if self.datum != "wgs84":
                point = datums.gcj02_point_to_wgs84(*point)
            incident.lon, incident.lat = point
        elif not incident.address_text:
            raise RowRejected("address_text", _("no place: the row has neither a point nor an address"))
        return incident

    # -- one chunk ---------------------------------------------------------------------------
    def run_chunk(self, rows: list[Row], result: ImportResult) -> None:
        rejections = reject = Rejections(self.header)
        keyed: list[tuple[Row, str]] = []
        for row in rows:
            try:
                number = self.number(row)
            except RowRejected as exc:
                reject(row, exc)
                continue
            first = self.seen.get(number)
            if first is not None:
                reject(
                    row,
                    RowRejected(
                        "number",
                        _("the same %(what)s is on line %(line)d already")
                        % {"what": self.header.header_of("number"), "line": first},
                    ),
                )
                continue
            self.seen[number] = row.line
            keyed.append((row, number))

        known = set(
            Event.objects.unscoped(reason=UNSCOPED_KNOWN)
            .filter(channel=Channel.DISPATCH_110, external_id__in=[n for _row, n in keyed])
            .values_list("external_id", flat=True)
        )
        incidents: list[Incident] = []
        unchanged = 0
        for row, number in keyed:
            if number in known:
                unchanged += 1
                continue
            try:
                incidents.append(self.incident(row, number))
            except RowRejected as exc:
                reject(row, exc)

        texts = [i.address_text for i in incidents if i.lon is None]
        if texts:
            self.addresses.load([], texts)
        inserted = 0
        with transaction.atomic():
            for incident in incidents:
                try:
                    with transaction.atomic():
                        self.report(incident)
                except RowRejected as exc:
                    reject(incident.row, exc)
                    continue
                except AlreadyTakenIn:  # another import of the export took it in just now
                    unchanged += 1
                    continue
                except DatabaseError as exc:
                    # A rule of the database the checks did not foresee: only this row is lost.
                    reason = _("the database refused the row: %(error)s") % {"error": exc}
                    reject(incident.row, RowRejected("", reason))
                    continue
                inserted += 1
        result.read += len(rows)
        result.inserted += inserted
        result.unchanged += unchanged
        result.rejected += len(rejections)
        result.rejections.extend(rejections.in_order())

    def report(self, incident: Incident) -> Event:
        address = None
        if incident.lon is None:
            try:
                address_id, _grid_id = self.addresses.find(
                    None, incident.address_text, field_text="address_text"
                )
            except RowRejected as exc:
                raise RowRejected(
                    "address_text", _("no place: %(reason)s") % {"reason": exc.reason}
                ) from None
            address = Address.objects.unscoped(reason=UNSCOPED_ADDRESS).get(pk=address_id)
        data = incident.row.data
        try:
            report = build_report(
                category=incident.category,
                public_only=False,
                actor=self.actor,
                title=incident.title,
                description=incident.description,
                lon=incident.lon,
                lat=incident.lat,
                address=address,
                address_text=incident.address_text,
                reporter_name=data.get("reporter_name", ""),
                reporter_phone=data.get("reporter_phone", ""),
                external_id=incident.number,
                crime_class=incident.crime_class,
                fraud_type=incident.fraud_type,
            )
            event = report_event(
                report, actor=self.actor, channel=Channel.DISPATCH_110, at=incident.at, imported=True
            )
        except ValidationError as exc:
            raise _row_error(exc) from None
        # After the write, inside the row's savepoint: an incident outside the importer's area
        # is undone (NetBox's ObjectValidationMixin does the same for API writes).
        if not path_within(event.scope_path, self.prefixes):
            raise RowRejected(
                "lon" if incident.lon is not None else "address_text",
                _("the record would lie outside your scope"),
            )
        return event


# The report builder's fields, as the import's columns.
_FIELD_COLUMNS = {
    "title": "description",
    "address": "address_text",
    "lat": "lat",
    "lon": "lon",
    "reporter_phone": "reporter_phone",
}


def _row_error(exc: ValidationError) -> RowRejected:
    rejected = rejected_from(exc)
    return RowRejected(_FIELD_COLUMNS.get(rejected.field, rejected.field), rejected.reason)


def import_110(
    path,
    *,
    actor,
    datum: str = "wgs84",
    errors_path=None,
    file_name: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import a 110 export as ``actor``, its points in ``datum`` ("wgs84" or "gcj02"). Returns
    the counts and the summary. Raises ImportFileError (nothing written) when the file cannot be
    read, PermissionDenied when the actor may not enter events."""
    if datum not in datums.DATUMS:
        raise ValueError(f"unknown datum {datum!r}: use one of {', '.join(datums.DATUMS)}")
    if not may_take_in(actor):
        raise PermissionDenied(_("Only staff can enter events."))
    source = readers.inspect_file(path, name=file_name)
    with readers.open_table(source) as table:
        header = match_header(INCIDENTS, table.header, file_name=source.name)
        if errors_path is not None:
            check_writable(errors_path)
        result = ImportResult(source.name, source.sha256, source.encoding_label)
        run = _Import(actor=actor, header=header, datum=datum, now=timezone.now())
        for chunk in chunks(table, header, chunk_size):
            run.run_chunk(chunk, result)
            if progress is not None:
                progress(result.read)
    return _finish(source, table.header, result, actor=actor, datum=datum, errors_path=errors_path)


def _finish(source, header_cells, result: ImportResult, *, actor, datum, errors_path) -> ImportResult:
    if result.rejections:
        dest = (
            Path(errors_path)
            if errors_path
            else imports_dir() / f"110-{source.sha256[:12]}-errors{error_file_suffix(source)}"
        )
        write_error_file(source, header_cells, result.rejections, dest)
        result.errors_file = str(dest.resolve())
    previous = (
        AuditEntry.objects.filter(
            action=audit.IMPORT.name, object_type=AUDIT_OBJECT_TYPE, object_id=source.sha256
        )
        .order_by("-created_at")
        .first()
    )
    with transaction.atomic():
        record_import(
            source,
            result.counts(),
            actor=actor,
            kind=INCIDENTS.name,
            object_type=AUDIT_OBJECT_TYPE,
            object_id=source.sha256,
            object_repr=f"110: {source.name}"[:200],
            after={"datum": datum},
        )
    result.message = summary(result, previous)
    return result


def summary(result: ImportResult, previous: AuditEntry | None = None) -> str:
    before = ""
    if previous is not None:
        before = _("nothing changed: this file was imported before (%(when)s, by %(user)s)") % {
            "when": when(previous.created_at),
            "user": previous.actor_label,
        }
    return import_summary(result.file, result.encoding, result.counts(), before=before)
