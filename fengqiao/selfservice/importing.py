"""The register of court judgements, imported read-only from the judicial data file (CSV in
UTF-8 or GBK, or XLSX) with the shared import framework (``core.importing``).

    result = import_records("judgements.xlsx", actor=user)

Each row is one judgement, keyed by its number (案号): a number on file already is left alone,
except that a judgement that has since become final is marked so (``updated``). The records live
at the importer's bureau (its posting), are never edited here, and only a final judgement (生效)
counts as a record when a certificate is decided. Rejected rows go to an error file naming the
line, the column and the reason; the import is one audit entry with the file's SHA-256.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core.importing import check_writable, imports_dir, readers, record_import
from fengqiao.core.importing import summary as import_summary
from fengqiao.core.importing.columns import C, Kind, match_header
from fengqiao.core.importing.errors import Rejection, Rejections, error_file_suffix, write_error_file
from fengqiao.core.importing.rows import RowRejected, chunks
from fengqiao.core.roles import Role
from fengqiao.registry.validators import InvalidValue, parse_id_number
from fengqiao.selfservice.models import CriminalRecord

UNSCOPED_KNOWN = "judgement import: judgement numbers already on file, wherever they were imported"
IMPORTERS = (Role.COUNTY_BUREAU, Role.CITY_COMMAND)
CHUNK_SIZE = 500

# The judicial data file's columns; the headers are part of the format and are not translated.
JUDGEMENTS = Kind(
    "judgements",
    "judgement",
    gettext_lazy("court judgements"),
    (
        C("judgement_number", "案号", "判决书编号", "裁判文书号", "judgement_number", required=True),
        C("name", "姓名", "被告人", "被告人姓名", "name", required=True),
        C("id_number", "公民身份号码", "身份证号", "身份证号码", "id_number", required=True),
        C("court", "审判法院", "法院", "判决法院", "court", required=True),
        C("offence", "罪名", "offence", required=True),
        C("judged_on", "判决日期", "裁判日期", "judged_on", required=True),
        C("final", "是否生效", "生效", "判决状态", "final", required=True),
    ),
)
FINAL_WORDS = {"是", "生效", "已生效", "判决生效", "yes", "y", "true", "1", "final"}
NOT_FINAL_WORDS = {"否", "未生效", "上诉中", "抗诉中", "no", "n", "false", "0", "not final"}


@dataclass
class ImportResult:
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
        return {k: getattr(self, k) for k in ("read", "inserted", "updated", "unchanged", "rejected")}


def may_import(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.is_superuser or user.role in IMPORTERS)


def _record(data: dict, *, scope_path: str, today: dt.date) -> CriminalRecord:
    number = data.get("judgement_number", "").strip()
    if not number:
        raise RowRejected("judgement_number", _("Required."))
    if len(number) > 64:
        raise RowRejected("judgement_number", _("At most 64 characters."))
    name = data.get("name", "").strip()
    if not name or len(name) > 64:
        raise RowRejected("name", _("Required, at most 64 characters."))
    try:
        id_number = parse_id_number(data.get("id_number", ""), today=today).number
    except InvalidValue as exc:
        raise RowRejected("id_number", exc.reason) from None
    try:
        judged_on = dt.date.fromisoformat(data.get("judged_on", "").strip()[:10].replace("/", "-"))
    except ValueError:
        raise RowRejected(
            "judged_on", _("not a date (YYYY-MM-DD): %(value)s") % {"value": data.get("judged_on", "")}
        ) from None
    if judged_on > today:
        raise RowRejected("judged_on", _("%(value)s is in the future") % {"value": judged_on})
    word = data.get("final", "").strip().lower()
    if word not in FINAL_WORDS | NOT_FINAL_WORDS:
        raise RowRejected(
            "final", _("say 是 (final) or 否 (not final): %(value)s") % {"value": data.get("final", "")}
        )
    return CriminalRecord(
        judgement_number=number,
        name=name,
        id_number=id_number,
        court=data.get("court", "").strip()[:100],
        offence=data.get("offence", "").strip()[:100],
        judged_on=judged_on,
        final=word in FINAL_WORDS,
        scope_path=scope_path,
    )


def import_records(path, *, actor, errors_path=None, file_name: str | None = None) -> ImportResult:
    """Import the judicial data file as ``actor`` (a county or city bureau). ImportFileError
    (nothing written) when it cannot be read; PermissionDenied for other roles."""
    if not may_import(actor):
        raise PermissionDenied(_("Only a county or city bureau imports court judgements."))
    paths = actor.scope_paths()
    if not paths:
        raise PermissionDenied(_("You are posted nowhere."))
    scope_path = min(paths, key=len)
    today = timezone.localdate()
    source = readers.inspect_file(path, name=file_name)
    with readers.open_table(source) as table:
        header = match_header(JUDGEMENTS, table.header, file_name=source.name)
        if errors_path is not None:
            check_writable(errors_path)
        result = ImportResult(source.name, source.sha256, source.encoding_label)
        seen: dict[str, int] = {}
        for chunk in chunks(table, header, CHUNK_SIZE):
            reject = Rejections(header)
            records = []
            for row in chunk:
                try:
                    record = _record(row.data, scope_path=scope_path, today=today)
                except RowRejected as exc:
                    reject(row, exc)
                    continue
                if record.judgement_number in seen:
                    reject(
                        row,
                        RowRejected(
                            "judgement_number",
                            _("the same %(what)s is on line %(line)d already")
                            % {
                                "what": header.header_of("judgement_number"),
                                "line": seen[record.judgement_number],
                            },
                        ),
                    )
                    continue
                seen[record.judgement_number] = row.line
                records.append(record)
            known = dict(
                CriminalRecord.objects.unscoped(reason=UNSCOPED_KNOWN)
                .filter(judgement_number__in=[r.judgement_number for r in records])
                .values_list("judgement_number", "final")
            )
            new = [r for r in records if r.judgement_number not in known]
            now_final = [
                r.judgement_number for r in records if r.final and known.get(r.judgement_number) is False
            ]
            with transaction.atomic():
                CriminalRecord.objects.bulk_create(new)
                if now_final:
                    CriminalRecord.objects.unscoped(reason=UNSCOPED_KNOWN).filter(
                        judgement_number__in=now_final
                    ).update(final=True)
            result.read += len(chunk)
            result.inserted += len(new)
            result.updated += len(now_final)
            result.unchanged += len(records) - len(new) - len(now_final)
            result.rejected += len(reject)
            result.rejections.extend(reject.in_order())
    if result.rejections:
        dest = (
            Path(errors_path)
            if errors_path
            else imports_dir() / f"judgements-{source.sha256[:12]}-errors{error_file_suffix(source)}"
        )
        write_error_file(source, table.header, result.rejections, dest)
        result.errors_file = str(dest.resolve())
    with transaction.atomic():
        record_import(
            source,
            result.counts(),
            actor=actor,
            kind=JUDGEMENTS.name,
            object_type="selfservice.criminalrecord",
            object_id=source.sha256,
            object_repr=f"judgements: {source.name}"[:200],
        )
    result.message = import_summary(result.file, result.encoding, result.counts())
    return result
