"""Demo outreach at the article's scale: 2,705 police–resident groups with 347,000 members and
541,000 messages sent to them in a year at scale 1.0 (each group hears about 200 campaigns a
year, so the messages scale with the groups), plus anti-fraud consultations and stalls and
lectures.

Every campaign of the year is a station's message to its groups, approved by the station and sent
by the group bots; its deliveries are one row per group (541,000 rows at 1.0), written in bulk
with the import path's ``copy_in``. A few consultations of residents already defrauded open their
fraud case through the events' intake, as the page does. Deterministic for a seed and a day.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import Posting
from fengqiao.core.importing import bulk_load, copy_in
from fengqiao.core.roles import Role
from fengqiao.demo.city import seeded
from fengqiao.events.choices import FraudType
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.outreach import actions
from fengqiao.outreach.choices import (
    CampaignStatus,
    ConsultationChannel,
    ConsultationOutcome,
    DeliveryChannel,
    DeliveryState,
    LectureKind,
    MessageKind,
    Platform,
)
from fengqiao.outreach.models import (
    Campaign,
    CampaignDelivery,
    Consultation,
    Lecture,
    MemberCount,
    MessageTemplate,
    ResidentGroup,
)

UNSCOPED = "demo: the generator fills and clears the whole of outreach"
GROUPS = 2705
MEMBERS = 347_000
MESSAGES_PER_GROUP = 200  # 541,000 / 2,705
CONSULTATIONS = 12_000
LECTURES = 3_000
DEFRAUDED_CASES = 0.02  # share of consultations with a resident already defrauded (each opens a case)
FAILED_SHARE = 0.004

PLATFORMS = [(Platform.WECHAT, 60), (Platform.WECOM, 30), (Platform.QQ, 10)]
KINDS = [
    (MessageKind.PREVENTION, 40),
    (MessageKind.ANTI_FRAUD, 35),
    (MessageKind.INCIDENT, 15),
    (MessageKind.POLICY, 10),
]
SCAMS = [
    (FraudType.ORDER_BRUSHING, 22),
    (FraudType.INVESTMENT, 15),
    (FraudType.CUSTOMER_SERVICE, 18),
    (FraudType.AUTHORITIES, 10),
    (FraudType.LOAN, 12),
    (FraudType.CREDIT, 8),
    (FraudType.GAME_TRADING, 6),
    (FraudType.OTHER, 9),
]
MESSAGES = {
    MessageKind.PREVENTION: [
        ("天气转暖，谨防入室盗窃", "外出请锁好门窗，贵重物品妥善保管，发现可疑人员请拨打110。"),
        ("电动车防盗提醒", "请将电动车停放在有监控的车棚，加装防盗锁，切勿私拉电线充电。"),
        ("春节期间安全防范提示", "燃放烟花爆竹注意安全，外出探亲访友关好水电气。"),
    ],
    MessageKind.ANTI_FRAUD: [
        ("警惕冒充客服退款诈骗", "凡是自称客服主动退款、要求共享屏幕或索要验证码的，都是诈骗。"),
        ("刷单返利都是诈骗", "网上兼职刷单“先垫付后返利”是诈骗，切勿轻信。"),
        ("冒充公检法诈骗预警", "公检法机关不会通过电话办案，更没有“安全账户”。"),
    ],
    MessageKind.INCIDENT: [
        ("近期辖区警情通报", "近期辖区发生多起电动车被盗案件，请群众提高警惕，发现线索及时报警。"),
        ("一周警情通报", "上周辖区共接报警情若干起，其中电信网络诈骗占比较高，请广大群众注意防范。"),
    ],
    MessageKind.POLICY: [
        ("户籍业务办理指南", "身份证补领、户口迁移等业务可在派出所或网上办理，详情咨询户籍窗口。"),
        ("无犯罪记录证明办理须知", "可在门户网站或智慧警务室自助申请，三个工作日内办结。"),
    ],
}
TOPICS = {
    LectureKind.STALL: ["反诈宣传进集市", "防范电信网络诈骗宣传", "禁毒知识宣传"],
    LectureKind.LECTURE: [
        "社区警务大讲堂：识骗防骗",
        "社区警务大讲堂：老年人防诈骗",
        "社区警务大讲堂：校园安全",
    ],
    LectureKind.LAW_TIME: [
        "普法时间：民法典与邻里关系",
        "普法时间：反有组织犯罪法",
        "普法时间：治安管理处罚法",
    ],
}


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _suffix(n: int, grids: int) -> str:
    """A grid's second or later group is numbered."""
    return "" if n < grids else str(n // grids + 1)


def _officers() -> dict[int, int]:
    """A community officer for each police district that has one (district id → user id)."""
    rows = Posting.objects.filter(
        unit__isnull=False, user__role=Role.COMMUNITY_OFFICER, user__is_active=True
    ).values_list("unit_id", "user_id")
    found: dict[int, int] = {}
    for unit_id, user_id in rows.order_by("unit_id", "user_id"):
        found.setdefault(unit_id, user_id)
    return found


def generate(*, actor, scale: float, seed: int, now: dt.datetime | None = None) -> dict[str, int] | None:
    """Groups, a year of campaigns with their deliveries, consultations and lectures; None when
    there are groups already."""
    if ResidentGroup.objects.unscoped(reason=UNSCOPED).exists():
        return None
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = seeded(seed, "outreach")
    grids = list(
        Grid.objects.unscoped(reason=UNSCOPED)
        .filter(is_active=True)
        .order_by("code")
        .values_list("pk", "scope_path", "community_id", "district_id", "name")
    )
    if not grids:
        return None
    officers = _officers()
    n_groups = max(1, round(GROUPS * scale))
    counts = {}
    with transaction.atomic(), bulk_load([CampaignDelivery, MemberCount]):
        # groups: spread over the grids, every grid before any gets a second
        chosen = [grids[i % len(grids)] for i in rng.sample(range(max(n_groups, len(grids))), n_groups)]
        mean = MEMBERS / GROUPS
        groups = []
        for n, (grid_id, path, community_id, district_id, name) in enumerate(chosen):
            members = max(20, min(500, round(rng.gauss(mean, mean / 3))))
            groups.append(
                ResidentGroup(
                    platform=_pick(rng, PLATFORMS),
                    name=f"{name}警民{'联系' if n % 2 else '平安'}群{_suffix(n, len(grids))}",
                    grid_id=grid_id,
                    community_id=community_id,
                    owner_id=officers.get(district_id, actor.pk),
                    members=members,
                    members_on=today,
                    created_by=actor,
                    scope_path=path,
                )
            )
        groups = ResidentGroup.objects.bulk_create(groups, batch_size=1000)
        readings = []
        for group in groups:
            for quarter in range(4, -1, -1):
                readings.append(
                    MemberCount(
                        group=group,
                        counted_on=today - dt.timedelta(days=91 * quarter),
                        members=max(1, round(group.members * (1 - 0.06 * quarter))),
                        recorded_by_id=group.owner_id,
                    )
                )
        copy_in(readings)
        counts[_("resident groups")] = len(groups)
        counts[_("members of the groups")] = sum(g.members for g in groups)

        # campaigns: each station's groups hear about MESSAGES_PER_GROUP a year
        by_station: dict[str, list[ResidentGroup]] = defaultdict(list)
        for group in groups:
            by_station["/".join(group.scope_path.split("/")[:3])].append(group)
        stations = dict(PoliceUnit.objects.filter(path__in=by_station).values_list("path", "name"))
        campaigns, outcomes = [], []
        for path in sorted(by_station):
            reached = by_station[path]
            for k in range(MESSAGES_PER_GROUP):
                kind = _pick(rng, KINDS)
                title, body = rng.choice(MESSAGES[kind])
                sent = now - dt.timedelta(days=365 * (k + rng.random()) / MESSAGES_PER_GROUP)
                ok = [rng.random() >= FAILED_SHARE for _ in reached]
                outcomes.append(ok)
                campaigns.append(
                    Campaign(
                        kind=kind,
                        title=title,
                        body=f"【{stations.get(path, '')}】{body}",
                        status=CampaignStatus.SENT,
                        created_by=actor,
                        submitted_at=sent - dt.timedelta(hours=2),
                        decided_by=actor,
                        decided_at=sent - dt.timedelta(hours=1),
                        started_at=sent,
                        sent_at=sent + dt.timedelta(minutes=1),
                        recipients=len(reached),
                        delivered=sum(ok),
                        failed=len(ok) - sum(ok),
                        scope_path=path,
                    )
                )
        campaigns = Campaign.objects.bulk_create(campaigns, batch_size=1000)
        deliveries = []
        for campaign, ok in zip(campaigns, outcomes, strict=True):
            for group, went in zip(by_station[campaign.scope_path], ok, strict=True):
                deliveries.append(
                    CampaignDelivery(
                        campaign_id=campaign.pk,
                        channel=DeliveryChannel.GROUP_BOT,
                        group_id=group.pk,
                        status=DeliveryState.SENT if went else DeliveryState.GIVEN_UP,
                        attempts=1 if went else 3,
                        last_error="" if went else "WeCom errcode 45009: api freq out of limit",
                        sent_at=campaign.sent_at if went else None,
                        created_at=campaign.started_at,
                    )
                )
            if len(deliveries) >= 20_000:
                copy_in(deliveries)
                deliveries = []
        copy_in(deliveries)
        counts[_("alerts and campaigns sent")] = len(campaigns)
        counts[_("messages delivered")] = sum(c.delivered for c in campaigns)
        for kind, (name, (title, body)) in enumerate(
            (f"{label}模板", MESSAGES[value][0]) for value, label in MessageKind.choices
        ):
            MessageTemplate.objects.get_or_create(
                name=name, defaults={"kind": MessageKind.values[kind], "title": title, "body": body}
            )

        # consultations and lectures, spread over the year and the grids
        consultations, cases = [], []
        for _n in range(max(1, round(CONSULTATIONS * scale))):
            grid_id, path, _community, district_id, _name = rng.choice(chosen)
            outcome = _pick(
                rng,
                [
                    (ConsultationOutcome.DISSUADED, 55),
                    (ConsultationOutcome.NOT_FRAUD, 45 - 100 * DEFRAUDED_CASES),
                    (ConsultationOutcome.DEFRAUDED, 100 * DEFRAUDED_CASES),
                ],
            )
            at = now - dt.timedelta(days=365 * rng.random())
            row = {
                "grid_id": grid_id,
                "consulted_at": at,
                "channel": _pick(rng, [(c, 1) for c in ConsultationChannel.values]),
                "scam_type": _pick(rng, SCAMS),
                "summary": "群众来电反映接到可疑电话，经民警核实研判。",
                "amount_at_stake": Decimal(rng.choice([500, 2000, 5000, 10_000, 30_000, 80_000])),
                "outcome": outcome,
            }
            if outcome == ConsultationOutcome.DEFRAUDED:
                cases.append(row)
            else:
                consultations.append(
                    Consultation(taken_by_id=officers.get(district_id, actor.pk), scope_path=path, **row)
                )
        Consultation.objects.bulk_create(consultations, batch_size=1000)
        grid_objects = Grid.objects.unscoped(reason=UNSCOPED).in_bulk([row["grid_id"] for row in cases])
        for row in cases:
            actions.log_consultation(
                actor=actor,
                grid=grid_objects[row["grid_id"]],
                channel=row["channel"],
                scam_type=row["scam_type"],
                summary=row["summary"],
                outcome=ConsultationOutcome.DEFRAUDED,
                consulted_at=row["consulted_at"],
                amount_at_stake=row["amount_at_stake"],
                amount_lost=row["amount_at_stake"],
            )
        counts[_("anti-fraud consultations")] = len(consultations) + len(cases)
        counts[_("fraud cases opened from consultations")] = len(cases)
        lectures = []
        for _n in range(max(1, round(LECTURES * scale))):
            grid_id, path, _community, district_id, name = rng.choice(chosen)
            kind = _pick(
                rng, [(LectureKind.STALL, 50), (LectureKind.LECTURE, 30), (LectureKind.LAW_TIME, 20)]
            )
            lectures.append(
                Lecture(
                    grid_id=grid_id,
                    scope_path=path,
                    kind=kind,
                    held_on=today - dt.timedelta(days=rng.randrange(365)),
                    place_text=f"{name}村委会广场",
                    topic=rng.choice(TOPICS[kind]),
                    speaker="社区民警",
                    attendance=rng.randint(15, 200),
                    created_by_id=officers.get(district_id, actor.pk),
                )
            )
        Lecture.objects.bulk_create(lectures, batch_size=1000)
        counts[_("stalls and lectures")] = len(lectures)
    return counts


def clear() -> None:
    """Remove every outreach row (before the city they refer to is generated again)."""
    with transaction.atomic():
        CampaignDelivery.objects.all().delete()
        Campaign.objects.unscoped(reason=UNSCOPED).delete()
        MemberCount.objects.all().delete()
        ResidentGroup.objects.unscoped(reason=UNSCOPED).delete()
        Consultation.objects.unscoped(reason=UNSCOPED).delete()
        Lecture.objects.unscoped(reason=UNSCOPED).delete()
        MessageTemplate.objects.all().delete()
