"""A roster as a spreadsheet (XLSX, through core.exporting, so no name or label can run as a
formula) and as a calendar (iCalendar, one event per shift)."""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.exporting import xlsx_bytes
from fengqiao.duty.problem import Problem, Slot


def roster_xlsx(problem: Problem, slots: list[Slot]) -> bytes:
    """One row per person, one column per day: the shift's short name, with the district when the
    shift is worked there."""
    shifts = {s.key: s for s in problem.shifts}
    cells = {(s.person, s.day): s for s in slots}
    headers = [_("Name")] + [f"{problem.date(d):%m-%d}" for d in range(problem.days)]
    rows = []
    for person in problem.people:
        row = [person.name]
        for day in range(problem.days):
            slot = cells.get((person.key, day))
            if slot is None:
                row.append("")
            elif slot.area != problem.unit:
                row.append(f"{shifts[slot.shift].code} {problem.area_names.get(slot.area, '')}")
            else:
                row.append(shifts[slot.shift].code)
        rows.append(row)
    return xlsx_bytes(headers, rows)


def _calendar(name: str, shifts) -> bytes:
    """An iCalendar of ``(uid, day, start hour, hours, summary, location)`` shifts."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Fengqiao//duty roster//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    zone = timezone.get_current_timezone()
    stamp = timezone.now()
    for uid, day, hour, hours, summary, location in shifts:
        start = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
        event = Event()
        event.add("uid", f"{uid}@fengqiao")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + dt.timedelta(hours=hours))
        event.add("summary", summary)
        event.add("location", location)
        calendar.add_component(event)
    return calendar.to_ical()


def roster_ics(problem: Problem, slots: list[Slot], *, unit_name: str, person: int | None = None) -> bytes:
    """Every shift of the roster (or of one person) as a calendar event, in the project's time zone."""
    shifts = {s.key: s for s in problem.shifts}
    names = {p.key: p.name for p in problem.people}
    unit = problem.unit.replace("/", "-")
    return _calendar(
        f"{unit_name} {problem.month:%Y-%m}",
        (
            (
                f"{unit}-{problem.month:%Y%m}-{slot.person}-{slot.day}",
                problem.date(slot.day),
                shifts[slot.shift].start,
                shifts[slot.shift].hours,
                f"{shifts[slot.shift].code} · {names.get(slot.person, '')}",
                problem.area_names.get(slot.area, ""),
            )
            for slot in sorted(slots, key=lambda s: (s.day, shifts[s.shift].start, s.person))
            if person is None or slot.person == person
        ),
    )


def own_ics(user, assignments) -> bytes:
    """A person's own shifts, across their units' rosters."""
    return _calendar(
        str(user),
        (
            (
                f"{a.roster.unit.path.replace('/', '-')}-{a.roster.month:%Y%m}-{a.user_id}-{a.day:%d}",
                a.day,
                a.shift.start.hour,
                a.shift.hours,
                f"{a.shift.code} · {a.shift.name}",
                a.area.name,
            )
            for a in assignments
        ),
    )
