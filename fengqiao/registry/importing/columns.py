"""Which column is which: headers matched by their Chinese or English names, per kind of record,
and the downloadable templates (CSV and XLSX with the Chinese headers).

The Chinese header of each column is what the stations' spreadsheets use and what the templates
carry; it is part of the file format, so it is not translated. The aliases cover the usual
variants (身份证号 for 公民身份号码, 手机号码 for 联系电话 …) and the field's English name.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.geo.actions import ImportFileError

# Columns the importer adds to an error file; ignored when the fixed file comes back.
LINE_COLUMN = "错误行号"
COLUMN_COLUMN = "错误列"
REASON_COLUMN = "错误原因"
ERROR_COLUMNS = (LINE_COLUMN, COLUMN_COLUMN, REASON_COLUMN)


@dataclass(frozen=True)
class Column:
    """One column a file of some kind may have."""

    field: str  # key of the row dict handed to the cleaning of the kind
    header: str  # the Chinese header, as in the template
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""  # lazily translated: what goes in, for the template's instructions

    def names(self) -> tuple[str, ...]:
        return (self.header, self.field, *self.aliases)


@dataclass(frozen=True)
class Kind:
    """A kind of record that can be imported: its name on the command line and its columns."""

    name: str  # addresses, people, houses, organisations, relations
    record_kind: str  # RecordKind value
    label: str
    columns: tuple[Column, ...]
    # at least one column of each group must be present (e.g. an address by code or by text)
    one_of: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.field == name)


def C(field_name, header, *aliases, required=False, help=""):  # noqa: N802 - a table-building shorthand
    return Column(field_name, header, tuple(aliases), required, help)


_POINT = (
    C("lon", "经度", "longitude", "lng", help=gettext_lazy("WGS-84 longitude, decimal degrees")),
    C("lat", "纬度", "latitude", help=gettext_lazy("WGS-84 latitude, decimal degrees")),
)
_GRID = C(
    "grid", "网格编码", "网格代码", "所属网格", "grid_code", help=gettext_lazy("the grid's 14–15 digit code")
)
_COLLECTED = C(
    "collected_at", "采集日期", "登记时间", "采集时间", help=gettext_lazy("date the record was collected")
)

PEOPLE = Kind(
    "people",
    "person",
    gettext_lazy("people"),
    (
        C(
            "id_number",
            "公民身份号码",
            "身份证号",
            "身份证号码",
            "身份证",
            "居民身份证号码",
            required=True,
            help=gettext_lazy("18 characters (15-digit numbers are converted); format the column as text"),
        ),
        C("name", "姓名", required=True),
        C("former_name", "曾用名"),
        C("sex", "性别", help=gettext_lazy("男 / 女; must agree with the ID number")),
        C("ethnicity", "民族", help=gettext_lazy("e.g. 汉族, 回族")),
        C("birth_date", "出生日期", help=gettext_lazy("YYYY-MM-DD; must agree with the ID number")),
        C("native_place", "籍贯"),
        C("marital_status", "婚姻状况"),
        C("education", "文化程度", "学历"),
        C("occupation", "职业"),
        C("workplace", "服务处所", "工作单位"),
        C("phone", "联系电话", "手机号码", "电话", "手机", "联系方式"),
        C("hukou_address", "户籍地址", "户籍地详址", "户籍地址详址", "户籍地"),
        C(
            "current_address",
            "现住址",
            "现住地址",
            "居住地址",
            "实际居住地址",
            help=gettext_lazy("a standard address already in the registry: its full text or its code"),
        ),
        C("address_code", "地址编码", "现住址编码", "标准地址编码", "address"),
        _GRID,
        C(
            "resident_type",
            "人员类型",
            "人口类型",
            help=gettext_lazy("户籍 / 流动 / 境外 / 留守 (default 户籍)"),
        ),
        C("reason_for_coming", "来此事由", "暂住事由"),
        C("residence_permit_number", "居住证号", "居住证编号"),
        C("residence_permit_expires", "居住证有效期至", "居住证到期日期"),
        C("registered_on", "登记日期", "申报日期"),
        C("nationality", "国籍"),
        C("document_type", "证件类型"),
        C("document_number", "证件号码", "护照号码"),
        C("entry_date", "入境日期"),
        C("planned_exit_date", "拟离境日期", "预计离境日期"),
        _COLLECTED,
        *_POINT,
    ),
)

ADDRESSES = Kind(
    "addresses",
    "address",
    gettext_lazy("addresses"),
    (
        C(
            "code",
            "地址编码",
            "标准地址编码",
            "地址代码",
            help=gettext_lazy("leave empty for a new address: one is generated from the grid"),
        ),
        C(
            "element_type",
            "地址要素类型",
            "要素类型",
            help=gettext_lazy(
                "GA/T 2000.32 code or name: 41 街路巷, 42 小区, 51 门楼牌, 52 楼栋, 53 单元, 54 户室"
            ),
        ),
        C(
            "community",
            "社区（村）",
            "所属社区",
            "社区",
            "村",
            "社区村",
            "社区编码",
            help=gettext_lazy("the village/community: its 12-digit code or its name"),
        ),
        C("street", "街路巷", "街路巷名称", "街道"),
        C("compound", "小区", "小区名称"),
        C("door_plate", "门楼牌号", "门牌号", "门楼牌"),
        C("building", "楼栋", "楼栋号", "幢"),
        C("unit", "单元", "单元号"),
        C("room", "户室", "户室号", "房间号", "室"),
        _GRID,
        *_POINT,
    ),
)

HOUSES = Kind(
    "houses",
    "house",
    gettext_lazy("houses"),
    (
        C("address_code", "地址编码", "房屋地址编码", "标准地址编码", "address"),
        C("address_text", "房屋地址", "地址", "address_text"),
        C(
            "use",
            "房屋用途",
            "用途",
            help=gettext_lazy("住宅 / 商业 / 商住 / 办公 / 工业 / 仓储 / 空置 / 其他"),
        ),
        C(
            "ownership",
            "产权性质",
            "房屋性质",
            help=gettext_lazy("商品房 / 自建房 / 公房 / 保障房 / 集体 / 单位产权 / 其他"),
        ),
        C("owner_id_number", "房主身份证号", "产权人身份证号", "房主公民身份号码", "owner"),
        C("area_m2", "建筑面积", "面积", "建筑面积（平方米）", "area"),
        C("rooms", "房间数", "间数"),
        C("is_rented", "是否出租", "出租", help=gettext_lazy("是 / 否")),
        C("landlord_id_number", "出租人身份证号", "出租人公民身份号码", "landlord"),
        _COLLECTED,
    ),
    one_of=(("address_code", "address_text"),),
)

ORGANISATIONS = Kind(
    "organisations",
    "organisation",
    gettext_lazy("organisations"),
    (
        C("credit_code", "统一社会信用代码", "信用代码", "社会信用代码", required=True),
        C("name", "单位名称", "名称", "企业名称", required=True),
        C(
            "org_type",
            "单位类型",
            "单位性质",
            "type",
            help=gettext_lazy("企业 / 个体工商户 / 机关 / 事业单位 / 社会团体 / 民办非企业 / 其他"),
        ),
        C("legal_representative", "法定代表人", "负责人"),
        C("legal_representative_id", "法定代表人身份证号", "负责人身份证号", "法定代表人公民身份号码"),
        C("address_code", "地址编码", "单位地址编码", "标准地址编码", "address"),
        C("address_text", "单位地址", "地址", "address_text"),
        C("industry", "所属行业", "行业"),
        C(
            "special_trades",
            "特种行业",
            "特殊行业",
            help=gettext_lazy("any of 旅馆 / 网吧 / 寄递物流 / 危险物品, separated by 、 or ;"),
        ),
        C("phone", "联系电话", "电话"),
        _COLLECTED,
        *_POINT,
    ),
    one_of=(("address_code", "address_text"),),
)

RELATIONS = Kind(
    "relations",
    "relation",
    gettext_lazy("relations"),
    (
        C("id_number", "公民身份号码", "身份证号", "身份证号码", required=True),
        C("address_code", "房屋地址编码", "地址编码", "标准地址编码", "address"),
        C("address_text", "房屋地址", "地址", "address_text"),
        C("credit_code", "统一社会信用代码", "信用代码", "社会信用代码"),
        C(
            "kind",
            "关系类型",
            "居住类型",
            "居住方式",
            help=gettext_lazy("户籍 / 自住 / 租住 / 借住 / 宿舍 / 其他 for a house; 就业 for a unit"),
        ),
        C("role", "职务", "岗位"),
        C("start_date", "起始日期", "开始日期", "入住日期", "入职日期", required=True),
        C("end_date", "结束日期", "离开日期", "搬离日期", "离职日期"),
        C("registered_on", "登记日期", "申报日期"),
    ),
    one_of=(("address_code", "address_text", "credit_code"),),
)

KINDS: dict[str, Kind] = {k.name: k for k in (ADDRESSES, PEOPLE, HOUSES, ORGANISATIONS, RELATIONS)}


def kind_named(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(
            _("unknown kind %(kind)r: use one of %(kinds)s") % {"kind": name, "kinds": ", ".join(KINDS)}
        ) from None


_HEADER_NOISE = re.compile(r"[\s*＊:：_\-()（）]+")


def normalise_header(text: str) -> str:
    """Case, width, blanks, brackets and required-markers do not matter: 公民身份号码* = 公民身份 号码."""
    text = unicodedata.normalize("NFKC", text or "").lstrip("\ufeff")
    return _HEADER_NOISE.sub("", text).lower()


@dataclass(frozen=True)
class HeaderMap:
    """Where each known field sits in a file's rows, and which headers were ignored."""

    kind: Kind
    header: tuple[str, ...]
    positions: dict[str, int]  # field → index in the row
    ignored: tuple[str, ...]

    def has(self, field_name: str) -> bool:
        return field_name in self.positions

    def header_of(self, field_name: str) -> str:
        """The file's own header for a field (for error messages), else the template's."""
        index = self.positions.get(field_name)
        if index is not None:
            return self.header[index]
        column = next((c for c in self.kind.columns if c.field == field_name), None)
        return column.header if column is not None else field_name


def match_header(kind: Kind, header: list[str], *, file_name: str = "") -> HeaderMap:
    """Map a file's header to the kind's fields. ImportFileError when a required column is
    missing or two columns claim the same field."""
    lookup: dict[str, str] = {}
    for column in kind.columns:
        for name in column.names():
            lookup.setdefault(normalise_header(name), column.field)
    ignored_names = {normalise_header(n) for n in ERROR_COLUMNS}
    positions: dict[str, int] = {}
    ignored = []
    for index, text in enumerate(header):
        key = normalise_header(text)
        field_name = lookup.get(key)
        if field_name is None:
            if key and key not in ignored_names:
                ignored.append(text)
            continue
        if field_name in positions:
            raise ImportFileError(
                _("%(file)s: the columns %(a)s and %(b)s both mean %(field)s; keep one")
                % {
                    "file": file_name,
                    "a": header[positions[field_name]],
                    "b": text,
                    "field": kind.column(field_name).header,
                }
            )
        positions[field_name] = index
    missing = [c.header for c in kind.columns if c.required and c.field not in positions]
    for group in kind.one_of:
        if not any(f in positions for f in group):
            missing.append(" / ".join(kind.column(f).header for f in group))
    if missing:
        raise ImportFileError(
            _("%(file)s lacks the column(s) %(columns)s (found: %(found)s)")
            % {"file": file_name, "columns": ", ".join(missing), "found": ", ".join(h for h in header if h)}
        )
    return HeaderMap(kind, tuple(header), positions, tuple(ignored))


# ---------------------------------------------------------------------------------------------
# templates


def template_headers(kind: Kind) -> list[str]:
    return [c.header for c in kind.columns]


def template_csv(kind: Kind) -> bytes:
    """The kind's template as CSV in UTF-8 with a BOM (so Excel shows the Chinese headers)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(template_headers(kind))
    return buffer.getvalue().encode("utf-8-sig")


# Columns a spreadsheet would otherwise turn into numbers (and mangle).
TEXT_FIELDS = {
    "id_number",
    "phone",
    "owner_id_number",
    "landlord_id_number",
    "legal_representative_id",
    "credit_code",
    "code",
    "address_code",
    "grid",
    "community",
    "residence_permit_number",
    "document_number",
}


def template_xlsx(kind: Kind) -> bytes:
    """The kind's template as XLSX: the headers on the first sheet, with ID, phone and code columns
    formatted as text; a second sheet lists the columns, which are required and what goes in."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = str(kind.label)[:31]
    sheet.append(template_headers(kind))
    bold = Font(bold=True)
    for index, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(index)
        sheet.cell(row=1, column=index).font = bold
        sheet.column_dimensions[letter].width = max(10, len(column.header) * 2 + 4)
        if column.field in TEXT_FIELDS:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 1001):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(_("Instructions")[:31])
    notes.append([_("Column"), _("Also accepted"), _("Required"), _("What goes in")])
    for cell in notes[1]:
        cell.font = bold
    for column in kind.columns:
        notes.append(
            [
                column.header,
                " / ".join((column.field, *column.aliases)),
                _("yes") if column.required else "",
                str(column.help),
            ]
        )
    for group in kind.one_of:
        notes.append(
            [
                " / ".join(kind.column(f).header for f in group),
                "",
                _("one of them"),
                _("at least one is needed"),
            ]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
