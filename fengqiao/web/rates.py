"""How a page shows a rate (core.rates): with its numerator and denominator, beside it when it
rests on too few cases (then greyed), else on hover. The template is ``web/_rate.html``; a
change is coloured by ``core.rates.judged``, by the figure's direction, not by its sign."""

from __future__ import annotations

from django.utils.translation import gettext as _

from fengqiao.core.rates import Rate, min_cases


def rate_cell(rate: Rate | None) -> dict:
    """{text, title, reliable} of a rate, for ``web/_rate.html``."""
    if rate is None or rate.value is None:
        return {"text": "—", "title": "", "reliable": True}
    numerator, denominator = rate.numerator, rate.denominator
    if not rate.reliable:
        # Too few cases for a decimal to mean anything: the share, rounded, and the count beside it.
        text = _("%(percent)s (%(numerator)s/%(denominator)s)") % {
            "percent": f"{rate.value:.0%}",
            "numerator": numerator,
            "denominator": denominator,
        }
        title = _("Fewer than %(n)s cases: shown, not compared or ranked.") % {"n": min_cases()}
        return {"text": text, "title": title, "reliable": False}
    return {"text": f"{rate.value:.1%}", "title": f"{numerator}/{denominator}", "reliable": True}
