"""Forms of the mediation ledger's pages, made for a phone: one column, big touch targets, date
inputs, a numeric keypad with an X key for ID numbers. They parse; the ledger's actions decide,
and their errors are shown on the fields they name."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.disputes import conf
from fengqiao.disputes import selectors as ledger
from fengqiao.disputes.choices import (
    Category,
    MediationKind,
    Outcome,
    PartyRole,
    Source,
    Status,
)
from fengqiao.registry.validators import parse_id_number, parse_phone
from fengqiao.web import selectors
from fengqiao.web.forms import TextPlaceField, grid_picker_over_limit
from fengqiao.web.registry.forms import (
    GridChoiceField,
    date_widget,
    id_number_field,
    parsed,
    phone_widget,
)


def _textarea(rows: int = 4, **attrs) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, **attrs})


class DisputeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, help_text=_("Who and what, in a few words."))
    grid = GridChoiceField(label=_("Grid"), queryset=None)
    source = forms.ChoiceField(label=_("Source"), choices=Source.choices)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    grade = forms.ChoiceField(label=_("Risk grade"), choices=())
    place = TextPlaceField(label=_("Place"), max_length=400, required=False)
    facts = forms.CharField(label=_("Facts"), widget=_textarea(5))
    points = forms.CharField(label=_("Points in dispute"), widget=_textarea(3))
    people_count = forms.IntegerField(
        label=_("People involved"),
        min_value=1,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    amount = forms.DecimalField(
        label=_("Amount involved (yuan)"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind of mediation"),
        choices=MediationKind.choices,
        initial=MediationKind.PEOPLE,
        required=False,
        help_text=_(
            "People's mediation by the village or community committee; public-order mediation by the "
            "station for a minor public-order case; or the two jointly. It can change until the agreement."
        ),
    )
    committee = forms.CharField(
        label=_("People's mediation committee"),
        max_length=100,
        required=False,
        help_text=_("Left empty: the committee of the dispute's village or community."),
    )
    mediators = forms.ModelMultipleChoiceField(label=_("Mediators"), queryset=None, required=False)
    origin_event = forms.CharField(
        label=_("From event"),
        max_length=32,
        required=False,
        help_text=_("The event's number, if it started as one."),
    )
    kept_from_criminal = forms.BooleanField(label=_("Kept from turning criminal"), required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["grid"].queryset = selectors.visible_grids(user).filter(is_active=True).order_by("code")
        grid_picker_over_limit(self, "grid", user, self.fields["grid"].queryset)
        self.fields["grade"].choices = conf.grade_choices()
        self.fields["mediators"].queryset = ledger.staff_in_scope(user)
        self.fields["mediators"].widget.attrs["size"] = 6

    def clean_kind(self):
        return self.cleaned_data["kind"] or MediationKind.PEOPLE

    def clean_origin_event(self):
        from fengqiao.events.models import Event

        number = self.cleaned_data["origin_event"].strip()
        if not number:
            return None
        event = Event.objects.visible_to(self.user).filter(number=number).first()
        if event is None:
            raise forms.ValidationError(_("No event %(number)s in your area.") % {"number": number})
        return event


class PartyForm(forms.Form):
    # A blank first choice, so the spare party form stays unchanged (and skipped) until filled in.
    role = forms.ChoiceField(
        label=pgettext_lazy("dispute party", "Role"), choices=[("", "—"), *PartyRole.choices]
    )
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=64)
    id_number = id_number_field(_("ID number"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False, widget=phone_widget())
    address = forms.CharField(label=_("Address"), max_length=400, required=False)

    # The registry's own rules, here so that a bad number is marked at its field (the action
    # checks again, and names only the party).
    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip()
        return parsed(parse_id_number, value).number if value else ""

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        return parsed(parse_phone, value) if value else ""


PartyFormSet = forms.formset_factory(PartyForm, extra=1, min_num=2, validate_min=True, max_num=20)


def party_formset(data=None):
    initial = [{"role": PartyRole.APPLICANT}, {"role": PartyRole.RESPONDENT}]
    return PartyFormSet(data, prefix="parties", initial=None if data else initial)


class SignedCopyForm(forms.Form):
    file = forms.FileField(label=_("Signed copy (PDF, JPEG or PNG)"))


class ScreeningForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Police district"), queryset=None, empty_label=None)
    month = forms.CharField(label=_("Month"), widget=forms.TextInput(attrs={"type": "month"}))
    nil_return = forms.BooleanField(label=_("Nil return: screening found no dispute"), required=False)
    found = forms.IntegerField(
        label=_("Disputes found"),
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(label=_("Note"), widget=_textarea(2), required=False)

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["month"].initial = f"{timezone.localdate():%Y-%m}"


ANY = _("any")


def _choices(pairs):
    return [("", ANY), *pairs]


class LedgerFilterForm(forms.Form):
    """The ledger's filters: the same names as ``DisputeFilter``, so links and the form agree."""

    q = forms.CharField(label=_("Number or title"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=())
    outcome = forms.ChoiceField(label=_("Outcome"), required=False, choices=_choices(Outcome.choices))
    category = forms.ChoiceField(label=_("Category"), required=False, choices=_choices(Category.choices))
    source = forms.ChoiceField(label=_("Source"), required=False, choices=_choices(Source.choices))
    grade = forms.ChoiceField(label=_("Risk grade"), required=False, choices=())
    opened_from = forms.DateField(label=_("Found from"), required=False, widget=date_widget())
    opened_to = forms.DateField(label=_("Found until"), required=False, widget=date_widget())
    flagged = forms.BooleanField(label=_("Flagged to the station"), required=False)
    overdue = forms.BooleanField(label=_("Past the time limit"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = _choices([("open", _("not archived")), *Status.choices])
        self.fields["grade"].choices = _choices(conf.grade_choices())
        for name in ("flagged", "overdue"):
            self.fields[name].widget.check_test = lambda value: value in ("1", True, "on")


class StatisticsForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=date_widget())
    end = forms.DateField(label=_("Until"), widget=date_widget())
    unit = forms.ChoiceField(label=_("Jurisdiction"), required=False, choices=())

    def __init__(self, units, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("my area")), *[(u.path, u.name) for u in units]]
