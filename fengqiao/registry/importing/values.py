"""The words spreadsheets use for the registry's closed vocabularies, and the date and number
spellings they use, turned into what the actions accept.

This is the file format's side only: "租住" means ``renting``, "1990/1/2" means 1990-01-02. Whether
a value is allowed (a real date, a birth date agreeing with the ID number …) is decided by the
actions' and validators' rules, which the importer calls.
"""

import re
import unicodedata

from fengqiao.registry.choices import (
    AddressElement,
    HouseOwnership,
    HouseUse,
    OrganisationType,
    ResidenceType,
    ResidentType,
    SpecialTrade,
)

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

TRUE_WORDS = {"是", "有", "y", "yes", "true", "t", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "f", "0", "×", ""}


def word(value: str, vocabulary: dict, choices) -> str:
    """A closed-vocabulary cell as the choice value: the Chinese word, the value itself or its
    English label; anything else is passed on unchanged for the action's rule to reject."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    if text in vocabulary:
        return str(vocabulary[text])
    lowered = text.lower()
    for choice in choices:
        if lowered in (choice.value.lower(), str(choice.label).lower()):
            return choice.value
    return text


def words(value: str, vocabulary: dict, choices) -> list[str]:
    """A cell listing several vocabulary words (、 ， ; / separated)."""
    parts = re.split(r"[、,，;；/|\s]+", unicodedata.normalize("NFKC", value or ""))
    return [word(p, vocabulary, choices) for p in parts if p.strip()]


def boolean(value: str):
    """是/否, yes/no, 1/0 → True/False; None for anything else (the caller names the cell)."""
    text = unicodedata.normalize("NFKC", value or "").strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    return None


_DATE_PARTS = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def iso_date(value: str) -> str:
    """The usual spellings of a date (1990-1-2, 1990/01/02, 1990.1.2, 1990年1月2日, 19900102) as
    ISO ``1990-01-02``. Whether the date exists is the action's check; text that is no date at all
    is passed on unchanged for it to reject."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    match = _DATE_PARTS.match(text) or _COMPACT_DATE.match(text)
    if match is None:
        return text
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"
