"""Forms of the roster pages; the actions make the binding checks."""

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.core.scoping import is_under, scope_prefixes
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
