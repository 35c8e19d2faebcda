"""The figures the video side offers the dashboard: cases solved by video (视频破案) and fugitives
caught, per jurisdiction and period."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from fengqiao.geo.models import PoliceUnit
from fengqiao.video.models import SolvedByVideo

# Depth of a jurisdiction's path: 2 = a county bureau, 3 = a station, 4 = a police district.
STATION_DEPTH = 3


@dataclass
class SolvedRow:
    path: str
    name: str
    cases: int
    fugitives: int


def solved_by_video(user, start: dt.date, end: dt.date, *, depth: int = STATION_DEPTH) -> list[SolvedRow]:
    """Cases solved by video between ``start`` and ``end`` (inclusive) that the user may see, per
    jurisdiction at ``depth`` of the police tree (stations by default), most first."""
    rows = (
        SolvedByVideo.objects.visible_to(user)
        .filter(solved_on__gte=start, solved_on__lte=end)
        .values_list("scope_path", "fugitive_caught")
    )
    cases: dict[str, int] = defaultdict(int)
    fugitives: dict[str, int] = defaultdict(int)
    for path, caught in rows:
        key = "/".join(path.split("/")[:depth])
        cases[key] += 1
        fugitives[key] += bool(caught)
    names = dict(PoliceUnit.objects.filter(path__in=list(cases)).values_list("path", "name"))
    return sorted(
        (SolvedRow(p, names.get(p, p), cases[p], fugitives[p]) for p in cases),
        key=lambda r: (-r.cases, r.path),
    )
