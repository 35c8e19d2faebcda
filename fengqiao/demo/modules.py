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

from django.utils.translation import gettext_lazy

from fengqiao.demo import directives, duty, outreach, patrols, points, selfservice


@dataclass(frozen=True)
class DemoModule:
    key: str
    label: str
    generate: Callable[..., dict[str, int] | None]
    clear: Callable[[], None]


# Later modules, in the order they are generated (a module may use the ones before it: the points
# store credits the patrols' demo patrols).
MODULES: list[DemoModule] = [
    DemoModule("directives", gettext_lazy("Analysis directives"), directives.generate, directives.clear),
    DemoModule(
        "patrols",
        gettext_lazy("Patrol and prevention"),
        patrols.generate_demo_patrols,
        patrols.clear_demo_patrols,
    ),
    DemoModule("duty", gettext_lazy("Duty rosters"), duty.generate, duty.clear),
    DemoModule("selfservice", gettext_lazy("Self-service"), selfservice.generate, selfservice.clear),
    DemoModule("points", gettext_lazy("Volunteer points"), points.generate, points.clear),
    DemoModule("outreach", gettext_lazy("Reaching residents"), outreach.generate, outreach.clear),
]
