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
