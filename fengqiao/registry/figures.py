"""The figures the registry offers the command room (``core.indicators``): people, houses and
organisations collected in the period (by the day collected, retired records left out, as
``registry.stats`` counts them) and the residents on the registry now, the denominator of the
rates per 10,000 residents. They link to the collection statistics of the period (the lists
of personal data are searched record by record, with a purpose, not browsed by the thousand)."""

from django.db.models import Q
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from fengqiao.core.indicators import Indicator, register
from fengqiao.registry.models import House, Organisation, Person

CURRENT = Q(retired_at__isnull=True)


def statistics_url(params: dict) -> str:
    query = {"period": "month", "by": "county"}
    if params.get("start"):
        query.update(start=params["start"], end=params["end"])
    return f"{reverse('registry_statistics')}?{urlencode(query)}"


def _collected(name, model, label, unit) -> Indicator:
    return Indicator(
        f"registry.{name}",
        label,
        unit=unit,
        formula=_("Records collected in the period (by the day collected), retired ones left out."),
        section="registry",
        model=model,
        q=CURRENT,
        date_field="collected_at",
        period_params=("start", "end"),
        list_url=statistics_url,
    )


def register_figures() -> None:
    register(
        _collected("people", Person, _("people collected"), _("people")),
        _collected("houses", House, _("houses collected"), _("houses")),
        _collected("organisations", Organisation, _("organisations collected"), _("organisations")),
        Indicator(
            "registry.population",
            _("residents on the registry"),
            unit=_("people"),
            formula=_("People on the registry now, retired ones left out."),
            section="registry",
            model=Person,
            q=CURRENT,
            date_field=None,
        ),
    )
