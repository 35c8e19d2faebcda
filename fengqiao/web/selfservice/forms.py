"""The self-service forms: the application (portal and kiosk), following it, asking for a review."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit
from fengqiao.selfservice.choices import Purpose, Service
from fengqiao.web.forms import ActionErrorsMixin

# Nothing a resident types is kept by the browser (a kiosk is shared).
PRIVATE = {"autocomplete": "off", "autocapitalize": "off", "spellcheck": "false"}


class StationField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PoliceUnit) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


class ApplicationForm(ActionErrorsMixin, forms.Form):
    """Name, ID number, phone with its SMS code, purpose; a proof past three applications a year.
    ``send_code`` posts the same form to have the code sent, keeping what was typed."""

    name = forms.CharField(label=_("Full name"), max_length=64, widget=forms.TextInput(attrs=PRIVATE))
    id_number = forms.CharField(
        label=_("ID number"), max_length=24, widget=forms.TextInput(attrs={**PRIVATE, "inputmode": "text"})
    )
    phone = forms.CharField(
        label=_("Mobile phone"), max_length=20, widget=forms.TextInput(attrs={**PRIVATE, "inputmode": "tel"})
    )
    code = forms.CharField(
        label=_("SMS code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={**PRIVATE, "inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    purpose = forms.ChoiceField(label=_("What it is for"), choices=Purpose.choices)
    purpose_detail = forms.CharField(
        label=_("Details of the purpose"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=PRIVATE),
    )
    station = StationField(label=_("Police station"), queryset=PoliceUnit.objects.none())
    proof = forms.FileField(
        label=_("Proof of purpose"),
        required=False,
        help_text=_(
            "Needed from the fourth application in a year: a photo or PDF of the letter asking for it."
        ),
    )

    def __init__(self, *args, station=None, **kwargs):
        super().__init__(*args, **kwargs)
        stations = PoliceUnit.objects.filter(kind=UnitKind.STATION).select_related("parent").order_by("path")
        self.fields["station"].queryset = stations
        if station is not None:  # a kiosk's office decides where it goes
            self.fields["station"].initial = station.pk
            self.fields["station"].widget = forms.HiddenInput()


class TrackForm(forms.Form):
    number = forms.CharField(
        label=_("Application number"), max_length=32, widget=forms.TextInput(attrs=PRIVATE)
    )
    phone_digits = forms.CharField(
        label=_("Last 4 digits of your phone"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={**PRIVATE, "inputmode": "numeric"}),
    )


class ReviewForm(TrackForm):
    note = forms.CharField(
        label=_("Why the decision should be reviewed"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].widget = forms.HiddenInput()
        self.fields["phone_digits"].widget = forms.HiddenInput()


class BookingForm(ActionErrorsMixin, forms.Form):
    """A service, one of the office's free times, who comes, and the phone with its SMS code."""

    service = forms.ChoiceField(label=_("Service"), choices=Service.choices)
    starts_at = forms.ChoiceField(label=_("Time"))
    name = forms.CharField(label=_("Full name"), max_length=64, widget=forms.TextInput(attrs=PRIVATE))
    phone = forms.CharField(
        label=_("Mobile phone"), max_length=20, widget=forms.TextInput(attrs={**PRIVATE, "inputmode": "tel"})
    )
    code = forms.CharField(
        label=_("SMS code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={**PRIVATE, "inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def __init__(self, *args, free=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].choices = [
            (timezone.localtime(at).isoformat(), f"{timezone.localtime(at):%m-%d %H:%M}（{left}）")
            for at, left in free
        ]

    def clean_starts_at(self):
        return dt.datetime.fromisoformat(self.cleaned_data["starts_at"])


class DayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
