"""The registry's closed vocabularies. Working lists (DOMAIN.md) stay free text on the models so a
bureau can extend them; what the rules depend on is here."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AddressElement(models.TextChoices):
    """Address element types, GA/T 2000.32 codes."""

    COMMUNITY = "31", _("community")
    RESIDENTS_COMMITTEE = "32", _("residents' committee")
    VILLAGE_COMMITTEE = "33", _("village committee")
    STREET = "41", _("street / lane")
    COMPOUND = "42", _("compound")
    DOOR_PLATE = "51", _("door plate")
    BUILDING = "52", _("building")
    UNIT = "53", pgettext_lazy("address part", "unit")
    ROOM = "54", _("room")


class AddressStatus(models.TextChoices):
    """A standard address, or one made from a spreadsheet's text that matched none (待规范地址),
    waiting for an officer to merge it into a standard one or confirm it as one."""

    STANDARD = "standard", _("standard address")
    PENDING = "pending", _("address to standardise")


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class ResidentType(models.TextChoices):
    REGISTERED = "registered", _("registered resident")
    FLOATING = "floating", _("floating population")
    OVERSEAS = "overseas", _("overseas")
    LEFT_BEHIND = "left_behind", _("left-behind")


class ResidenceType(models.TextChoices):
    """How a person lives in a house."""

    HUKOU = "hukou", _("household registration")
    OWNER = "owner", _("owner-occupied")
    RENTING = "renting", _("renting")
    STAYING = "staying", _("staying")
    DORMITORY = "dormitory", _("dormitory")
    OTHER = "other", _("other")


class HouseUse(models.TextChoices):
    RESIDENTIAL = "residential", _("residential")
    COMMERCIAL = "commercial", _("commercial")
    MIXED = "mixed", _("residential and commercial")
    OFFICE = "office", _("office")
    INDUSTRIAL = "industrial", _("industrial")
    WAREHOUSE = "warehouse", _("warehouse")
    VACANT = "vacant", _("vacant")
    OTHER = "other", _("other")


class HouseOwnership(models.TextChoices):
    COMMERCIAL = "commercial", _("commercial housing")
    SELF_BUILT = "self_built", _("self-built")
    PUBLIC = "public", _("public housing")
    AFFORDABLE = "affordable", _("affordable housing")
    COLLECTIVE = "collective", _("collective")
    EMPLOYER = "employer", _("employer-owned")
    OTHER = "other", _("other")


class OrganisationType(models.TextChoices):
    ENTERPRISE = "enterprise", _("enterprise")
    INDIVIDUAL_BUSINESS = "individual_business", _("individual business")
    GOVERNMENT = "government", _("government body")
    PUBLIC_INSTITUTION = "public_institution", _("public institution")
    SOCIAL_ORGANISATION = "social_organisation", _("social organisation")
    PRIVATE_NON_ENTERPRISE = "private_non_enterprise", _("private non-enterprise unit")
    OTHER = "other", _("other")


class SpecialTrade(models.TextChoices):
    """Trades under special control; each is a boolean field of the same name on Organisation."""

    HOTEL = "hotel", _("hotel")
    INTERNET_CAFE = "internet_cafe", _("internet café")
    LOGISTICS = "logistics", _("parcel and logistics")
    HAZARDOUS_GOODS = "hazardous_goods", _("hazardous goods")


class CareTagKind(models.TextChoices):
    RELEASED_PRISONER = "released_prisoner", _("released prisoner")
    COMMUNITY_CORRECTION = "community_correction", _("community correction")
    MENTAL_ILLNESS = "mental_illness", _("severe mental illness")
    DRUG_USER = "drug_user", _("drug user")
    KEY_YOUTH = "key_youth", _("key youth")


class RecordKind(models.TextChoices):
    ADDRESS = "address", _("address")
    PERSON = "person", _("person")
    HOUSE = "house", _("house")
    ORGANISATION = "organisation", _("organisation")
    RELATION = "relation", _("relation")
    CARE_TAG = "care_tag", _("care tag")


class HistoryAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    RETIRE = "retire", _("retired")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class FileFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("XLSX")


class RevealField(models.TextChoices):
    """The fields of a person shown masked until revealed."""

    ID_NUMBER = "id_number", _("ID number")
    PHONE = "phone", _("phone")


class ReadPurpose(models.TextChoices):
    """Why a member of staff reads the registry: stated when they open it (pages) or with each
    request (the API's ``X-Purpose`` header), and kept on every read entry of the audit log."""

    VISIT = "visit", pgettext_lazy("purpose", "Home visit and check")
    CASE = "case", pgettext_lazy("purpose", "Case handling")
    DISPUTE = "dispute", pgettext_lazy("purpose", "Dispute mediation")
    COLLECTION = "collection", pgettext_lazy("purpose", "Information collection")
    OTHER = "other", pgettext_lazy("purpose", "Other")
