"""Forms of the camera and video-patrol pages; choices come from the user's scope, the actions make
the binding checks (video.rules, written once)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fengqiao.events.models import Category
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.video import rules
from fengqiao.video.choices import CameraKind, CameraStatus
from fengqiao.video.models import Camera, Compound
from fengqiao.web.forms import ActionErrorsMixin

PRIVATE_CHOICES = [(k.value, k.label) for k in CameraKind if k != CameraKind.SKYNET]


class DeviceCodeField(forms.CharField):
    """A GB/T 28181 device code, checked by the inventory's own rule."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Device code (GB/T 28181, 20 digits)"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9]{20}"})

    def clean(self, value):
        value = super().clean(value)
        problem = rules.device_code_problem(value)
        if problem:
            raise ValidationError(problem)
        return value


class CameraRegistrationForm(ActionErrorsMixin, forms.Form):
    """What an owner tells the police about their private camera (地网工程)."""

    device_code = DeviceCodeField()
    name = forms.CharField(
        label=_("What it watches"), max_length=100, help_text=_("e.g. the shop's door on Main Street")
    )
    kind = forms.ChoiceField(label=_("Camera kind"), choices=PRIVATE_CHOICES)
    place = forms.CharField(label=_("Address"), max_length=200, required=False)
    lon = forms.FloatField(
        label=_("Longitude"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    lat = forms.FloatField(
        label=_("Latitude"), required=False, widget=forms.NumberInput(attrs={"step": "any"})
    )
    direction = forms.IntegerField(
        label=_("Direction (degrees from north)"), required=False, min_value=0, max_value=359
    )
    owner_name = forms.CharField(label=_("Owner"), max_length=64)
    owner_phone = forms.CharField(
        label=_("Contact phone"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )


class CameraForm(CameraRegistrationForm):
    """Staff enter a camera of their area, public ones included."""

    kind = forms.ChoiceField(label=_("Camera kind"), choices=CameraKind.choices)
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Grid.objects.none())
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none(), required=False)
    at_entrance = forms.BooleanField(label=_("Covers an entrance"), required=False)
    owner_name = forms.CharField(label=_("Owner"), max_length=64, required=False)
    owner_phone = forms.CharField(label=_("Contact phone"), max_length=20, required=False)
    stream_url = forms.CharField(label=_("Stream address"), max_length=300, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = Grid.objects.visible_to(user).filter(is_active=True).defer("geometry")
        self.fields["compound"].queryset = Compound.objects.visible_to(user)


class CameraFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    kind = forms.ChoiceField(
        label=_("Camera kind"), choices=[("", _("All kinds"))] + CameraKind.choices, required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status"))] + CameraStatus.choices, required=False
    )


class ConfirmForm(forms.Form):
    compound = forms.ModelChoiceField(label=_("Compound"), queryset=Compound.objects.none(), required=False)
    stream_url = forms.CharField(label=_("Stream address"), max_length=300, required=False)

    def __init__(self, user, camera, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["compound"].queryset = Compound.objects.visible_to(user).filter(grid=camera.grid_id)


def _stations(user):
    from fengqiao.core.scoping import scope_prefixes

    prefixes = scope_prefixes(user)
    stations = PoliceUnit.objects.filter(kind=UnitKind.STATION)
    if prefixes is None:
        return stations
    ids = [u.pk for u in stations if any(u.path == p or u.path.startswith(p + "/") for p in prefixes)]
    return stations.filter(pk__in=ids)


class CameraChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.device_code}"


class PatrolForm(ActionErrorsMixin, forms.Form):
    station = forms.ModelChoiceField(label=_("Police station"), queryset=PoliceUnit.objects.none())
    started_at = forms.DateTimeField(
        label=_("Watch started"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ended_at = forms.DateTimeField(
        label=_("Watch ended"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    cameras = CameraChoiceField(
        label=_("Cameras watched"), queryset=Camera.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    observations = forms.CharField(
        label=_("What was seen"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    report = forms.BooleanField(label=_("Report a finding as an event"), required=False)
    category = forms.ModelChoiceField(
        label=_("Category of the finding"), queryset=Category.objects.none(), required=False
    )
    title = forms.CharField(label=_("The finding in a few words"), max_length=200, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = _stations(user)
        self.fields["cameras"].queryset = Camera.objects.visible_to(user).filter(status=CameraStatus.ACTIVE)
        self.fields["category"].queryset = Category.objects.filter(active=True, children__isnull=True)

    def clean(self):
        data = super().clean()
        if data.get("report") and not data.get("category"):
            self.add_error("category", _("Choose the finding's category."))
        if data.get("report") and not (data.get("title") or "").strip():
            self.add_error("title", _("Say in a few words what happened."))
        return data


class SolvedForm(ActionErrorsMixin, forms.Form):
    event = forms.CharField(label=_("Case number"), max_length=32)
    cameras = CameraChoiceField(
        label=_("Cameras that solved it"), queryset=Camera.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    solved_on = forms.DateField(label=_("Solved on"), widget=forms.DateInput(attrs={"type": "date"}))
    fugitive_caught = forms.BooleanField(label=_("Fugitive caught"), required=False)
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cameras"].queryset = Camera.objects.visible_to(user).exclude(status=CameraStatus.PENDING)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
