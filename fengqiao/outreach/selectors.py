"""Reads of outreach, always through the reader's scope; a row outside it is a 404 like a
missing one. Coverage and the monthly figures are counted in the database, not row by row."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from fengqiao.core.scoping import OutOfScope, is_staff, scope_q
from fengqiao.geo.models import Division, PoliceUnit
from fengqiao.outreach.choices import CampaignStatus, ConsultationOutcome
from fengqiao.outreach.models import (
    Campaign,
    Consultation,
    Lecture,
    MessageTemplate,
    PushSubscription,
    ResidentGroup,
)
from fengqiao.registry.models import Person


def _none_unless_staff(model, user):
    visible = model.objects.visible_to(user)
    return visible if is_staff(user) else visible.none()


def groups_for(user):
    return _none_unless_staff(ResidentGroup, user)


def campaigns_for(user):
    return _none_unless_staff(Campaign, user)


def consultations_for(user):
    return _none_unless_staff(Consultation, user)


def lectures_for(user):
    return _none_unless_staff(Lecture, user)


@dataclass(frozen=True)
class ListFilter:
    """What a list page and the dashboard's figures that link to it narrow by: a node of the
    tree (``unit``), a period (both days included) on ``date_field``, and one choice."""

    date_field: str = ""
    period_keys: tuple[str, str] = ("from", "to")
    choice: tuple[str, type] | None = None  # (parameter, its choices)

    def apply(self, qs: QuerySet, params) -> QuerySet:
        unit = params.get("unit", "").strip()
        if unit:
            qs = qs.filter(scope_q([unit], vendor=connections[qs.db].vendor))
        for key, lookup in zip(self.period_keys, ("gte", "lte"), strict=True):
            if not self.date_field:
                break
            try:
                day = dt.date.fromisoformat(params.get(key, ""))
            except ValueError:
                continue
            if qs.model._meta.get_field(self.date_field).get_internal_type() == "DateField":
                qs = qs.filter(**{f"{self.date_field}__{lookup}": day})
            else:
                qs = qs.filter(**{f"{self.date_field}__date__{lookup}": day})
        if self.choice:
            name, choices = self.choice
            if params.get(name, "") in choices.values:
                qs = qs.filter(**{name: params[name]})
        return qs


LISTS = {
    "groups": (groups_for, ListFilter()),
    "campaigns": (campaigns_for, ListFilter("sent_at", ("sent_from", "sent_to"), ("status", CampaignStatus))),
    "consultations": (consultations_for, ListFilter("consulted_at", choice=("outcome", ConsultationOutcome))),
    "lectures": (lectures_for, ListFilter("held_on")),
}


def listed(kind: str, user, params) -> QuerySet:
    """The records the list page of ``kind`` shows ``user`` for the query ``params``."""
    read, narrow = LISTS[kind]
    return narrow.apply(read(user), params)


def _one(qs, pk, what: str):
    try:
        obj = qs.filter(pk=pk).first()
    except (TypeError, ValueError):
        obj = None
    if obj is None:
        raise OutOfScope(f"No {what} matches the given query.")
    return obj


def group_for(user, pk) -> ResidentGroup:
    return _one(groups_for(user).select_related("grid", "unit", "community", "owner"), pk, "resident group")


def campaign_for(user, pk) -> Campaign:
    return _one(campaigns_for(user).select_related("created_by", "decided_by"), pk, "campaign")


def consultation_for(user, pk) -> Consultation:
    return _one(
        consultations_for(user).select_related("grid", "unit", "taken_by", "event"), pk, "consultation"
    )


def lecture_for(user, pk) -> Lecture:
    return _one(lectures_for(user).select_related("grid", "unit", "created_by"), pk, "lecture")


def templates():
    return MessageTemplate.objects.all()


def subscriptions_of(user):
    return PushSubscription.objects.filter(user=user, is_active=True).select_related("community")


@dataclass(frozen=True)
class Coverage:
    community: Division
    groups: int
    members: int
    residents: int

    @property
    def share(self) -> float | None:
        """Members against the registry's residents (a resident may be in several groups, and a
        member may live elsewhere, so it can pass 100 %)."""
        return round(100 * self.members / self.residents, 1) if self.residents else None


def coverage(user) -> list[Coverage]:
    """Per community of the reader's area: its groups, their members, and the registry's residents."""
    groups = groups_for(user).filter(is_active=True).order_by()
    by_community = {
        row["community"]: row
        for row in groups.values("community").annotate(n=Count("pk"), members=Sum("members"))
    }
    # Counting people reads no one's record: a count is not a read of personal data.
    people = Person.objects.visible_to(user).filter(retired_at__isnull=True, grid__isnull=False).order_by()
    residents = dict(
        people.values("grid__community").annotate(n=Count("pk")).values_list("grid__community", "n")
    )
    ids = set(by_community) | set(residents)
    rows = [
        Coverage(
            community=community,
            groups=by_community.get(community.pk, {}).get("n", 0),
            members=by_community.get(community.pk, {}).get("members") or 0,
            residents=residents.get(community.pk, 0),
        )
        for community in Division.objects.filter(pk__in=ids).order_by("code")
    ]
    return rows


# --- monthly figures per station ---------------------------------------------------------------


@dataclass
class MonthFigures:
    station: str  # the station's path
    station_name: str
    month: dt.date
    consultations: int = 0
    dissuaded: int = 0
    defrauded: int = 0
    losses_prevented: Decimal = Decimal(0)
    losses: Decimal = Decimal(0)
    lectures: int = 0
    attendance: int = 0


def station_of(path: str) -> str:
    """The station's node of a tree path (city/county/station/…)."""
    return "/".join(path.split("/")[:3])


def _month(value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().replace(day=1)
    return value.replace(day=1)


def monthly_figures(user, year: int) -> list[MonthFigures]:
    """Per station of the reader's area and month of ``year``: consultations, residents dissuaded,
    the amount they were not cheated of, residents already defrauded and their losses, stalls and
    lectures and their attendance."""
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    rows: dict[tuple[str, dt.date], MonthFigures] = {}

    def row(path, month) -> MonthFigures:
        key = (station_of(path), _month(month))
        if key not in rows:
            rows[key] = MonthFigures(station=key[0], station_name="", month=key[1])
        return rows[key]

    consultations = (
        consultations_for(user)
        .filter(consulted_at__gte=start, consulted_at__lt=end)
        .order_by()
        .annotate(m=TruncMonth("consulted_at"))
        .values("scope_path", "m")
        .annotate(
            n=Count("pk"),
            dissuaded=Count("pk", filter=Q(outcome=ConsultationOutcome.DISSUADED)),
            defrauded=Count("pk", filter=Q(outcome=ConsultationOutcome.DEFRAUDED)),
            prevented=Sum("amount_at_stake", filter=Q(outcome=ConsultationOutcome.DISSUADED)),
            lost=Sum("amount_lost"),
        )
    )
    for c in consultations:
        r = row(c["scope_path"], c["m"])
        r.consultations += c["n"]
        r.dissuaded += c["dissuaded"]
        r.defrauded += c["defrauded"]
        r.losses_prevented += c["prevented"] or 0
        r.losses += c["lost"] or 0
    lectures = (
        lectures_for(user)
        .filter(held_on__year=year)
        .order_by()
        .annotate(m=TruncMonth("held_on"))
        .values("scope_path", "m")
        .annotate(n=Count("pk"), people=Sum("attendance"))
    )
    for lecture in lectures:
        r = row(lecture["scope_path"], lecture["m"])
        r.lectures += lecture["n"]
        r.attendance += lecture["people"] or 0
    names = dict(
        PoliceUnit.objects.filter(path__in={r.station for r in rows.values()}).values_list("path", "name")
    )
    for r in rows.values():
        r.station_name = names.get(r.station, r.station)
    return sorted(rows.values(), key=lambda r: (r.station, r.month))
