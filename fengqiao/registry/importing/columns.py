"""The columns of each kind of registry record a file may hold, and the downloadable templates
(CSV and XLSX with the Chinese headers). Matching a file's header is ``core.importing.columns``.
"""

import csv
import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core.importing.columns import C, Kind

_POINT = (
    C("lon", "经度", "longitude", "lng", help=gettext_lazy("WGS-84 longitude, decimal degrees")),
    C("lat", "纬度", "latitude", help=gettext_lazy("WGS-84 latitude, decimal degrees")),
    C("datum", "坐标系", "坐标类型", "datum", help=gettext_lazy("WGS-84 (the default) or GCJ-02")),
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
        *_POINT,
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
