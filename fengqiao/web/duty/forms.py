"""Forms of the roster pages; the actions make the binding checks."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.core.scoping import is_under, scope_prefixes
from fengqiao.duty.choices import RuleKind, ShiftKind
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit
from fengqiao.web.forms import ActionErrorsMixin


def roster_units(user):
    """Stations and police districts in the user's scope."""
    prefixes = scope_prefixes(user)
    units = PoliceUnit.objects.filter(kind__in=(UnitKind.STATION, UnitKind.DISTRICT))
    if prefixes is None:
        return units
    ids = [u.pk for u in units if any(is_under(u.path, p) for p in prefixes)]
    return units.filter(pk__in=ids)


class RosterForm(ActionErrorsMixin, forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=PoliceUnit.objects.none())
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = roster_units(user)


class SwapForm(ActionErrorsMixin, forms.Form):
    """Whom to give one's shift to: a colleague's shift within a week (a swap), or the colleague
    alone (a hand-over)."""

    choice = forms.ChoiceField(label=_("Swap with"))
    note = forms.CharField(
        label=_("Reason"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, colleagues, shifts, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.colleagues = {str(u.pk): u for u in colleagues}
        self.shifts = {str(a.pk): a for a in shifts}
        swaps = [
            (
                f"a{a.pk}",
                f"{a.user} · {a.day:%m-%d} · {a.shift.code} {a.shift.name} "
                f"{a.shift.start:%H:%M}+{a.shift.hours}h",
            )
            for a in shifts
        ]
        handovers = [(f"u{u.pk}", str(u)) for u in colleagues]
        self.fields["choice"].choices = [
            ("", "—"),
            (_("Their shift in exchange"), swaps),
            (_("Hand my shift to"), handovers),
        ]

    def chosen(self):
        """(the colleague, their shift or None)."""
        value = self.cleaned_data["choice"]
        if value.startswith("a"):
            shift = self.shifts[value[1:]]
            return shift.user, shift
        return self.colleagues[value[1:]], None


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PoliceUnit) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


def _units(user):
    return roster_units(user).select_related("parent").order_by("path")


class ShiftForm(ActionErrorsMixin, forms.Form):
    """A shift template; ``duty.actions.save_shift`` makes the binding checks."""

    unit = UnitChoiceField(label=_("Unit"), queryset=PoliceUnit.objects.none())
    code = forms.CharField(label=_("Short name"), max_length=8)
    name = forms.CharField(label=_("Name"), max_length=64)
    kind = forms.ChoiceField(label=_("Shift kind"), choices=ShiftKind.choices)
    start = forms.TimeField(label=_("Starts"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    hours = forms.IntegerField(label=_("Hours"), min_value=1, max_value=24)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user)


WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class RuleForm(ActionErrorsMixin, forms.Form):
    """A rule of the rosters; ``duty.actions.save_rule`` makes the binding checks."""

    unit = UnitChoiceField(label=_("Unit"), queryset=PoliceUnit.objects.none())
    kind = forms.ChoiceField(label=_("Rule"), choices=RuleKind.choices)
    value = forms.IntegerField(
        label=_("Value"),
        min_value=1,
        help_text=_("People (coverage, reception), hours (rest, hours per week) or days (district days)."),
    )
    area = UnitChoiceField(
        label=_("Duty area"),
        queryset=PoliceUnit.objects.none(),
        required=False,
        help_text=_("Where people must be on duty (coverage, reception hours)."),
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every day."),
    )
    start_hour = forms.IntegerField(label=_("From hour"), min_value=0, max_value=23, initial=0)
    end_hour = forms.IntegerField(label=_("Until hour"), min_value=1, max_value=24, initial=24)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = self.fields["area"].queryset = _units(user)


class LeaveForm(ActionErrorsMixin, forms.Form):
    """Leave of one member of staff; ``duty.actions.record_leave`` makes the binding checks."""

    unit = UnitChoiceField(label=_("Unit"), queryset=PoliceUnit.objects.none())
    user = forms.ModelChoiceField(label=_("Staff"), queryset=PoliceUnit.objects.none())
    first_day = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, user, *args, **kwargs):
        from fengqiao.duty.selectors import rostered_staff_in

        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _units(user)
        self.fields["user"].queryset = rostered_staff_in(user)
