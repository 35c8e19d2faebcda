"""What a dispute's steps ask for beyond a note: one typed input per transition that needs one.

The casework engine parses every door's data with these (the API's ``data`` and its session and
agreement endpoints, the pages' forms); the pages render them.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.casework import Input
from fengqiao.disputes.choices import AgreementForm, MediationKind, Performance, ReferredTo, VisitMethod
from fengqiao.disputes.models import Agreement


def date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _textarea(rows: int):
    return forms.Textarea(attrs={"rows": rows})


def _not_after_today(value, message):
    # The local day: in UTC it is still yesterday until 08:00.
    if value is not None and value > timezone.localdate():
        raise ValidationError(message)
    return value


class ReferInput(Input):
    to = forms.ChoiceField(
        label=_("Referred to"),
        choices=ReferredTo.choices,
        error_messages={"required": _("Say where it goes: a court, arbitration or the petition office.")},
    )


class KindInput(Input):
    """Which kind of mediation this is, and the committee that makes it (people's and joint)."""

    kind = forms.ChoiceField(label=_("Kind of mediation"), choices=MediationKind.choices)
    committee = forms.CharField(
        label=_("People's mediation committee"),
        max_length=100,
        required=False,
        help_text=_("Left empty: the committee of the dispute's village or community."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None and not self.is_bound:
            self.initial = {"kind": self.case.kind, "committee": self.case.committee}


class FollowUpInput(Input):
    visited_on = forms.DateField(label=_("Visited on"), widget=date_widget(), required=False)
    method = forms.ChoiceField(
        label=_("How"), choices=VisitMethod.choices, initial=VisitMethod.VISIT, required=False
    )
    performance = forms.ChoiceField(
        label=_("Performance seen"), choices=[("", "—"), *Performance.choices], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()

    def clean_visited_on(self):
        visited = self.cleaned_data["visited_on"] or timezone.localdate()
        return _not_after_today(visited, _("A visit cannot be in the future."))

    def clean_method(self):
        return self.cleaned_data["method"] or VisitMethod.VISIT


class SessionInput(Input):
    held_on = forms.DateField(label=_("Date"), widget=date_widget())
    place = forms.CharField(label=_("Place"), max_length=200)
    participants = forms.CharField(
        label=_("Participants"),
        widget=_textarea(3),
        help_text=_("Who took part and in which role: officer, grid worker, village cadre, lawyer …"),
    )
    minutes = forms.CharField(label=_("Minutes"), widget=_textarea(10))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["held_on"].initial = timezone.localdate()

    def clean_held_on(self):
        held = _not_after_today(self.cleaned_data["held_on"], _("A session cannot be in the future."))
        if self.case is not None and held < timezone.localdate(self.case.opened_at):
            raise ValidationError(_("A session cannot be before the dispute was registered."))
        return held


class AgreementInput(Input):
    """The agreement the parties reached (recorded again while mediating, it is corrected)."""

    form = forms.ChoiceField(
        label=_("Form"), choices=AgreementForm.choices, initial=AgreementForm.WRITTEN, required=False
    )
    terms = forms.CharField(label=_("Agreed terms"), widget=_textarea(6))
    performance_method = forms.CharField(label=_("How it is performed"), widget=_textarea(3))
    perform_by = forms.DateField(label=_("Performed by"), widget=date_widget())
    signed_on = forms.DateField(label=_("Agreed on"), widget=date_widget(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.case is not None and not self.is_bound:
            agreement = Agreement.objects.filter(dispute=self.case).first()
            if agreement is not None:
                self.initial = {name: getattr(agreement, name) for name in self.fields}
        self.fields["signed_on"].initial = timezone.localdate()

    def clean_form(self):
        return self.cleaned_data["form"] or AgreementForm.WRITTEN

    def clean_signed_on(self):
        signed = self.cleaned_data["signed_on"] or timezone.localdate()
        return _not_after_today(signed, _("An agreement cannot be dated in the future."))

    def clean(self):
        data = super().clean()
        signed, due = data.get("signed_on"), data.get("perform_by")
        if signed and due and due < signed:
            self.add_error("perform_by", _("Performance cannot be due before the agreement."))
        return data


class PerformanceInput(Input):
    performance = forms.ChoiceField(label=_("Performance"), choices=Performance.choices)


class JudicialInput(Input):
    """The parties applied to the court for confirmation of the agreement and, later, it confirmed it."""

    applied_on = forms.DateField(label=_("Applied for on"), widget=date_widget())
    confirmed_on = forms.DateField(label=_("Confirmed on"), widget=date_widget(), required=False)
    court = forms.CharField(label=_("Court"), max_length=100, required=False)

    def clean_applied_on(self):
        return _not_after_today(self.cleaned_data["applied_on"], _("This date is in the future."))

    def clean(self):
        data = super().clean()
        applied, confirmed = data.get("applied_on"), data.get("confirmed_on")
        if applied and confirmed and not applied <= confirmed <= timezone.localdate():
            self.add_error("confirmed_on", _("Between the application and today."))
        return data
