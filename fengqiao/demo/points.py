"""The points store in the demo city (issue 18): for every police station whose area has patrol
teams (the patrols' demo), its earning rule, partner businesses and catalogue, and a year of the
ledger — monthly deliveries, its volunteers' points for patrols, leads and mediation help (within
the monthly cap), their redemptions at the counter while points and stock allow, and each month's
stock count, now and then a piece short with its reason and the adjustment. Written in bulk, in one
transaction, with the cached balances set to the sums of their entries (``fengqiao points check``
passes). Deterministic for a seed and a day."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import Posting
from fengqiao.core import audit
from fengqiao.core.roles import Role
from fengqiao.demo.city import seeded
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit
from fengqiao.patrols.models import Member
from fengqiao.points import actions
from fengqiao.points.choices import AccountKind, Source
from fengqiao.points.models import (
    Account,
    EarningRule,
    Entry,
    Flag,
    Item,
    Partner,
    Reservation,
    StockCount,
    Transaction,
    new_code,
)

UNSCOPED = "demo: the generator fills and clears the points store"
DEMO_POINTS = audit.register("demo_points", "generated the demo points store")
MONTHS = 12
ITEMS = (("洗衣液", 30), ("食用油 5L", 80), ("大米 10kg", 60), ("毛巾", 10), ("理发券", 20), ("保温杯", 40))
PARTNERS = (("便民超市", "马", "0953-2011{n:03d}"), ("爱心理发店", "杨", "0953-2022{n:03d}"))
EARNING = (
    (Source.PATROL, "巡逻{h}小时", 0.6),
    (Source.LEAD, "提供线索：{lead}", 0.25),
    (Source.MEDIATION, "协助调解邻里纠纷", 0.15),
)
LEADS = ("村口有人兜售假药", "河边护栏松动", "夜间有可疑车辆", "电信诈骗传单", "空房有人聚集")


def clear() -> None:
    """Remove the points store (before the teams its accounts name go). The ledger's own querysets
    refuse deletion; a plain queryset of the model is the generator's way round."""
    with transaction.atomic():
        for model in (Flag, StockCount, Reservation, Entry, Transaction, Account, Item, Partner, EarningRule):
            models.QuerySet(model).delete()


@contextlib.contextmanager
def _dated():
    """Keep the created_at the generator gives: a year of history, not all of it today."""
    fields = [Transaction._meta.get_field("created_at"), StockCount._meta.get_field("counted_at")]
    for field in fields:
        field.auto_now_add = False
    try:
        yield
    finally:
        for field in fields:
            field.auto_now_add = True


def _stations_with_teams() -> dict[PoliceUnit, list[Member]]:
    stations = list(PoliceUnit.objects.filter(kind=UnitKind.STATION).order_by("path"))
    found: dict[PoliceUnit, list[Member]] = defaultdict(list)
    for member in Member.objects.filter(is_active=True).select_related("team").order_by("pk"):
        for station in stations:
            if (
                member.team.scope_path.startswith(station.path + "/")
                or member.team.scope_path == station.path
            ):
                found[station].append(member)
                break
    return found


@transaction.atomic
def generate(
    *, actor, scale: float = 1.0, seed: int = 1, today: dt.date | None = None
) -> dict[str, int] | None:
    """Fill the points store; None when it has data already or there are no teams."""
    if actor is None or not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser may generate the demo city."))
    if Account.objects.unscoped(reason=UNSCOPED).exists():
        return None
    members_of = _stations_with_teams()
    if not members_of:
        return None
    today = today or timezone.localdate()
    rng = seeded(seed, "points", str(today))
    clerks = dict(
        Posting.objects.filter(user__role=Role.STATION, user__is_active=True, unit__isnull=False)
        .order_by("user_id")
        .values_list("unit_id", "user_id")
    )
    counts: dict[str, int] = defaultdict(int)
    with _dated():
        for n, (station, members) in enumerate(members_of.items()):
            clerk_id = clerks.get(station.pk, actor.pk)
            _station_year(station, members, clerk_id, rng, today, n, counts)
    result = {
        _("points stations"): counts["stations"],
        _("partner businesses"): counts["partners"],
        _("points transactions"): counts["transactions"],
        _("redemptions"): counts["redemptions"],
        _("stock counts"): counts["counts"],
    }
    audit.record(
        DEMO_POINTS,
        None,
        actor=actor,
        object_type="points.transaction",
        object_repr=_("demo points store"),
        after={"scale": scale, "seed": seed, **{str(k): v for k, v in result.items()}},
    )
    return result


def _station_year(station, members, clerk_id, rng, today, n, counts) -> None:
    rule = EarningRule.objects.create(station=station)
    partners = [
        Partner.objects.create(
            station=station,
            name=f"{station.name.removesuffix('派出所')}{name}",
            contact=f"{surname}经理",
            phone=phone.format(n=n % 1000),
        )
        for name, surname, phone in PARTNERS
    ]
    items = [
        Item.objects.create(station=station, name=name, price=price, partner=partners[i % 2])
        for i, (name, price) in enumerate(ITEMS)
    ]
    issuing = actions.issuing_account(station)
    volunteer = {m.pk: actions.member_account(station, m) for m in members}
    # About half the volunteers chose to appear, names masked, on their community's ranking board
    # (by their number, so the draws of the year below stay as they were).
    Account.objects.unscoped(reason=UNSCOPED).filter(
        pk__in=[a.pk for member_id, a in volunteer.items() if member_id % 2 == 0]
    ).update(on_ranking=True)
    stock = {i.pk: actions.item_account(i, AccountKind.STOCK) for i in items}
    out = {i.pk: actions.item_account(i, AccountKind.GOODS_OUT) for i in items}
    balance: dict[int, int] = defaultdict(int)  # account id -> balance as the year goes
    planned: list[tuple[Transaction, list[tuple[Account, int]]]] = []
    stock_counts: list[StockCount] = []
    tz = timezone.get_current_timezone()

    def post(at, source, legs, *, member=None, description="", reason="") -> Transaction:
        txn = Transaction(
            station=station,
            scope_path=station.path,
            source=source,
            member=member,
            description=description[:200],
            reason=reason,
            verified_by_id=clerk_id,
            created_at=at,
        )
        planned.append((txn, legs))
        for account, amount in legs:
            balance[account.pk] += amount
        return txn

    first = (today.replace(day=1) - dt.timedelta(days=31 * (MONTHS - 1))).replace(day=1)
    for month in range(MONTHS):
        start = (first + dt.timedelta(days=31 * month + 1)).replace(day=1)
        this_month = (start.year, start.month) == (today.year, today.month)
        days = max(1, today.day - 1) if this_month else 27

        def at(day: int, hour: int = 10, start=start) -> dt.datetime:
            moment = dt.datetime.combine(start + dt.timedelta(days=day), dt.time(hour, rng.randrange(60)))
            return min(timezone.make_aware(moment, tz), timezone.now() - dt.timedelta(minutes=5))

        if start > today:
            break
        for item in items:
            quantity = rng.randrange(5, 15)
            post(
                at(0, 9),
                Source.DELIVERY,
                [(out[item.pk], -quantity), (stock[item.pk], quantity)],
                description=f"{quantity} × {item.name} 入库",
            )
        for member in members:
            earned = 0
            for _n in range(rng.randrange(0, 5)):
                source, text, _weight = rng.choices(EARNING, weights=[w for *_r, w in EARNING])[0]
                amount = {Source.PATROL: 10 * rng.randrange(1, 4), Source.LEAD: 20, Source.MEDIATION: 15}[
                    source
                ]
                amount = min(amount, rule.monthly_cap - earned)
                if amount <= 0:
                    break
                earned += amount
                description = text.format(h=amount // 10, lead=rng.choice(LEADS))
                post(
                    at(rng.randrange(0, days), rng.randrange(8, 20)),
                    source,
                    [(issuing, -amount), (volunteer[member.pk], amount)],
                    member=member,
                    description=description,
                )
            if rng.random() < 0.5:
                item = rng.choice(items)
                if balance[volunteer[member.pk].pk] >= item.price and balance[stock[item.pk].pk] > 0:
                    post(
                        at(max(0, days - rng.randrange(1, 4)), 15),
                        Source.REDEMPTION,
                        [
                            (volunteer[member.pk], -item.price),
                            (issuing, item.price),
                            (stock[item.pk], -1),
                            (out[item.pk], 1),
                        ],
                        member=member,
                        description=f"{item.name}（{item.price} 积分）",
                    )
                    counts["redemptions"] += 1
        if this_month:
            continue  # this month's count is not due yet
        for item in items:
            books = balance[stock[item.pk].pk]
            shelf = books - 1 if books and rng.random() < 0.1 else books
            reason = "一件破损，已报所长" if shelf != books else ""
            adjustment = None
            if shelf != books:
                adjustment = post(
                    at(days, 17),
                    Source.STOCK_COUNT,
                    [(stock[item.pk], -1), (out[item.pk], 1)],
                    description=f"{item.name} 盘点：实物 {shelf}，账面 {books}",
                    reason=reason,
                )
            stock_counts.append(
                StockCount(
                    station=station,
                    scope_path=station.path,
                    item=item,
                    on_books=books,
                    on_shelf=shelf,
                    reason=reason,
                    counted_by_id=clerk_id,
                    counted_at=at(days, 17),
                    adjustment=adjustment,
                )
            )
    # in time order, as the counter wrote them
    planned.sort(key=lambda pair: pair[0].created_at)
    Transaction.objects.bulk_create([txn for txn, _legs in planned], batch_size=500)
    Entry.objects.bulk_create(
        [
            Entry(transaction=txn, account=account, amount=amount)
            for txn, legs in planned
            for account, amount in legs
        ],
        batch_size=1000,
    )
    StockCount.objects.bulk_create(stock_counts, batch_size=500)
    accounts = [issuing, *volunteer.values(), *stock.values(), *out.values()]
    for account in accounts:
        account.balance = balance[account.pk]
        if account.kind == AccountKind.VOLUNTEER:
            account.card = new_code(10)
    Account.objects.unscoped(reason=UNSCOPED).bulk_update(accounts, ["balance", "card"], batch_size=500)
    counts["stations"] += 1
    counts["partners"] += len(partners)
    counts["transactions"] += len(planned)
    counts["counts"] += len(stock_counts)
