"""The later modules' demo data: patrols, the points store, outreach, self-service, the command
room's case series. Each module keeps its generator in its own ``fengqiao/demo/<module>.py`` and
joins :data:`MODULES` with one line; the demo command runs them in order after the disputes, and
``--reset`` clears them in the reverse order before anything else goes.

A generator takes ``actor``, ``scale`` (the registry's share of the article's city) and ``seed``,
leaves existing data alone (it returns ``None`` then), and returns the counts it made, keyed by the
labels to print.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoModule:
    key: str
    label: str
    generate: Callable[..., dict[str, int] | None]
    clear: Callable[[], None]


# Later modules, in the order they are generated (a module may use the ones before it).
MODULES: list[DemoModule] = []


def _directives() -> DemoModule:
    from django.utils.translation import gettext_lazy

    from fengqiao.demo import directives

    label = gettext_lazy("Analysis directives")
    return DemoModule("directives", label, directives.generate, directives.clear)


MODULES.append(_directives())


def _patrols() -> DemoModule:
    from django.utils.translation import gettext_lazy

    from fengqiao.demo import patrols

    label = gettext_lazy("Patrol and prevention")
    return DemoModule("patrols", label, patrols.generate_demo_patrols, patrols.clear_demo_patrols)


MODULES.append(_patrols())


def _selfservice() -> DemoModule:
    from django.utils.translation import gettext_lazy

    from fengqiao.demo import selfservice

    return DemoModule("selfservice", gettext_lazy("Self-service"), selfservice.generate, selfservice.clear)


MODULES.append(_selfservice())


def _points() -> DemoModule:
    from django.utils.translation import gettext_lazy

    from fengqiao.demo import points

    return DemoModule("points", gettext_lazy("Volunteer points"), points.generate, points.clear)


MODULES.append(_points())


def _outreach() -> DemoModule:
    from django.utils.translation import gettext_lazy

    from fengqiao.demo import outreach

    return DemoModule("outreach", gettext_lazy("Reaching residents"), outreach.generate, outreach.clear)


MODULES.append(_outreach())
