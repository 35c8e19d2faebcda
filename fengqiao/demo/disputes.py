"""Demo disputes at the seed city's rate: ~12,000 a year at scale 1.0, ~97 % of those whose month
is over resolved, written in bulk (``demo.bulk.BulkWriter``: executemany on SQLite, COPY on
PostgreSQL) with their parties, a session, the agreement and follow-up visits.

Hook for the demo command: ``generate_demo_disputes(actor=..., scale=registry_scale, seed=seed)``
after the registry; ``--reset`` passes ``reset=True``. Deterministic for a seed and a day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import Posting
from fengqiao.core import audit
from fengqiao.core.models import CaseCounter, TimelineEntry
from fengqiao.core.roles import Role
from fengqiao.demo import names
from fengqiao.demo.bulk import BulkWriter, bulk_load
from fengqiao.disputes.choices import (
    AgreementForm,
    Category,
    Outcome,
    PartyRole,
    Performance,
    Source,
    Status,
    VisitMethod,
)
from fengqiao.disputes.models import Agreement, Dispute, DisputeParty, FollowUp, MediationSession
from fengqiao.disputes.workflow import DISPUTE_WORKFLOW
from fengqiao.geo.models import Grid
from fengqiao.registry.validators import id_check_char

DEMO_DISPUTES = audit.register("demo_disputes", "generated the demo disputes")
UNSCOPED = "demo: the generator fills and clears the whole ledger"
PER_YEAR = 12_000
RESOLVED_SHARE = 0.97
LIMIT_DAYS = 30

CATEGORY_WEIGHTS = {
    Category.NEIGHBOURS: 24,
    Category.MARRIAGE_FAMILY: 20,
    Category.HOUSE_LAND: 10,
    Category.DAMAGES: 8,
    Category.CONTRACT: 7,
    Category.LABOUR: 6,
    Category.PROPERTY_MANAGEMENT: 5,
    Category.TRAFFIC: 5,
    Category.FOREST_LAND: 3,
    Category.BUSINESS: 3,
    Category.CONSUMER: 2,
    Category.EXPROPRIATION: 2,
    Category.MEDICAL: 1,
    Category.POLLUTION: 1,
    Category.INTERNET: 1,
    Category.TOURISM: 0.3,
    Category.INTELLECTUAL_PROPERTY: 0.2,
    Category.OTHER: 2,
}
SOURCE_WEIGHTS = {
    Source.SCREENING: 55,
    Source.APPLICATION: 30,
    Source.POLICE: 10,
    Source.COURT: 3,
    Source.GOVERNMENT: 2,
}
GRADE_WEIGHTS = {"blue": 50, "yellow": 35, "orange": 12, "red": 3}
TITLES = {
    Category.NEIGHBOURS: "邻里噪音纠纷",
    Category.MARRIAGE_FAMILY: "家庭赡养纠纷",
    Category.HOUSE_LAND: "宅基地边界纠纷",
    Category.DAMAGES: "人身损害赔偿纠纷",
    Category.CONTRACT: "买卖合同纠纷",
    Category.LABOUR: "拖欠工资纠纷",
    Category.PROPERTY_MANAGEMENT: "物业费纠纷",
    Category.TRAFFIC: "交通事故赔偿纠纷",
}


@dataclass
class DisputesReport:
    created: bool
    counts: dict = field(default_factory=dict)


def _pick(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _id_number(rng: random.Random, county: str) -> str:
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
    body = f"{county}{born:%Y%m%d}{rng.randrange(1, 999):03d}"
    return body + id_check_char(body)


def _sites():
    """(grid id, grid path, county code, lead officer id or None, grid worker id or None) per grid."""
    officers, workers = {}, {}
    for unit_path, grid_id, user_id, role in (
        Posting.objects.filter(user__is_active=True)
        .order_by("user_id")
        .values_list("unit__path", "grid_id", "user_id", "user__role")
    ):
        if unit_path and role == Role.COMMUNITY_OFFICER:
            officers.setdefault(unit_path, user_id)
        elif grid_id and role == Role.GRID_WORKER:
            workers.setdefault(grid_id, user_id)
    grids = Grid.objects.unscoped(reason=UNSCOPED).filter(is_active=True).order_by("code")
    return [
        (pk, path, path.split("/")[1], officers.get(path.rsplit("/", 1)[0]), workers.get(pk))
        for pk, path in grids.values_list("pk", "scope_path")
    ]


OUTCOME_STEPS = {
    Outcome.RESOLVED: ("record_agreement", "resolve"),
    Outcome.NOT_RESOLVED: ("fail",),
    Outcome.REFERRED: ("refer",),
    Outcome.TERMINATED: ("terminate",),
}


def _steps(status, outcome, opened, outcome_at, now) -> list[tuple[str, dt.datetime]]:
    """The steps that took a demo dispute to ``status``, and when."""
    if status == Status.REGISTERED:
        return []
    started = opened + dt.timedelta(hours=2)
    steps = [("start", started), ("record_session", min(outcome_at or now, now))]
    if outcome:
        steps += [(name, outcome_at) for name in OUTCOME_STEPS[outcome]]
    if status in (Status.FOLLOW_UP, Status.ARCHIVED):
        steps.append(("follow_up", min(outcome_at + dt.timedelta(days=10), now)))
    if status == Status.ARCHIVED:
        steps.append(("archive", outcome_at + dt.timedelta(days=30)))
    return steps


def _timeline(steps, row: dict, actor_id) -> list[dict]:
    """The timeline rows of ``steps``, each taken as the dispute workflow declares it: from the
    states it allows, to its target. The last must be the dispute's status."""
    status = DISPUTE_WORKFLOW.initial
    base = {"case_type": "dispute", "case_id": row["id"], "holder_path": row["holder_path"]}
    entries = [{**base, "at": row["opened_at"], "transition": "open", "to_status": status}]
    for name, at in steps:
        step = DISPUTE_WORKFLOW.transition(name)
        if status not in step.sources:
            raise ValueError(f"the demo planned {name} from {status}")
        to = step.target or status
        entries.append({**base, "at": at, "transition": name, "from_status": status, "to_status": to})
        entries[-1]["actor_id"] = actor_id
        status = to
    if status != row["status"]:
        raise ValueError(f"the demo's steps end at {status}, not {row['status']}")
    return entries


def clear_demo_disputes() -> None:
    """Empty the ledger (before the city it refers to is generated again)."""
    ledger = Dispute.objects.unscoped(reason=UNSCOPED)
    ids = list(ledger.values_list("pk", flat=True))
    with transaction.atomic():
        TimelineEntry.objects.filter(case_type="dispute", case_id__in=ids).delete()
        ledger.delete()  # parties, sessions, agreements and visits go with them
        CaseCounter.objects.filter(prefix__in=["TJ", "TJXY"]).delete()


@transaction.atomic
def generate_demo_disputes(
    *, actor, scale: float = 1.0, seed: int = 1, today: dt.date | None = None, reset: bool = False
) -> DisputesReport:
    """Fill the ledger with a year of disputes up to ``today``. If it holds any, nothing changes
    unless ``reset``. One transaction, one audit entry."""
    if actor is None or not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser may generate the demo city."))
    if Dispute.objects.unscoped(reason=UNSCOPED).exists():
        if not reset:
            return DisputesReport(created=False)
        clear_demo_disputes()
    sites = _sites()
    if not sites:
        return DisputesReport(created=False)
    today = today or timezone.localdate()
    rng = random.Random(f"{seed}:disputes:{today}")
    total = round(PER_YEAR * scale)
    tz = timezone.get_current_timezone()
    now = timezone.now()
    start = today - dt.timedelta(days=364)
    openings = sorted(
        dt.datetime.combine(start + dt.timedelta(days=rng.randrange(365)), dt.time(8), tzinfo=tz)
        + dt.timedelta(minutes=rng.randrange(0, 10 * 60))
        for _ in range(total)
    )
    first = {
        m: (m.objects.unscoped(reason=UNSCOPED) if m is Dispute else m.objects).aggregate(x=Max("pk"))["x"]
        or 0
        for m in (Dispute, DisputeParty, MediationSession, Agreement, FollowUp, TimelineEntry)
    }
    through = Dispute.mediators.through
    first[through] = through.objects.aggregate(x=Max("pk"))["x"] or 0
    mediators = timeline = 0
    writer = BulkWriter(
        {
            "dispute": Dispute,
            "party": DisputeParty,
            "session": MediationSession,
            "agreement": Agreement,
            "follow_up": FollowUp,
            "mediator": Dispute.mediators.through,
            "timeline": TimelineEntry,
        },
        batch_size=20_000,
    )
    counters: dict[tuple, int] = {}
    counts = dict.fromkeys(("dispute", "party", "session", "agreement", "follow_up"), 0)
    resolved = 0
    with bulk_load():
        for n, opened in enumerate(openings):
            if opened > now:
                opened = now - dt.timedelta(minutes=1)
            pk = first[Dispute] + n + 1
            grid_id, path, county, officer, worker = sites[rng.randrange(len(sites))]
            day = timezone.localtime(opened, tz).date()
            counters[("TJ", county, day)] = seq = counters.get(("TJ", county, day), 0) + 1
            category = _pick(rng, CATEGORY_WEIGHTS)
            grade = _pick(rng, GRADE_WEIGHTS)
            age = (now - opened).days
            if age > LIMIT_DAYS or rng.random() < age / LIMIT_DAYS:
                outcome = (
                    Outcome.RESOLVED
                    if rng.random() < RESOLVED_SHARE
                    else _pick(rng, {Outcome.NOT_RESOLVED: 4, Outcome.REFERRED: 5, Outcome.TERMINATED: 1})
                )
            else:
                outcome = ""
            outcome_at = (
                min(opened + dt.timedelta(days=rng.randint(1, min(max(age, 1), 28))), now)
                if outcome
                else None
            )
            if not outcome:
                status = Status.MEDIATING if age >= 1 else Status.REGISTERED
            elif age > 60:
                status = Status.ARCHIVED
            elif age > 14:
                status = Status.FOLLOW_UP
            else:
                status = outcome
            lead = officer or worker or actor.pk
            row = {
                "id": pk,
                "scope_path": path,
                "number": f"TJ-{county}-{day:%Y%m%d}-{seq:04d}",
                "status": status,
                "holder_path": path.rsplit("/", 1)[0],
                "assignee_id": officer,
                "opened_at": opened,
                "step_started_at": outcome_at or opened,
                "due_at": opened + dt.timedelta(days=LIMIT_DAYS) if not outcome else None,
                "closed_at": outcome_at + dt.timedelta(days=30) if status == Status.ARCHIVED else None,
                "title": TITLES.get(category, "矛盾纠纷")
                + f"（{names.surname(rng)}某与{names.surname(rng)}某）",
                "source": _pick(rng, SOURCE_WEIGHTS),
                "category": category,
                "grade": grade,
                "grid_id": grid_id,
                "people_count": rng.choice((2, 2, 2, 3, 4, 6)),
                "amount": Decimal(rng.choice((0, 0, 500, 1200, 3000, 8000, 20000, 50000))),
                "facts": "双方因" + TITLES.get(category, "琐事")[:-2] + "问题发生争执，经网格员排查发现。",
                "points": "赔偿数额及履行方式。",
                "registered_by_id": worker or officer or actor.pk,
                "kept_from_criminal": rng.random() < 0.02,
                "flagged": grade == "red",
                "outcome": outcome,
                "outcome_at": outcome_at,
                "referred_to": "court" if outcome == Outcome.REFERRED else "",
            }
            entries = _timeline(_steps(status, outcome, opened, outcome_at, now), row, lead)
            row["version"] = len(entries)
            writer.add("dispute", [row])
            writer.add(
                "party",
                [
                    {
                        "id": first[DisputeParty] + counts["party"] + i + 1,
                        "dispute_id": pk,
                        "role": role,
                        "name": names.person_name(rng),
                        "id_number": _id_number(rng, county),
                    }
                    for i, role in enumerate((PartyRole.APPLICANT, PartyRole.RESPONDENT))
                ],
            )
            counts["party"] += 2
            writer.add(
                "timeline",
                [{"id": first[TimelineEntry] + timeline + i, **e} for i, e in enumerate(entries, 1)],
            )
            timeline += len(entries)
            if lead:
                mediators += 1
                writer.add(
                    "mediator", [{"id": first[through] + mediators, "dispute_id": pk, "user_id": lead}]
                )
            if age >= 1 and lead:
                counts["session"] += 1
                writer.add(
                    "session",
                    [
                        {
                            "id": first[MediationSession] + counts["session"],
                            "dispute_id": pk,
                            "held_on": (outcome_at or now).date(),
                            "place": "村（社区）调解室",
                            "participants": "社区民警、网格员、村干部",
                            "minutes": "听取双方陈述，释法明理，促成和解。",
                            "recorded_by_id": lead,
                        }
                    ],
                )
            if outcome == Outcome.RESOLVED and lead:
                resolved += 1
                signed = timezone.localtime(outcome_at, tz).date()
                counters[("TJXY", county, signed)] = aseq = counters.get(("TJXY", county, signed), 0) + 1
                serial = f"TJXY-{county}-{signed:%Y%m%d}-{aseq:04d}"
                counts["agreement"] += 1
                writer.add(
                    "agreement",
                    [
                        {
                            "id": first[Agreement] + counts["agreement"],
                            "dispute_id": pk,
                            "serial": serial,
                            "form": AgreementForm.WRITTEN if rng.random() < 0.8 else AgreementForm.ORAL,
                            "terms": "被申请人向申请人赔偿损失，双方就此了结。",
                            "performance_method": "一次性支付",
                            "perform_by": signed + dt.timedelta(days=15),
                            "signed_on": signed,
                            "made_by_id": lead,
                            "content_hash": hashlib.sha256(f"{serial}:{seed}".encode()).hexdigest(),
                            "performance": Performance.PERFORMED
                            if status != Status.RESOLVED
                            else Performance.PENDING,
                        }
                    ],
                )
            if status in (Status.FOLLOW_UP, Status.ARCHIVED) and lead:
                counts["follow_up"] += 1
                writer.add(
                    "follow_up",
                    [
                        {
                            "id": first[FollowUp] + counts["follow_up"],
                            "dispute_id": pk,
                            "visited_on": (outcome_at + dt.timedelta(days=10)).date(),
                            "method": VisitMethod.PHONE,
                            "performance": Performance.PERFORMED if outcome == Outcome.RESOLVED else "",
                            "note": "回访：双方无新矛盾。",
                            "visited_by_id": lead,
                        }
                    ],
                )
            writer.maybe_flush()
        written = writer.finish()
    # Numbers the engine gives later must follow the generated ones.
    for (prefix, county, day), last in counters.items():
        CaseCounter.objects.update_or_create(prefix=prefix, county=county, day=day, defaults={"last": last})
    counts = {**{k: written[k] for k in counts}, "resolved": resolved}
    audit.record(
        DEMO_DISPUTES,
        None,
        actor=actor,
        object_type="disputes.dispute",
        object_repr=_("demo disputes"),
        after={"scale": scale, "seed": seed, "today": today, "counts": counts, "reset": reset},
    )
    return DisputesReport(created=True, counts=counts)
