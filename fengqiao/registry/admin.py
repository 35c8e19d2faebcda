"""The registry in Django's admin: read-only and scoped. Records change only through the actions
(pages, API, imports), which validate, keep history and audit; the admin is for looking.

ID numbers and phones are shown masked, in lists and on the record's page. Care tags are not
here: every read of them must be audited, which the registry's own pages do.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fengqiao.core.admin import ScopedAdminMixin
from fengqiao.registry import history
from fengqiao.registry.models import (
    Address,
    Employment,
    House,
    ImportBatch,
    Organisation,
    Person,
    RecordHistory,
    Residence,
)
from fengqiao.registry.validators import mask_id_number, mask_phone

# Raw columns never shown, and what is shown in their place.
MASKED = {
    "id_number": "masked_id_number",
    "phone": "masked_phone",
    "legal_representative_id": "masked_legal_id",
}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RegistryRecordAdmin(ScopedAdminMixin, ReadOnlyAdmin):
    """Scoped, read-only, with personal numbers masked everywhere."""

    def get_fields(self, request, obj=None):
        names = [f.name for f in self.model._meta.fields if f.name not in ("id",)]
        return [MASKED.get(name, name) for name in names]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description=_("ID number"))
    def masked_id_number(self, obj):
        return mask_id_number(obj.id_number)

    @admin.display(description=_("phone"))
    def masked_phone(self, obj):
        return mask_phone(obj.phone)

    @admin.display(description=_("legal representative's ID number"))
    def masked_legal_id(self, obj):
        return mask_id_number(obj.legal_representative_id)


@admin.register(Address)
class AddressAdmin(RegistryRecordAdmin):
    list_display = ["code", "full_text", "element_type", "grid", "in_use", "retired_at"]
    list_filter = ["element_type", "in_use"]
    search_fields = ["code", "full_text"]
    list_select_related = ["grid"]


@admin.register(Person)
class PersonAdmin(RegistryRecordAdmin):
    list_display = ["name", "masked_id_number", "sex", "birth_date", "resident_type", "masked_phone", "grid"]
    list_filter = ["resident_type", "sex"]
    # ID numbers and phones are encrypted (core.crypto): found whole, by their keyed hash, not by part.
    search_fields = ["name", "name_pinyin"]
    list_select_related = ["grid"]

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            found = found | queryset.filter(id_number=term.upper()) | queryset.filter(phone=term)
        return found, may_have_duplicates


@admin.register(House)
class HouseAdmin(RegistryRecordAdmin):
    list_display = ["address", "use", "ownership", "is_rented", "occupant_count", "grid"]
    list_filter = ["use", "ownership", "is_rented"]
    search_fields = ["address__full_text", "address__code"]
    list_select_related = ["address", "grid"]


@admin.register(Organisation)
class OrganisationAdmin(RegistryRecordAdmin):
    list_display = ["name", "credit_code", "org_type", "industry", "masked_phone", "grid"]
    list_filter = ["org_type", "hotel", "internet_cafe", "logistics", "hazardous_goods"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["grid"]


@admin.register(Residence)
class ResidenceAdmin(RegistryRecordAdmin):
    list_display = ["person", "kind", "house", "start_date", "end_date", "registered_on"]
    list_filter = ["kind"]
    list_select_related = ["person", "house", "house__address"]


@admin.register(Employment)
class EmploymentAdmin(RegistryRecordAdmin):
    list_display = ["person", "organisation", "role", "start_date", "end_date"]
    list_select_related = ["person", "organisation"]


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    """Superusers see every batch; others their own."""

    list_display = [
        "id",
        "kind",
        "file_name",
        "status",
        "rows_read",
        "inserted",
        "updated",
        "rejected",
        "actor",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["file_name", "file_sha256"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(actor=request.user)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(RecordHistory)
class RecordHistoryAdmin(ReadOnlyAdmin):
    """Across every scope, so superusers only; the values masked."""

    list_display = ["created_at", "record_kind", "record_id", "version", "action", "actor", "source"]
    list_filter = ["record_kind", "action", "source"]
    search_fields = ["=record_id"]
    fields = readonly_fields = [
        "record_kind",
        "record_model",
        "record_id",
        "version",
        "action",
        "actor",
        "source",
        "reason",
        "batch",
        "created_at",
        "changes",
    ]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    @admin.display(description=_("changes"))
    def changes(self, obj):
        return "; ".join(
            f"{name}: {before!r} → {after!r}" for name, before, after in history.masked_changes(obj)
        )
