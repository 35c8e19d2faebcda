"""The patrols' rules, written once: the forms, the API and the actions all ask here."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_WINDOWS = 6
# A phone sends its positions in batches; a four-hour patrol at one point every 5 s is 2,880.
MAX_POINTS_PER_BATCH = 5000
MAX_POINTS_PER_PATROL = 20_000
MAX_PATROL_HOURS = 24
# A phone's clock may run a little ahead of the server's.
CLOCK_SKEW = dt.timedelta(minutes=10)

_WINDOW = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*[-–—~至到]\s*([01]?\d|2[0-4]):([0-5]\d)\s*$")


def parse_windows(text: str) -> list[list[str]]:
    """``08:00-10:00, 20:00-22:00`` (commas, 、 or new lines between) → [["08:00", "10:00"], ...].
    A window ending before it starts runs past midnight (22:00-02:00). A ValidationError on
    ``windows`` names the window that is wrong."""
    parts = [p for p in re.split(r"[,，、;；\n]+", str(text or "")) if p.strip()]
    if not parts:
        raise ValidationError({"windows": [_("Give at least one time window, e.g. 08:00-10:00.")]})
    if len(parts) > MAX_WINDOWS:
        raise ValidationError({"windows": [_("At most %(n)s time windows.") % {"n": MAX_WINDOWS}]})
    windows = []
    for number, part in enumerate(parts, start=1):
        match = _WINDOW.match(part)
        if not match or (match.group(3) == "24" and match.group(4) != "00"):
            raise ValidationError(
                {
                    "windows": [
                        _("Time window %(n)s (%(text)s) is not like 08:00-10:00.")
                        % {"n": number, "text": part.strip()}
                    ]
                }
            )
        start = f"{int(match.group(1)):02d}:{match.group(2)}"
        end = f"{int(match.group(3)):02d}:{match.group(4)}"
        if start == end:
            raise ValidationError(
                {"windows": [_("Time window %(n)s starts and ends at the same time.") % {"n": number}]}
            )
        windows.append([start, end])
    return windows


def windows_text(windows) -> str:
    return ", ".join(f"{start}-{end}" for start, end in windows or [])


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def in_window(windows, local: dt.datetime) -> bool:
    """Whether a local time falls in one of the plan's daily windows (ends included)."""
    now = local.hour * 60 + local.minute
    for start, end in windows or []:
        a, b = _minutes(start), _minutes(end)
        if (a <= now <= b) if a < b else (now >= a or now <= b):
            return True
    return False


def check_time(value: dt.datetime, field: str, *, now: dt.datetime, not_before=None) -> dt.datetime:
    """A time the phone sent: aware, not in the future (beyond the clock's skew), not before
    the patrol began."""
    if value.tzinfo is None:
        raise ValidationError({field: [_("Give the time with its offset, e.g. 2026-12-06T08:00:00+08:00.")]})
    if value > now + CLOCK_SKEW:
        raise ValidationError({field: [_("This time is in the future.")]})
    if not_before is not None and value < not_before - CLOCK_SKEW:
        raise ValidationError({field: [_("This time is before the patrol started.")]})
    return value


def check_position(lon, lat, field: str = "") -> tuple[float, float]:
    """A WGS-84 position; the error names the field (``points.3`` for the fourth point)."""
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        lon = lat = float("nan")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationError(
            {field or "lon": [_("Give a longitude from -180 to 180 and a latitude from -90 to 90.")]}
        )
    return lon, lat
