"""The closed vocabularies of the mediation ledger (人民调解法 and the justice bureau's statistics)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Source(models.TextChoices):
    """How a dispute came to the ledger."""

    SCREENING = "screening", _("found in screening")
    APPLICATION = "application", _("applied for by a party")
    POLICE = "police", _("referred by the police")
    COURT = "court", _("referred by a court")
    GOVERNMENT = "government", _("referred by the government")


class Category(models.TextChoices):
    """The 18 categories of the justice administration's mediation statistics, in its order."""

    MARRIAGE_FAMILY = "marriage_family", _("marriage and family")
    NEIGHBOURS = "neighbours", _("neighbours")
    HOUSE_LAND = "house_land", _("houses and homesteads")
    CONTRACT = "contract", _("contracts")
    BUSINESS = "business", _("production and business")
    DAMAGES = "damages", _("compensation for damage")
    FOREST_LAND = "forest_land", _("forests and land")
    EXPROPRIATION = "expropriation", _("land requisition and demolition")
    POLLUTION = "pollution", _("environmental pollution")
    LABOUR = "labour", _("labour disputes")
    CONSUMER = "consumer", _("consumer disputes")
    MEDICAL = "medical", _("medical disputes")
    TRAFFIC = "traffic", _("road traffic accidents")
    PROPERTY_MANAGEMENT = "property_management", _("property management")
    TOURISM = "tourism", _("tourism")
    INTELLECTUAL_PROPERTY = "intellectual_property", _("intellectual property")
    INTERNET = "internet", _("internet")
    OTHER = "other", _("other")


# The names on the justice bureau's monthly table (its own words, whatever the page language).
CATEGORY_TABLE_NAMES = {
    Category.MARRIAGE_FAMILY: "婚姻家庭",
    Category.NEIGHBOURS: "邻里",
    Category.HOUSE_LAND: "房屋宅基地",
    Category.CONTRACT: "合同",
    Category.BUSINESS: "生产经营",
    Category.DAMAGES: "损害赔偿",
    Category.FOREST_LAND: "山林土地",
    Category.EXPROPRIATION: "征地拆迁",
    Category.POLLUTION: "环境污染",
    Category.LABOUR: "劳动争议",
    Category.CONSUMER: "消费",
    Category.MEDICAL: "医疗",
    Category.TRAFFIC: "道路交通事故",
    Category.PROPERTY_MANAGEMENT: "物业",
    Category.TOURISM: "旅游",
    Category.INTELLECTUAL_PROPERTY: "知识产权",
    Category.INTERNET: "互联网",
    Category.OTHER: "其他",
}


class MediationKind(models.TextChoices):
    """Which law the mediation is made under, and so which organisation makes it and which
    document it ends in."""

    PEOPLE = "people", _("people's mediation")  # 人民调解法: the village/community committee
    PUBLIC_ORDER = "public_order", _("public-order mediation")  # 治安管理处罚法 art. 9: the police
    JOINT = "joint", _("joint police and people's mediation")  # 警调联动: the committee with the station


class Status(models.TextChoices):
    REGISTERED = "registered", _("registered")
    MEDIATING = "mediating", _("mediating")
    RESOLVED = "resolved", _("resolved")
    NOT_RESOLVED = "not_resolved", _("not resolved")
    REFERRED = "referred", _("referred")
    TERMINATED = "terminated", _("terminated")
    FOLLOW_UP = "follow_up", _("follow-up visits")
    ARCHIVED = "archived", _("archived")


class Outcome(models.TextChoices):
    """How mediation ended; stays with the dispute through follow-up and archiving."""

    RESOLVED = "resolved", _("resolved")
    NOT_RESOLVED = "not_resolved", _("not resolved")
    REFERRED = "referred", _("referred")
    TERMINATED = "terminated", _("terminated")


class ReferredTo(models.TextChoices):
    COURT = "court", _("court")
    ARBITRATION = "arbitration", _("arbitration")
    PETITION = "petition", _("petition office")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("applicant")
    RESPONDENT = "respondent", _("respondent")


class AgreementForm(models.TextChoices):
    WRITTEN = "written", _("written")
    ORAL = "oral", _("oral")


class Performance(models.TextChoices):
    PENDING = "pending", _("not yet due")
    PERFORMING = "performing", _("being performed")
    PERFORMED = "performed", _("performed")
    BREACHED = "breached", _("not performed")


class VisitMethod(models.TextChoices):
    VISIT = "visit", _("home visit")
    PHONE = "phone", _("phone call")
