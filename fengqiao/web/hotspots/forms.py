"""The parameters of the hotspot and near-repeat pages: a class of events and a period."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.analytics import nearrepeat, spatial
from fengqiao.events.choices import CRIME_GROUPS, CrimeClass
from fengqiao.events.inputs import category_choices


def crime_choices() -> list[tuple[str, str]]:
    """The crime groups, then the classes (events.choices)."""
    return [(key, label) for key, (label, _classes) in CRIME_GROUPS.items()] + list(CrimeClass.choices)


class ClassForm(forms.Form):
    """A class of events: a crime class or group, a category of the tree and everything under
    it, or both."""

    crime = forms.ChoiceField(label=_("Crime class"), required=False)
    category = forms.ChoiceField(label=_("Event category"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["crime"].choices = [("", _("any"))] + crime_choices()
        self.fields["category"].choices = [("", _("any"))] + category_choices()


class ChoiceForm(ClassForm):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class EmergingForm(ClassForm):
    end = forms.DateField(label=_("Last day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    weeks = forms.IntegerField(
        label=_("Weeks"),
        min_value=2,
        max_value=spatial.MAX_WEEKS,
        initial=spatial.DEFAULT_WEEKS,
        required=False,
    )


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
