"""Forms of the patrol pages: they parse; ``patrols.actions`` decide, and their errors are shown
on the fields they name."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fengqiao.core.roles import Role
from fengqiao.events.models import Category
from fengqiao.patrols import selectors as patrol_selectors
from fengqiao.patrols.choices import TeamKind, VisitTarget
from fengqiao.patrols.models import Team
from fengqiao.web import selectors
from fengqiao.web.forms import ActionErrorsMixin, DistrictChoiceField
from fengqiao.web.registry.forms import date_widget, grid_field, id_number_field, phone_widget


class TeamChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Team) -> str:
        return obj.name


class PlaceMixin:
    """The grid served, or a whole police district, within the user's scope."""

    def add_place_fields(self, user):
        self.fields["grid"] = grid_field(user, required=False)
        self.fields["unit"] = DistrictChoiceField(
            label=_("Or a whole police district"),
            queryset=selectors.district_choices(user),
            required=False,
        )


class TeamForm(ActionErrorsMixin, PlaceMixin, forms.Form):
    name = forms.CharField(label=_("Team name"), max_length=100, help_text=_("e.g. 金积村红袖标巡逻队"))
    kind = forms.ChoiceField(label=_("Kind of team"), choices=TeamKind.choices)
    party_branch = forms.CharField(
        label=_("Party branch"),
        max_length=100,
        required=False,
        help_text=_("The party branch it is tied to, if any."),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_place_fields(user)


class MemberForm(ActionErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64, required=False)
    id_number = id_number_field(_("ID number"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False, widget=phone_widget())
    joined_on = forms.DateField(label=_("Joined on"), required=False, widget=date_widget())
    account = forms.CharField(
        label=_("Volunteer account"),
        max_length=150,
        required=False,
        help_text=_("The user name of their volunteer account, so they can log in and patrol."),
    )
    leader = forms.BooleanField(label=_("Team leader"), required=False)

    def clean_account(self):
        username = self.cleaned_data["account"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, role=Role.VOLUNTEER, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active volunteer account has this user name."))
        return user


class PlanForm(ActionErrorsMixin, PlaceMixin, forms.Form):
    name = forms.CharField(label=_("Plan name"), max_length=100, help_text=_("e.g. 金积村夜间巡逻"))
    team = TeamChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    windows = forms.CharField(
        label=_("Time windows"),
        max_length=200,
        initial="08:00-10:00, 20:00-22:00",
        help_text=_("Daily, e.g. 08:00-10:00, 20:00-22:00; a window may run past midnight (22:00-02:00)."),
    )

    def __init__(self, user, teams, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.add_place_fields(user)
        self.fields["grid"].help_text = _("Left empty: where the team serves.")


class CheckpointForm(ActionErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Checkpoint name"), max_length=100, help_text=_("e.g. 村委会大门"))
    lon = forms.FloatField(
        label=_("Longitude"), widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
    )
    lat = forms.FloatField(
        label=_("Latitude"), widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"})
    )


class GpxForm(ActionErrorsMixin, forms.Form):
    file = forms.FileField(
        label=_("GPX file"), widget=forms.ClearableFileInput(attrs={"accept": ".gpx,application/gpx+xml"})
    )


class VisitForm(ActionErrorsMixin, forms.Form):
    """A visit, on a phone: the household by its standard address's code, or the business by its
    credit code (both filled in when the officer comes from the must-visit list)."""

    target = forms.ChoiceField(
        label=_("Visited"),
        choices=VisitTarget.choices,
        widget=forms.RadioSelect,
        initial=VisitTarget.HOUSEHOLD,
    )
    place = forms.CharField(
        label=_("Address code or credit code"),
        max_length=32,
        help_text=_("The standard address code of the home, or the business's credit code."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}),
    )
    met = forms.CharField(label=_("Who was met"), max_length=200, help_text=_("e.g. 户主王某及其女儿"))
    notes = forms.CharField(
        label=_("Findings of the visit"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )
    card_given = forms.BooleanField(label=_("Contact card given (警民联系卡)"), required=False)
    report = forms.BooleanField(label=_("Report a finding as an event"), required=False)
    category = forms.ModelChoiceField(
        label=_("Category of the finding"), queryset=Category.objects.none(), required=False
    )
    title = forms.CharField(label=_("The finding in a few words"), max_length=200, required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].queryset = Category.objects.filter(active=True, children__isnull=True)

    def clean(self):
        data = super().clean()
        code = (data.get("place") or "").strip()
        target = data.get("target")
        if code and target:
            try:
                place = patrol_selectors.visit_place(self.user, target, code)
            except ValidationError as error:
                self.add_action_errors(error)
            else:
                data["house" if target == VisitTarget.HOUSEHOLD else "organisation"] = place
        if data.get("report") and not data.get("category"):
            self.add_error("category", _("Choose the finding's category."))
        if data.get("report") and not (data.get("title") or "").strip():
            self.add_error("title", _("Say in a few words what happened."))
        return data


class ArrivalForm(forms.Form):
    """The phone's position when the officer taps "I am at the scene" (empty if it gave none)."""

    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
