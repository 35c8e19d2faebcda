"""Demo disputes at the seed city's rate: ~12,000 a year at scale 1.0, ~97 % of those whose month
is over resolved, with their parties, a session, the agreement and follow-up visits. Each
dispute's steps are planned here and taken by the casework kernel's bulk path
(``casework.Life``: statuses, limits, timeline rows, numbers as the engine makes them); the rows
go in with the import path's ``copy_in``.

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

from fengqiao.accounts.models import Posting, User
from fengqiao.core import audit, casework, workcalendar
from fengqiao.core.importing import bulk_load, copy_in
from fengqiao.core.models import CaseCounter, TimelineEntry
from fengqiao.core.roles import Role
from fengqiao.demo import names
from fengqiao.disputes.actions import district_path
from fengqiao.disputes.choices import (
    AgreementForm,
    Category,
    MediationKind,
    Outcome,
    PartyRole,
    Performance,
    Source,
    VisitMethod,
)
from fengqiao.disputes.models import Agreement, Dispute, DisputeParty, FollowUp, MediationSession
from fengqiao.disputes.rules import committee_name
from fengqiao.disputes.workflow import AGREEMENT_FIELDS, AGREEMENT_PREFIX, DISPUTE_WORKFLOW
from fengqiao.geo.models import Grid
from fengqiao.registry.validators import make_id_number

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
    return make_id_number(county, born, rng.choice("MF"), rng.randrange(500))


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


OUTCOME_STEPS = {Outcome.NOT_RESOLVED: "fail", Outcome.REFERRED: "refer", Outcome.TERMINATED: "terminate"}
NOTES = {
    Outcome.NOT_RESOLVED: "双方分歧较大，调解未成。",
    Outcome.REFERRED: "告知当事人向人民法院起诉。",
    Outcome.TERMINATED: "一方当事人拒绝继续调解。",
}
SESSION = {
    "place": "村（社区）调解室",
    "participants": "社区民警、网格员、村干部",
    "minutes": "听取双方陈述，释法明理，促成和解。",
}


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
    first = Dispute.objects.unscoped(reason=UNSCOPED).aggregate(x=Max("pk"))["x"] or 0
    # People's mediation by the grid's village committee; every tenth jointly with the station.
    committees = {
        pk: committee_name(name)
        for pk, name in Grid.objects.unscoped(reason=UNSCOPED).values_list("pk", "community__name")
    }
    load, agreements = casework.BulkLoad(DISPUTE_WORKFLOW), casework.Numbers(AGREEMENT_PREFIX)
    rows: dict[type, list] = {m: [] for m in (Dispute, DisputeParty, MediationSession, Agreement, FollowUp)}
    rows[Dispute.mediators.through], timeline = [], []
    with workcalendar.pinned():
        for n, opened in enumerate(openings):
            if opened > now:
                opened = now - dt.timedelta(minutes=1)
            grid_id, path, county, officer, worker = sites[rng.randrange(len(sites))]
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
            lead = User(pk=officer or worker or actor.pk)
            dispute = Dispute(
                pk=first + n + 1,
                scope_path=path,
                holder_path=district_path(Grid(scope_path=path)),
                assignee_id=officer,
                title=TITLES.get(category, "矛盾纠纷")
                + f"（{names.surname(rng)}某与{names.surname(rng)}某）",
                source=_pick(rng, SOURCE_WEIGHTS),
                category=category,
                grade=grade,
                grid_id=grid_id,
                kind=MediationKind.JOINT if n % 10 == 0 else MediationKind.PEOPLE,
                committee=committees[grid_id],
                people_count=rng.choice((2, 2, 2, 3, 4, 6)),
                amount=Decimal(rng.choice((0, 0, 500, 1200, 3000, 8000, 20000, 50000))),
                facts="双方因" + TITLES.get(category, "琐事")[:-2] + "问题发生争执，经网格员排查发现。",
                points="赔偿数额及履行方式。",
                registered_by_id=worker or officer or actor.pk,
                kept_from_criminal=rng.random() < 0.02,
                flagged=grade == "red",
            )
            life = load.open(dispute, county=county, actor=User(pk=dispute.registered_by_id), at=opened)
            rows[Dispute].append(dispute)
            rows[DisputeParty] += [
                DisputeParty(
                    dispute=dispute, role=role, name=names.person_name(rng), id_number=_id_number(rng, county)
                )
                for role in (PartyRole.APPLICANT, PartyRole.RESPONDENT)
            ]
            rows[Dispute.mediators.through].append(Dispute.mediators.through(dispute=dispute, user=lead))
            if age >= 1:  # mediating: the lead started it, and held a session
                life.move("start", at=opened + dt.timedelta(hours=2), actor=lead, sets={})
                session = MediationSession(
                    dispute=dispute, held_on=(outcome_at or now).date(), recorded_by=lead, **SESSION
                )
                rows[MediationSession].append(session)
                life.move(
                    "record_session",
                    at=min(outcome_at or now, now),
                    actor=lead,
                    data={"held_on": session.held_on, **SESSION},
                    sets={},
                )
            if outcome == Outcome.RESOLVED:
                signed = timezone.localtime(outcome_at, tz).date()
                agreement = Agreement(
                    dispute=dispute,
                    serial=agreements.next(county, signed),
                    form=AgreementForm.WRITTEN if rng.random() < 0.8 else AgreementForm.ORAL,
                    terms="被申请人向申请人赔偿损失，双方就此了结。",
                    performance_method="一次性支付",
                    perform_by=signed + dt.timedelta(days=15),
                    signed_on=signed,
                    made_by=lead,
                    performance=Performance.PERFORMED if age > 14 else Performance.PENDING,
                )
                agreement.content_hash = hashlib.sha256(f"{agreement.serial}:{seed}".encode()).hexdigest()
                rows[Agreement].append(agreement)
                terms = {name: getattr(agreement, name) for name in AGREEMENT_FIELDS}
                life.move("record_agreement", at=outcome_at, actor=lead, data=terms, sets={})
                life.move(
                    "resolve", at=outcome_at, actor=lead, sets={"outcome": outcome, "outcome_at": outcome_at}
                )
            elif outcome:
                data = {"to": "court"} if outcome == Outcome.REFERRED else {}
                life.move(OUTCOME_STEPS[outcome], at=outcome_at, actor=lead, note=NOTES[outcome], data=data)
            if outcome and age > 14:  # a follow-up visit; after two months the file is archived
                visit = FollowUp(
                    dispute=dispute,
                    visited_on=(outcome_at + dt.timedelta(days=10)).date(),
                    method=VisitMethod.PHONE,
                    performance=Performance.PERFORMED if outcome == Outcome.RESOLVED else "",
                    note="回访：双方无新矛盾。",
                    visited_by=lead,
                )
                rows[FollowUp].append(visit)
                data = {
                    "visited_on": visit.visited_on,
                    "method": visit.method,
                    "performance": visit.performance,
                }
                life.move(
                    "follow_up",
                    at=min(outcome_at + dt.timedelta(days=10), now),
                    actor=lead,
                    note=visit.note,
                    data=data,
                    sets={},
                )
                if age > 60:
                    life.move("archive", at=outcome_at + dt.timedelta(days=30), actor=lead)
            timeline += life.rows()
    with bulk_load([*rows, TimelineEntry]):
        for objs in [*rows.values(), timeline]:
            copy_in(objs)
    load.numbers.save()
    agreements.save()
    counts = {
        "dispute": len(rows[Dispute]),
        "party": len(rows[DisputeParty]),
        "session": len(rows[MediationSession]),
        "agreement": len(rows[Agreement]),
        "follow_up": len(rows[FollowUp]),
        "resolved": len(rows[Agreement]),
    }
    audit.record(
        DEMO_DISPUTES,
        None,
        actor=actor,
        object_type="disputes.dispute",
        object_repr=_("demo disputes"),
        after={"scale": scale, "seed": seed, "today": today, "counts": counts, "reset": reset},
    )
    return DisputesReport(created=True, counts=counts)
