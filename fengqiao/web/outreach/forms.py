"""Forms of the outreach pages: they parse; ``outreach.actions`` decide, and their errors are shown
on the fields they name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.events.choices import FraudType
from fengqiao.outreach.actions import communities_in_scope
from fengqiao.outreach.choices import (
    ConsultationChannel,
    ConsultationOutcome,
    LectureKind,
    MessageKind,
    Platform,
)
from fengqiao.web import selectors
from fengqiao.web.forms import ActionErrorsMixin, CommunityChoiceField, DistrictChoiceField
from fengqiao.web.registry.forms import date_widget, grid_field, phone_widget

DATETIME_INPUT = {"type": "datetime-local"}


class PlaceMixin:
    """The grid served, or a whole police district, within the user's scope."""

    def add_place_fields(self, user):
        self.fields["grid"] = grid_field(user, required=False)
        self.fields["unit"] = DistrictChoiceField(
            label=_("Or a whole police district"), queryset=selectors.district_choices(user), required=False
        )


class GroupForm(ActionErrorsMixin, PlaceMixin, forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=100, help_text=_("e.g. 金积村警民联系群"))
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    members = forms.IntegerField(label=_("Members"), min_value=0, initial=0)
    webhook_url = forms.CharField(
        label=_("Group bot webhook"),
        max_length=500,
        required=False,
        help_text=_("A WeCom group's bot address, if it has one: alerts are then posted to the group."),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_place_fields(user)
        self.fields["community"] = CommunityChoiceField(
            label=_("Village / community"),
            queryset=communities_in_scope(user).select_related("parent"),
            required=False,
            help_text=_("For a group of a whole police district; a grid's group is in the grid's community."),
        )


class GroupEditForm(ActionErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Group name"), max_length=100)
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    webhook_url = forms.CharField(
        label=_("New group bot webhook"),
        max_length=500,
        required=False,
        help_text=_("Leave empty to keep the one set; the address is never shown again."),
    )
    clear_webhook = forms.BooleanField(label=_("Remove the group bot"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class CountForm(ActionErrorsMixin, forms.Form):
    members = forms.IntegerField(label=_("Members"), min_value=0)
    counted_on = forms.DateField(label=_("Counted on"), required=False, widget=date_widget())


class CampaignForm(ActionErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of message"), choices=MessageKind.choices)
    title = forms.CharField(label=_("Title"), max_length=100)
    body = forms.CharField(label=_("Text"), max_length=1000, widget=forms.Textarea(attrs={"rows": 5}))
    grids = forms.ModelMultipleChoiceField(label=_("Grids"), queryset=None, required=False)
    communities = forms.ModelMultipleChoiceField(
        label=_("Villages / communities"), queryset=None, required=False
    )
    to_groups = forms.BooleanField(
        label=_("The resident groups (posted by their group bots)"), required=False, initial=True
    )
    to_subscribers = forms.BooleanField(
        label=_("Residents subscribed on the portal (Web Push)"), required=False
    )
    to_staff = forms.BooleanField(label=_("Staff of the area (in the app)"), required=False)
    staff_sms = forms.BooleanField(label=_("Staff also by SMS"), required=False)
    staff_email = forms.BooleanField(label=_("Staff also by e-mail"), required=False)
    send_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs=DATETIME_INPUT, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: as soon as it is approved."),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grids"].queryset = selectors.visible_grids(user).filter(is_active=True).order_by("code")
        self.fields["communities"].queryset = communities_in_scope(user)


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ConsultationForm(ActionErrorsMixin, PlaceMixin, forms.Form):
    channel = forms.ChoiceField(label=_("How they came"), choices=ConsultationChannel.choices)
    scam_type = forms.ChoiceField(label=_("Type of scam"), choices=FraudType.choices)
    summary = forms.CharField(
        label=_("What happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    amount_at_stake = forms.CharField(label=_("Amount at stake (yuan)"), max_length=20, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ConsultationOutcome.choices)
    amount_lost = forms.CharField(
        label=_("Amount lost (yuan)"),
        max_length=20,
        required=False,
        help_text=_("Only when already defrauded: a fraud case is opened for the resident."),
    )
    resident_name = forms.CharField(label=_("Resident's name"), max_length=64, required=False)
    resident_phone = forms.CharField(
        label=_("Resident's phone"), max_length=20, required=False, widget=phone_widget()
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_place_fields(user)


class LectureForm(ActionErrorsMixin, PlaceMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind of session"), choices=LectureKind.choices)
    held_on = forms.DateField(label=_("Held on"), widget=date_widget())
    place_text = forms.CharField(label=_("Place"), max_length=200)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    speaker = forms.CharField(label=_("Speaker"), max_length=64)
    attendance = forms.IntegerField(label=_("Attendance"), min_value=0, initial=0)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_place_fields(user)


class PhotoForm(forms.Form):
    file = forms.FileField(label=_("Photo"))
