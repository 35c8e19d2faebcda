"""Export of a scoped selection of registry records to CSV or XLSX, audited.

The columns are the import templates' (Chinese headers, the stations' own words for the closed
vocabularies), so an export opens like the spreadsheets the stations keep. ID numbers and phones
are masked unless the exporter's role sees them whole (``selectors.sees_whole_numbers``); the
export is one audit entry (``export``) with the count, the kind, the format and the filter.
Rows are streamed from the database to the file, never all held in memory.
"""

import contextlib
import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.exporting import write_table
from fengqiao.geo.models import Grid
from fengqiao.registry import access, reads, selectors
from fengqiao.registry import rules as values
from fengqiao.registry.choices import SpecialTrade
from fengqiao.registry.code_tables import PERSON_CODE_FIELDS, standard_name
from fengqiao.registry.importing.columns import KINDS, kind_named
from fengqiao.registry.models import Employment, Residence

FORMATS = ("csv", "xlsx")
UNSCOPED_EXPORT = "registry export: grid codes for the filter"


def _reverse(vocabulary: dict) -> dict:
    """Choice value → the first (the usual) word for it."""
    out = {}
    for word, value in vocabulary.items():
        out.setdefault(str(value), word)
    return out


SEX_WORDS = {"M": "男", "F": "女"}
RESIDENT_WORDS = _reverse(values.RESIDENT_TYPES)
RESIDENCE_WORDS = _reverse(values.RESIDENCE_TYPES)
USE_WORDS = _reverse(values.HOUSE_USES)
OWNERSHIP_WORDS = _reverse(values.HOUSE_OWNERSHIPS)
ORG_WORDS = _reverse(values.ORGANISATION_TYPES)
TRADE_WORDS = _reverse(values.SPECIAL_TRADES)
ELEMENT_WORDS = _reverse(values.ADDRESS_ELEMENTS)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


class _Masks:
    def __init__(self, actor):
        self.whole = selectors.sees_whole_numbers(actor)
        self.actor = actor

    def id_number(self, value) -> str:
        return selectors.shown_id_number(self.actor, value) if value else ""

    def phone(self, value) -> str:
        return selectors.shown_phone(self.actor, value) if value else ""

    def birth_date(self, value) -> str:
        return selectors.shown_birth_date(self.actor, value)


def _people(actor, masks: _Masks, qs):
    fields = {
        "id_number": lambda r: masks.id_number(r["id_number"]),
        "name": "name",
        "former_name": "former_name",
        "sex": lambda r: SEX_WORDS.get(r["sex"], r["sex"]),
        "ethnicity": lambda r: standard_name("ethnicity", r["ethnicity"]),
        "birth_date": lambda r: masks.birth_date(r["birth_date"]),
        "native_place": "native_place",
        "marital_status": lambda r: standard_name("marital_status", r["marital_status"]),
        "education": lambda r: standard_name("education", r["education"]),
        "occupation": "occupation",
        "workplace": "workplace",
        "phone": lambda r: masks.phone(r["phone"]),
        "hukou_address": "hukou_address",
        "current_address": "current_address__full_text",
        "address_code": "current_address__code",
        "grid": "grid__code",
        "resident_type": lambda r: RESIDENT_WORDS.get(r["resident_type"], r["resident_type"]),
        "reason_for_coming": "reason_for_coming",
        "residence_permit_number": "residence_permit_number",
        "residence_permit_expires": "residence_permit_expires",
        "registered_on": "registered_on",
        "nationality": "nationality",
        "document_type": "document_type",
        "document_number": "document_number",
        "entry_date": "entry_date",
        "planned_exit_date": "planned_exit_date",
        "collected_at": "collected_at",
        "lon": None,
        "lat": None,
    }
    return qs, fields


def _addresses(actor, masks, qs):
    fields = {
        "code": "code",
        "element_type": lambda r: ELEMENT_WORDS.get(r["element_type"], r["element_type"]),
        "community": "community__code",
        "street": "street",
        "compound": "compound",
        "door_plate": "door_plate",
        "building": "building",
        "unit": "unit",
        "room": "room",
        "grid": "grid__code",
        "lon": "lon",
        "lat": "lat",
    }
    return qs, fields


def _houses(actor, masks, qs):
    fields = {
        "address_code": "address__code",
        "address_text": "address__full_text",
        "use": lambda r: USE_WORDS.get(r["use"], r["use"]),
        "ownership": lambda r: OWNERSHIP_WORDS.get(r["ownership"], r["ownership"]),
        "owner_id_number": lambda r: masks.id_number(r["owner__id_number"]),
        "area_m2": "area_m2",
        "rooms": "rooms",
        "is_rented": "is_rented",
        "landlord_id_number": lambda r: masks.id_number(r["landlord__id_number"]),
        "collected_at": "collected_at",
    }
    return qs, fields, ["owner__id_number", "landlord__id_number"]


def _organisations(actor, masks, qs):
    fields = {
        "credit_code": "credit_code",
        "name": "name",
        "org_type": lambda r: ORG_WORDS.get(r["org_type"], r["org_type"]),
        "legal_representative": "legal_representative",
        "legal_representative_id": lambda r: masks.id_number(r["legal_representative_id"]),
        "address_code": "address__code",
        "address_text": "address__full_text",
        "industry": "industry",
        "special_trades": lambda r: "、".join(TRADE_WORDS[t.value] for t in SpecialTrade if r[t.value]),
        "phone": lambda r: masks.phone(r["phone"]),
        "collected_at": "collected_at",
        "lon": None,
        "lat": None,
    }
    return qs, fields, [t.value for t in SpecialTrade]


def _relations_rows(actor, masks, grid_ids, include_retired):
    """Residences then employments, as rows of the relations template."""
    residences = Residence.objects.visible_to(actor)
    employments = Employment.objects.visible_to(actor)
    if grid_ids is not None:
        residences = residences.filter(grid_id__in=grid_ids)
        employments = employments.filter(grid_id__in=grid_ids)
    if not include_retired:
        residences = residences.filter(end_date__isnull=True)
        employments = employments.filter(end_date__isnull=True)
    for r in (
        residences.order_by("id")
        .values(
            "person_id",
            "person__id_number",
            "house__address__code",
            "house__address__full_text",
            "kind",
            "start_date",
            "end_date",
            "registered_on",
        )
        .iterator(chunk_size=2000)
    ):
        reads.note(reads.PERSON, r["person_id"])
        yield {
            "id_number": masks.id_number(r["person__id_number"]),
            "address_code": r["house__address__code"],
            "address_text": r["house__address__full_text"],
            "credit_code": "",
            "kind": RESIDENCE_WORDS.get(r["kind"], r["kind"]),
            "role": "",
            "start_date": _text(r["start_date"]),
            "end_date": _text(r["end_date"]),
            "registered_on": _text(r["registered_on"]),
        }
    for r in (
        employments.order_by("id")
        .values(
            "person_id", "person__id_number", "organisation__credit_code", "role", "start_date", "end_date"
        )
        .iterator(chunk_size=2000)
    ):
        reads.note(reads.PERSON, r["person_id"])
        yield {
            "id_number": masks.id_number(r["person__id_number"]),
            "address_code": "",
            "address_text": "",
            "credit_code": r["organisation__credit_code"],
            "kind": "就业",
            "role": r["role"],
            "start_date": _text(r["start_date"]),
            "end_date": _text(r["end_date"]),
            "registered_on": "",
        }


# What an export puts on the record as read (registry.reads): the records carrying personal data.
_READ_KINDS = {"people": reads.PERSON, "houses": reads.HOUSE, "organisations": reads.ORGANISATION}

_RECORDS = {
    "people": (selectors.people_visible_to, _people),
    "addresses": (selectors.addresses_visible_to, _addresses),
    "houses": (selectors.houses_visible_to, _houses),
    "organisations": (selectors.organisations_visible_to, _organisations),
}


def _record_rows(actor, masks, kind_name, grid_ids, include_retired):
    select, describe = _RECORDS[kind_name]
    qs = select(actor, include_retired=include_retired)
    if grid_ids is not None:
        qs = qs.filter(grid_id__in=grid_ids)
    described = describe(actor, masks, qs)
    qs, fields = described[0], described[1]
    extra = described[2] if len(described) > 2 else []
    lookups = sorted(
        {v for v in fields.values() if isinstance(v, str)} | set(extra) | _lambda_keys(kind_name)
    )
    read_kind = _READ_KINDS.get(kind_name)
    if read_kind:
        lookups = sorted({*lookups, "id"})
    for record in qs.order_by("id").values(*lookups).iterator(chunk_size=2000):
        if read_kind:
            reads.note(read_kind, record["id"])
        row = {}
        for name, how in fields.items():
            if how is None:
                row[name] = ""
            elif isinstance(how, str):
                row[name] = _text(record[how])
            else:
                row[name] = _text(how(record))
        yield row


def _lambda_keys(kind_name: str) -> set:
    """The stored fields the computed columns read."""
    return {
        "people": {"id_number", "sex", "phone", "resident_type", "birth_date", *PERSON_CODE_FIELDS},
        "addresses": {"element_type"},
        "houses": {"use", "ownership"},
        "organisations": {"org_type", "legal_representative_id", "phone"},
    }[kind_name]


def _grid_ids(actor, grid_codes) -> list[int] | None:
    if not grid_codes:
        return None
    codes = [c.strip() for c in grid_codes if c and c.strip()]
    grids = dict(Grid.objects.visible_to(actor).filter(code__in=codes).values_list("code", "id"))
    unknown = [c for c in codes if c not in grids]
    if unknown:
        raise ValidationError(
            {"grid": [_("no such grid in your area: %(codes)s") % {"codes": ", ".join(unknown)}]}
        )
    return list(grids.values())


@transaction.atomic
def export_records(*, actor, kind: str, fmt: str, path, grids=(), include_retired: bool = False) -> int:
    """Write the records of ``kind`` that ``actor`` may see (optionally only in the grids with
    the codes ``grids``) to ``path`` as CSV (UTF-8 with BOM) or XLSX; returns how many rows."""
    if not selectors.may_collect(actor):
        raise PermissionDenied(_("You may not export registry records."))
    spec = kind_named(kind)
    if fmt not in FORMATS:
        raise ValidationError({"format": [_("use csv or xlsx")]})
    grid_ids = _grid_ids(actor, grids)
    masks = _Masks(actor)
    if kind == "relations":
        rows = _relations_rows(actor, masks, grid_ids, include_retired)
    else:
        rows = _record_rows(actor, masks, kind, grid_ids, include_retired)
    headers = [c.header for c in spec.columns]
    names = [c.field for c in spec.columns]
    # The people, houses and organisations exported are read: on the request's read entry, or,
    # outside a request (the worker, the CLI), on one of the export's own.
    outer = reads.current()
    with contextlib.nullcontext(outer) if outer is not None else reads.collecting() as collected:
        count = write_table(Path(path), fmt, headers, ([row.get(n, "") for n in names] for row in rows))
        if outer is None:
            access.flush(actor, collected)
    audit.record(
        audit.EXPORT,
        actor=actor,
        object_type=f"registry.{spec.record_kind}",
        object_repr=_("%(kind)s as %(format)s") % {"kind": spec.label, "format": fmt.upper()},
        after={
            "count": count,
            "kind": kind,
            "format": fmt,
            "filter": {"grids": sorted(grids or []), "include_retired": include_retired},
            "masked": not masks.whole,
        },
    )
    return count


__all__ = ["FORMATS", "KINDS", "export_records"]
