"""The registry's field rules, written once: what a value must be (a date, one of the choices, a
sex agreeing with the ID number …) and the words spreadsheets use for the closed vocabularies
(户籍, 租住, 1990/1/2 …). The actions, and so the forms, the API and the importer, call them, so a
value is refused for the same reason whichever door it came through. The identifiers (ID
numbers, credit codes, phones) are ``validators``'.

A rule returns the clean value or raises ``InvalidValue`` with a reason a clerk can act on;
``Errors`` gathers a record's reasons by field into one ValidationError.
"""

import datetime as dt
import functools
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models.functions import Length
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fengqiao.registry.choices import (
    AddressElement,
    HouseOwnership,
    HouseUse,
    OrganisationType,
    ResidenceType,
    ResidentType,
    Sex,
    SpecialTrade,
)
from fengqiao.registry.code_tables import PERSON_CODE_FIELDS
from fengqiao.registry.validators import (
    InvalidValue,
    check_birth_date_matches,
    check_sex_matches,
    parse_id_number,
    parse_phone,
)

# ---------------------------------------------------------------------------------------------
# the words of the closed vocabularies

RESIDENT_TYPES = {
    "户籍": ResidentType.REGISTERED,
    "户籍人口": ResidentType.REGISTERED,
    "常住": ResidentType.REGISTERED,
    "常住人口": ResidentType.REGISTERED,
    "流动": ResidentType.FLOATING,
    "流动人口": ResidentType.FLOATING,
    "暂住": ResidentType.FLOATING,
    "暂住人口": ResidentType.FLOATING,
    "境外": ResidentType.OVERSEAS,
    "境外人员": ResidentType.OVERSEAS,
    "境外人口": ResidentType.OVERSEAS,
    "留守": ResidentType.LEFT_BEHIND,
    "留守人员": ResidentType.LEFT_BEHIND,
    "留守人口": ResidentType.LEFT_BEHIND,
}

RESIDENCE_TYPES = {
    "户籍": ResidenceType.HUKOU,
    "自住": ResidenceType.OWNER,
    "自有": ResidenceType.OWNER,
    "租住": ResidenceType.RENTING,
    "租赁": ResidenceType.RENTING,
    "出租": ResidenceType.RENTING,
    "借住": ResidenceType.STAYING,
    "寄住": ResidenceType.STAYING,
    "宿舍": ResidenceType.DORMITORY,
    "单位宿舍": ResidenceType.DORMITORY,
    "其他": ResidenceType.OTHER,
}
EMPLOYMENT_WORDS = {"就业", "工作", "任职", "雇佣", "从业", "employment"}

HOUSE_USES = {
    "住宅": HouseUse.RESIDENTIAL,
    "居住": HouseUse.RESIDENTIAL,
    "商业": HouseUse.COMMERCIAL,
    "商铺": HouseUse.COMMERCIAL,
    "商住": HouseUse.MIXED,
    "商住两用": HouseUse.MIXED,
    "办公": HouseUse.OFFICE,
    "工业": HouseUse.INDUSTRIAL,
    "厂房": HouseUse.INDUSTRIAL,
    "仓储": HouseUse.WAREHOUSE,
    "仓库": HouseUse.WAREHOUSE,
    "空置": HouseUse.VACANT,
    "闲置": HouseUse.VACANT,
    "其他": HouseUse.OTHER,
}

HOUSE_OWNERSHIPS = {
    "商品房": HouseOwnership.COMMERCIAL,
    "自建房": HouseOwnership.SELF_BUILT,
    "自建": HouseOwnership.SELF_BUILT,
    "公房": HouseOwnership.PUBLIC,
    "公有住房": HouseOwnership.PUBLIC,
    "保障房": HouseOwnership.AFFORDABLE,
    "保障性住房": HouseOwnership.AFFORDABLE,
    "经济适用房": HouseOwnership.AFFORDABLE,
    "廉租房": HouseOwnership.AFFORDABLE,
    "集体": HouseOwnership.COLLECTIVE,
    "集体产权": HouseOwnership.COLLECTIVE,
    "单位产权": HouseOwnership.EMPLOYER,
    "单位": HouseOwnership.EMPLOYER,
    "其他": HouseOwnership.OTHER,
}

ORGANISATION_TYPES = {
    "企业": OrganisationType.ENTERPRISE,
    "公司": OrganisationType.ENTERPRISE,
    "个体工商户": OrganisationType.INDIVIDUAL_BUSINESS,
    "个体": OrganisationType.INDIVIDUAL_BUSINESS,
    "机关": OrganisationType.GOVERNMENT,
    "党政机关": OrganisationType.GOVERNMENT,
    "国家机关": OrganisationType.GOVERNMENT,
    "事业单位": OrganisationType.PUBLIC_INSTITUTION,
    "社会团体": OrganisationType.SOCIAL_ORGANISATION,
    "社会组织": OrganisationType.SOCIAL_ORGANISATION,
    "民办非企业": OrganisationType.PRIVATE_NON_ENTERPRISE,
    "民办非企业单位": OrganisationType.PRIVATE_NON_ENTERPRISE,
    "其他": OrganisationType.OTHER,
}

SPECIAL_TRADES = {
    "旅馆": SpecialTrade.HOTEL,
    "旅馆业": SpecialTrade.HOTEL,
    "酒店": SpecialTrade.HOTEL,
    "宾馆": SpecialTrade.HOTEL,
    "网吧": SpecialTrade.INTERNET_CAFE,
    "互联网上网服务": SpecialTrade.INTERNET_CAFE,
    "寄递物流": SpecialTrade.LOGISTICS,
    "物流": SpecialTrade.LOGISTICS,
    "快递": SpecialTrade.LOGISTICS,
    "寄递": SpecialTrade.LOGISTICS,
    "危险物品": SpecialTrade.HAZARDOUS_GOODS,
    "危化品": SpecialTrade.HAZARDOUS_GOODS,
    "危险化学品": SpecialTrade.HAZARDOUS_GOODS,
}

ADDRESS_ELEMENTS = {
    "社区": AddressElement.COMMUNITY,
    "居委会": AddressElement.RESIDENTS_COMMITTEE,
    "村委会": AddressElement.VILLAGE_COMMITTEE,
    "街路巷": AddressElement.STREET,
    "小区": AddressElement.COMPOUND,
    "门楼牌": AddressElement.DOOR_PLATE,
    "门楼牌号": AddressElement.DOOR_PLATE,
    "楼栋": AddressElement.BUILDING,
    "单元": AddressElement.UNIT,
    "户室": AddressElement.ROOM,
}

SEX_WORDS = {
    "男": Sex.MALE,
    "女": Sex.FEMALE,
    "male": Sex.MALE,
    "female": Sex.FEMALE,
    "m": Sex.MALE,
    "f": Sex.FEMALE,
}

TRUE_WORDS = {"是", "有", "y", "yes", "true", "t", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "f", "0", "×", ""}

DATE_FIELDS = {
    "birth_date",
    "residence_permit_expires",
    "registered_on",
    "entry_date",
    "planned_exit_date",
    "collected_at",
    "start_date",
    "end_date",
    "since",
    "until",
}


class Errors(dict):
    """Field → messages, raised together as one ValidationError."""

    def add(self, name: str, message) -> None:
        self.setdefault(name, []).append(str(message))

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


# ---------------------------------------------------------------------------------------------
# values


def text(value) -> str:
    return "" if value is None else str(value).strip()


_DATE_PARTS = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def date(value):
    """A date, from a date or its usual spellings (1990-01-02, 1990-1-2, 1990/01/02, 1990.1.2,
    1990年1月2日, 19900102); None for an empty value."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    spelled = str(value)
    if not _ISO_DATE.match(spelled):
        spelled = unicodedata.normalize("NFKC", spelled).strip()
        match = _DATE_PARTS.match(spelled) or _COMPACT_DATE.match(spelled)
        if match is not None:
            year, month, day = match.groups()
            spelled = f"{year}-{int(month):02d}-{int(day):02d}"
    try:
        return dt.date.fromisoformat(spelled)
    except ValueError:
        raise InvalidValue(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": value}, "bad_date") from None


def word(value, vocabulary: dict, choices) -> str:
    """A closed-vocabulary word as the choice value: the Chinese word, the value itself or its
    English label; anything else is given back as it is (``choice`` then refuses it)."""
    spelled = unicodedata.normalize("NFKC", value or "").strip()
    if not spelled or spelled in choices.values:
        return spelled
    if spelled in vocabulary:
        return str(vocabulary[spelled])
    lowered = spelled.lower()
    for item in choices:
        if lowered in (item.value.lower(), str(item.label).lower()):
            return item.value
    return spelled


def choice(value, choices, vocabulary: dict | None = None) -> str:
    """One of ``choices``' values; with a ``vocabulary``, its words are taken too."""
    value = text(value)
    if vocabulary is not None:
        value = word(value, vocabulary, choices)
    if value not in choices.values:
        raise InvalidValue(
            _("%(value)r is not one of %(choices)s") % {"value": value, "choices": ", ".join(choices.values)},
            "bad_choice",
        )
    return value


def coded(value, choices, words: dict, *, table: str) -> str:
    """A value of a national code table: its code ("1" reads as 01), the standard's name, a short
    form stations write (``words``: 汉 for 汉族, 大专) or the English label; "" for an empty value."""
    spelled = unicodedata.normalize("NFKC", text(value)).replace(" ", "")
    if not spelled:
        return ""
    if spelled.isdigit() and len(spelled) <= 2:
        spelled = spelled.zfill(2)
    if spelled in choices.values:
        return spelled
    if spelled in words:
        return words[spelled]
    lowered = spelled.lower()
    for item in choices:
        if lowered == str(item.label).replace(" ", "").lower():
            return item.value
    raise InvalidValue(
        _("%(value)s is not in the %(table)s code table: give a name or a code it lists.")
        % {"value": text(value), "table": table},
        "not_in_code_table",
    )


def choices_listed(value, choices, vocabulary: dict | None = None) -> list[str]:
    """A list of choices, or a text listing them (、 ， ; / separated)."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = re.split(r"[、,，;；/|\s]+", unicodedata.normalize("NFKC", value))
    return [choice(item, choices, vocabulary) for item in value if text(item)]


def boolean(value):
    """是/否, yes/no, 1/0 → True/False; None for anything else (the caller names the cell)."""
    spelled = unicodedata.normalize("NFKC", value or "").strip().lower()
    if spelled in TRUE_WORDS:
        return True
    if spelled in FALSE_WORDS:
        return False
    return None


def sex(value) -> str:
    spelled = text(value)
    if not spelled:
        return ""
    return SEX_WORDS.get(spelled.lower()) or choice(spelled, Sex)


def area(value):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidValue(_("%(value)r is not a number") % {"value": value}, "not_number") from None
    if number <= 0:
        raise InvalidValue(_("The area must be positive."), "not_positive")
    return number


def rooms(value):
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise InvalidValue(_("%(value)r is not a whole number") % {"value": value}, "not_number") from None
    if number < 0:
        raise InvalidValue(_("The number of rooms cannot be negative."), "not_positive")
    return number


def clean_fields(obj, data: dict, converters: dict, errors: Errors) -> None:
    """Convert and set each given field; conversion errors are collected under the field's name."""
    for name, value in data.items():
        convert = converters.get(name)
        try:
            if convert is not None:
                value = convert(value)
            elif name in DATE_FIELDS:
                value = date(value)
            elif isinstance(value, str):
                value = value.strip()
            elif value is None and obj._meta.get_field(name).get_internal_type() in (
                "CharField",
                "TextField",
            ):
                value = ""
        except InvalidValue as exc:
            errors.add(name, exc.reason)
            continue
        setattr(obj, name, value)


# ---------------------------------------------------------------------------------------------
# records

# The converters of a person's own fields (the actions add the references: address, grid).
PERSON_CONVERTERS = {
    "sex": sex,
    "resident_type": lambda v: choice(v, ResidentType, RESIDENT_TYPES),
    "phone": lambda v: parse_phone(v) if text(v) else "",
    "id_number": lambda v: parse_id_number(v).number if text(v) else None,
    "name": text,
    **{
        name: functools.partial(coded, choices=choices, words=words, table=standard)
        for name, (choices, words, standard) in PERSON_CODE_FIELDS.items()
    },
}


def check_person(person, data: dict, errors: Errors) -> None:
    """The rules that tie a person's fields together: the ID number's sex and birth date, the
    resident type's requirements."""
    if not person.name:
        errors.add("name", pgettext("person", "The name is required."))
    if "id_number" in errors:
        pass
    elif person.id_number:
        parsed = parse_id_number(person.id_number)
        for name, check, derived in (
            ("sex", check_sex_matches, parsed.sex),
            ("birth_date", check_birth_date_matches, parsed.birth_date),
        ):
            if name in data and name not in errors and data[name] not in (None, ""):
                try:
                    check(parsed, getattr(person, name))
                except InvalidValue as exc:
                    errors.add(name, exc.reason)
                    continue
            setattr(person, name, derived)
    elif person.resident_type != ResidentType.OVERSEAS:
        errors.add("id_number", _("The ID number is required (only overseas people may lack one)."))
    elif not person.sex and "sex" not in errors:
        errors.add("sex", _("Without an ID number the sex must be given."))

    if person.resident_type == ResidentType.FLOATING:
        if not (person.reason_for_coming or person.residence_permit_number):
            errors.add(
                "reason_for_coming",
                _("A floating resident needs a reason for coming or a residence permit."),
            )
        if person.residence_permit_number and not person.residence_permit_expires:
            errors.add("residence_permit_expires", _("Give the expiry date of the residence permit."))
        if person.residence_permit_expires and not person.residence_permit_number:
            errors.add("residence_permit_number", _("Give the number of the residence permit."))
    if person.resident_type == ResidentType.OVERSEAS:
        for name in ("nationality", "document_type", "document_number"):
            if not getattr(person, name):
                errors.add(name, _("Required for an overseas person."))
        if person.entry_date and person.planned_exit_date and person.planned_exit_date < person.entry_date:
            errors.add("planned_exit_date", _("The planned exit comes before the entry."))


def check_dates(obj, errors: Errors) -> None:
    """A relation ends after it starts."""
    if obj.start_date and obj.end_date and obj.end_date < obj.start_date:
        errors.add("end_date", _("The end comes before the start."))


def check_residence(residence, errors: Errors) -> None:
    """A tenancy has its move-in date; the report comes after the move-in."""
    if residence.kind == ResidenceType.RENTING and not residence.start_date and "start_date" not in errors:
        errors.add("start_date", _("A tenancy needs its move-in date."))
    if residence.registered_on and residence.start_date and residence.registered_on < residence.start_date:
        errors.add("registered_on", _("The report comes before the move-in."))
    check_dates(residence, errors)


def element_type(address) -> str:
    """The finest part an address names, as its element type."""
    for name, element in (
        ("room", AddressElement.ROOM),
        ("unit", AddressElement.UNIT),
        ("building", AddressElement.BUILDING),
        ("door_plate", AddressElement.DOOR_PLATE),
        ("compound", AddressElement.COMPOUND),
    ):
        if getattr(address, name):
            return element
    return AddressElement.STREET


def next_address_code(grid) -> str:
    """The grid code and a 6-digit sequence, one past the highest such code in the grid."""
    from fengqiao.registry.models import Address

    width = len(grid.code) + 6
    last = (
        Address.objects.unscoped(reason="registry: address codes are unique across the territory")
        .annotate(code_length=Length("code"))
        .filter(code__startswith=grid.code, code_length=width)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    seq = int(last[len(grid.code) :]) + 1 if last and last[len(grid.code) :].isdigit() else 1
    return f"{grid.code}{seq:06d}"
