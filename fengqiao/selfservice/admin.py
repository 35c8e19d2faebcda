"""The offices, kiosks and station seals are kept in the admin, scoped and audited like every
other door; a seal image is checked and re-encoded as every upload is (core.uploads)."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from fengqiao.core import audit
from fengqiao.core.admin import AuditedAdminMixin, ScopedAdminMixin
from fengqiao.core.uploads import check_upload
from fengqiao.geo.choices import UnitKind
from fengqiao.selfservice.models import CriminalRecord, EmployerAuthorisation, Kiosk, Office, Seal


@admin.register(Office)
class OfficeAdmin(ScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "name", "kind", "unit", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Kiosk)
class KioskAdmin(ScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "office", "is_active"]
    search_fields = ["code", "office__name"]


class SealForm(forms.ModelForm):
    class Meta:
        model = Seal
        fields = ["station", "image"]

    def clean_station(self):
        station = self.cleaned_data["station"]
        if station.kind != UnitKind.STATION:
            raise ValidationError(_("Choose the police station that is to issue the certificate."))
        return station

    def clean_image(self):
        upload = self.cleaned_data["image"]
        if upload is None or not hasattr(upload, "content_type"):
            return upload  # the stored file, unchanged
        checked = check_upload(upload)
        if checked.content_type == "application/pdf":
            raise ValidationError(_("A seal is an image: a PNG or JPEG file."))
        return checked.file


@admin.register(Seal)
class SealAdmin(admin.ModelAdmin):
    """Audited as the other admin edits are, naming the station and the stored file (a file
    field is no value the audit's snapshot keeps)."""

    form = SealForm
    list_display = ["station", "updated_at"]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            after = {"station": obj.station.path, "image": obj.image.name}
            audit.record(audit.UPDATE if change else audit.CREATE, obj, actor=request.user, after=after)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EmployerAuthorisation)
class EmployerAuthorisationAdmin(ScopedAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    """The station authorises an employer for one post the law bars people with records from."""

    list_display = ["employer", "post", "station", "valid_until"]
    search_fields = ["employer", "credit_code", "post"]


@admin.register(CriminalRecord)
class CriminalRecordAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Read-only: the register comes from the judicial data file (``fengqiao import_judgements``)."""

    list_display = ["judgement_number", "court", "offence", "judged_on", "final"]
    list_filter = ["final"]
    search_fields = ["judgement_number"]
    exclude = ["id_number", "id_number_hash"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
