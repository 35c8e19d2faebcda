"""The parameters of the hotspot and near-repeat pages: a class of events and a period."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.analytics import nearrepeat, spatial
from fengqiao.events.inputs import category_choices


class ChoiceForm(forms.Form):
    category = forms.ChoiceField(label=_("Class of events"))
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()


class EmergingForm(forms.Form):
    category = forms.ChoiceField(label=_("Class of events"))
    end = forms.DateField(label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    weeks = forms.IntegerField(
        label=_("Weeks"),
        min_value=2,
        max_value=spatial.MAX_WEEKS,
        initial=spatial.DEFAULT_WEEKS,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()


class NearRepeatForm(ChoiceForm):
    spatial_m = forms.IntegerField(
        label=_("Distance band (m)"),
        min_value=1,
        max_value=5000,
        initial=nearrepeat.SPATIAL_BAND_M,
        required=False,
    )
    spatial_n = forms.IntegerField(
        label=_("Distance bands"), min_value=1, max_value=20, initial=nearrepeat.SPATIAL_BANDS, required=False
    )
    temporal_days = forms.IntegerField(
        label=_("Time band (days)"),
        min_value=1,
        max_value=365,
        initial=nearrepeat.TEMPORAL_BAND_DAYS,
        required=False,
    )
    temporal_n = forms.IntegerField(
        label=_("Time bands"), min_value=1, max_value=20, initial=nearrepeat.TEMPORAL_BANDS, required=False
    )

    def bands(self) -> nearrepeat.Bands:
        data = self.cleaned_data
        return nearrepeat.Bands(
            spatial_m=data.get("spatial_m") or nearrepeat.SPATIAL_BAND_M,
            spatial_n=data.get("spatial_n") or nearrepeat.SPATIAL_BANDS,
            temporal_days=data.get("temporal_days") or nearrepeat.TEMPORAL_BAND_DAYS,
            temporal_n=data.get("temporal_n") or nearrepeat.TEMPORAL_BANDS,
        )
