"""Every change of the points ledger: one function per operation, in a transaction, with its
permission check and its audit entry. Nothing else writes the ledger's rows.

Balances move by a conditional UPDATE (``balance = balance + n WHERE balance >= -n``) through F()
expressions, in the same transaction as the entries: on PostgreSQL the row lock of the UPDATE makes
a concurrent one wait and re-check its condition; on SQLite writers are serialised (docs/adr/0001).
So a volunteer's balance and a shelf's stock never go below zero whatever arrives at once, with no
read-decide-write step in between.
"""

import datetime as dt
from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fengqiao.core import audit
from fengqiao.core.roles import GRID_MANAGERS
from fengqiao.core.scoping import is_staff, path_within, scope_prefixes
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit
from fengqiao.patrols.actions import memberships
from fengqiao.patrols.models import Member, Patrol
from fengqiao.patrols.selectors import completion
from fengqiao.points import conf
from fengqiao.points.choices import (
    EARNING_SOURCES,
    NON_NEGATIVE_KINDS,
    POINT_KINDS,
    AccountKind,
    FlagKind,
    ReservationStatus,
    Source,
)
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

CREDIT = audit.register("points_credit", "credited points for verified work")
AWARD = audit.register("points_award", "awarded points by hand")
REVERSE = audit.register("points_reverse", "reversed a points transaction")
REDEEM = audit.register("points_redeem", "redeemed points at the counter")
DELIVER = audit.register("points_deliver", "took a delivery of goods into the store")
ITEM = audit.register("points_item", "added an item to the points catalogue")
PARTNER = audit.register("points_partner", "added a partner business to the points store")
RESERVE = audit.register("points_reserve", "reserved an item of the points store")
PICK_UP = audit.register("points_pick_up", "handed a reserved item over at the counter")
RELEASE = audit.register("points_release", "released a reservation's points and piece")
WRITE_OFF = audit.register("points_write_off", "wrote off goods of the points store")
COUNT = audit.register("points_count", "counted an item's stock on the shelf")

UNSCOPED_LEDGER = "points: the action moves accounts of a station the actor was checked to keep"
# Sources and idempotency keys are unique across every station: a piece of work is credited, and
# a request redeemed, once wherever it is looked up from.
UNSCOPED_KEYS = "points: a source or idempotency key is unique across every station"
KEY_MAX = 80


class Refused(ValidationError):
    """Not enough points or stock: nothing was written."""


# --- who may ---------------------------------------------------------------------------------


def station_of(path: str) -> PoliceUnit | None:
    """The police station a tree path lies under."""
    parts = path.split("/")
    ancestors = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    return PoliceUnit.objects.filter(kind=UnitKind.STATION, path__in=ancestors).first()


def may_keep_ledger(user, station: PoliceUnit) -> bool:
    """Staff whose area holds the station keep its ledger and its counter."""
    return may_keep_counter(user) and path_within(station.path, scope_prefixes(user))


def may_keep_counter(user) -> bool:
    """Stations and the bureaus above them keep the points counter."""
    return is_staff(user) and (user.is_superuser or user.role in GRID_MANAGERS)


def _require_keeper(user, station: PoliceUnit) -> None:
    if not may_keep_ledger(user, station):
        raise PermissionDenied(_("Only the staff of this police station keep its points ledger."))


def _member_station(member: Member) -> PoliceUnit:
    station = station_of(member.team.scope_path)
    if station is None:
        raise ValidationError({"member": [_("This volunteer's team serves no police station.")]})
    return station


# --- accounts --------------------------------------------------------------------------------


def _accounts():
    return Account.objects.unscoped(reason=UNSCOPED_LEDGER)


def issuing_account(station: PoliceUnit) -> Account:
    return _accounts().get_or_create(station=station, kind=AccountKind.ISSUING)[0]


def member_account(station: PoliceUnit, member: Member) -> Account:
    return _accounts().get_or_create(station=station, kind=AccountKind.VOLUNTEER, member=member)[0]


def item_account(item: Item, kind: str) -> Account:
    return _accounts().get_or_create(station=item.station, kind=kind, item=item)[0]


def _counter_accounts(station: PoliceUnit, member: Member, item: Item) -> dict[str, Account]:
    """The four accounts a redemption moves, read in one query (made on first use)."""
    found = {
        a.kind: a
        for a in _accounts().filter(
            Q(station=station, kind=AccountKind.ISSUING)
            | Q(station=station, kind=AccountKind.VOLUNTEER, member=member)
            | Q(item=item, kind__in=[AccountKind.STOCK, AccountKind.GOODS_OUT])
        )
    }
    if AccountKind.ISSUING not in found:
        found[AccountKind.ISSUING] = issuing_account(station)
    if AccountKind.VOLUNTEER not in found:
        found[AccountKind.VOLUNTEER] = member_account(station, member)
    for kind in (AccountKind.STOCK, AccountKind.GOODS_OUT):
        if kind not in found:
            found[kind] = item_account(item, kind)
    return found


def held_account(station: PoliceUnit) -> Account:
    """Points held for the station's reservations until they are picked up or released."""
    return _accounts().get_or_create(station=station, kind=AccountKind.HELD)[0]


def card_of(account: Account) -> str:
    """The code of a volunteer's card (its QR code says ``FQPT:<code>``), made on first use."""
    while not account.card:
        code = new_code(10)
        if _accounts().filter(pk=account.pk, card__isnull=True).update(card=code):
            account.card = code
        else:
            account.refresh_from_db(fields=["card"])
    return account.card


def rule_for(station: PoliceUnit) -> EarningRule:
    return EarningRule.objects.unscoped(reason=UNSCOPED_LEDGER).get_or_create(station=station)[0]


def _unit(account: Account) -> str:
    return "points" if account.kind in POINT_KINDS else f"item:{account.item_id}"


def _post(txn: Transaction, legs: list[tuple[Account, int]]) -> list[Entry]:
    """Write the legs and move the cached balances, in the caller's transaction. Raises Refused
    (and the caller's transaction rolls back) when an account would go below zero."""
    sums: dict[str, int] = defaultdict(int)
    for account, amount in legs:
        sums[_unit(account)] += amount
    if any(sums.values()):
        raise ValueError(f"a ledger transaction must sum to zero per unit: {dict(sums)}")
    # Accounts in one order, so two transactions never wait on each other crosswise.
    for account, amount in sorted(legs, key=lambda leg: leg[0].pk):
        rows = _accounts().filter(pk=account.pk)
        if account.kind in NON_NEGATIVE_KINDS and amount < 0:
            rows = rows.filter(balance__gte=-amount)
        if rows.update(balance=F("balance") + amount) != 1:
            if account.kind == AccountKind.STOCK:
                raise Refused({"item": [_("“%(item)s” is out of stock.") % {"item": account.item}]})
            raise Refused(
                {
                    "member": [
                        _("Not enough points: %(member)s has fewer than %(n)d.")
                        % {"member": account.member, "n": -amount}
                    ]
                }
            )
    return Entry.objects.bulk_create(Entry(transaction=txn, account=a, amount=n) for a, n in legs)


def _key(value, field: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > KEY_MAX:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": KEY_MAX}]})
    return text


# --- earning ---------------------------------------------------------------------------------


def month_start(now: dt.datetime) -> dt.datetime:
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def earned_this_month(account: Account, now: dt.datetime) -> int:
    """Points earned (credited or awarded) on the account since the start of the local month."""
    return (
        Entry.objects.filter(
            account=account,
            transaction__source__in=EARNING_SOURCES,
            transaction__created_at__gte=month_start(now),
        ).aggregate(n=Sum("amount"))["n"]
        or 0
    )


def _earn(
    *, station, member, source, amount: int, actor, description: str, source_key=None, reason=""
) -> Transaction:
    """Credit ``amount`` points (cut to what the monthly cap leaves) from the station's issuing
    account to the member's, verified by ``actor``; in the caller's transaction."""
    if (
        source_key
        and Transaction.objects.unscoped(reason=UNSCOPED_KEYS).filter(source_key=source_key).exists()
    ):
        raise ValidationError({"source": [_("This work has already been credited.")]})
    account = member_account(station, member)
    # Lock the volunteer's account so two credits at once cannot both pass the cap.
    account = _accounts().select_for_update().get(pk=account.pk)
    cap = rule_for(station).monthly_cap
    if cap:
        amount = min(amount, cap - earned_this_month(account, timezone.now()))
    if amount <= 0:
        raise ValidationError(
            {
                "amount": [
                    _("%(member)s has reached this month's cap of %(cap)d points.")
                    % {"member": member, "cap": cap}
                ]
            }
        )
    txn = Transaction(
        station=station,
        source=source,
        source_key=source_key,
        member=member,
        description=description[:200],
        reason=reason,
        verified_by=actor,
    )
    try:
        with transaction.atomic():
            txn.save()
    except IntegrityError:
        raise ValidationError({"source": [_("This work has already been credited.")]}) from None
    _post(txn, [(issuing_account(station), -amount), (account, amount)])
    _watch(txn, member, actor, station)
    return txn


@transaction.atomic
def credit_patrol(patrol: Patrol, *, actor) -> Transaction:
    """Credit a finished patrol whose plan's checkpoints were all scanned in their windows that day,
    once, at the station's points per hour; ``actor`` verifies it and answers for it."""
    station = station_of(patrol.scope_path)
    if station is None:
        raise ValidationError({"patrol": [_("This patrol lies under no police station.")]})
    _require_keeper(actor, station)
    if patrol.ended_at is None:
        raise ValidationError({"patrol": [_("The patrol has not ended yet.")]})
    if patrol.plan_id is None:
        raise ValidationError({"patrol": [_("Only a patrol on a plan can be verified.")]})
    if patrol.patroller_id == actor.pk:
        raise PermissionDenied(_("Nobody verifies their own patrol."))
    _states, percent = completion(patrol.plan, timezone.localdate(patrol.started_at))
    if percent < 100:
        raise ValidationError(
            {
                "patrol": [
                    _("Only %(p)d%% of the plan's checkpoints were scanned in their windows.")
                    % {"p": percent}
                ]
            }
        )
    team_id = patrol.team_id or patrol.plan.team_id
    member = Member.objects.filter(user_id=patrol.patroller_id, team_id=team_id, is_active=True).first()
    if member is None:
        raise ValidationError({"patrol": [_("The patroller is not an active member of the plan's team.")]})
    amount = round(patrol.hours * rule_for(station).per_patrol_hour)
    if amount <= 0:
        raise ValidationError({"patrol": [_("The patrol is too short to earn points.")]})
    txn = _earn(
        station=station,
        member=member,
        source=Source.PATROL,
        source_key=f"patrol:{patrol.pk}",
        amount=amount,
        actor=actor,
        description=_("Patrol on %(day)s, %(h).1f h (%(plan)s)")
        % {"day": timezone.localdate(patrol.started_at), "h": patrol.hours, "plan": patrol.plan},
    )
    audit.record(CREDIT, txn, actor=actor, after={"patrol": str(patrol.pk), "points": amount})
    return txn


@transaction.atomic
def award_points(member: Member, *, actor, points, reason: str) -> Transaction:
    """A manual award with its reason (a lecture attended, a deed the station saw)."""
    station = _member_station(member)
    _require_keeper(actor, station)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the award.")]})
    if not isinstance(points, int) or points <= 0:
        raise ValidationError({"points": [_("Enter a whole number of points above zero.")]})
    txn = _earn(
        station=station,
        member=member,
        source=Source.MANUAL,
        amount=points,
        actor=actor,
        description=reason,
        reason=reason[:200],
    )
    audit.record(AWARD, txn, actor=actor, after={"member": member.pk, "points": points}, reason=reason)
    return txn


# Steps of an event's loop at which the station has taken it up: a lead that got this far counts.
TAKEN_UP = ("filed", "dispatched", "handling", "reported_back", "closed")


@transaction.atomic
def credit_lead(event, *, actor) -> Transaction:
    """Credit the volunteer who reported an event the station filed (a lead), once, at the
    station's points per lead; ``actor`` verifies it and answers for it."""
    station = station_of(event.scope_path)
    if station is None:
        raise ValidationError({"event": [_("This event lies under no police station.")]})
    _require_keeper(actor, station)
    if event.status not in TAKEN_UP:
        raise ValidationError({"event": [_("Only a lead the station has filed earns points.")]})
    if event.reporter_id == actor.pk:
        raise PermissionDenied(_("Nobody verifies their own lead."))
    member = _station_member(station, event.reporter_id) if event.reporter_id else None
    if member is None:
        raise ValidationError({"event": [_("The reporter is not an active volunteer of this station.")]})
    txn = _earn(
        station=station,
        member=member,
        source=Source.LEAD,
        source_key=f"lead:{event.pk}",
        amount=rule_for(station).per_lead,
        actor=actor,
        description=_("Lead %(number)s: %(title)s") % {"number": event.number, "title": event.title},
    )
    audit.record(
        CREDIT,
        txn,
        actor=actor,
        after={"event": event.number, "points": txn.entries.get(account__kind=AccountKind.VOLUNTEER).amount},
    )
    return txn


@transaction.atomic
def credit_mediation(dispute, member: Member, *, actor) -> Transaction:
    """Credit a volunteer's help in settling a dispute, once per dispute, when one of the dispute's
    mediators (or the officer holding it) confirms it: they answer for it."""
    from fengqiao.disputes.actions import may_work_on

    if not may_work_on(actor, dispute):
        raise PermissionDenied(_("Only the dispute's mediators confirm help in its mediation."))
    if member.user_id == actor.pk:
        raise PermissionDenied(_("Nobody confirms their own help."))
    station = _member_station(member)
    if not path_within(dispute.scope_path, [station.path]):
        raise ValidationError({"member": [_("The volunteer serves another station than the dispute's.")]})
    txn = _earn(
        station=station,
        member=member,
        source=Source.MEDIATION,
        source_key=f"mediation:{dispute.pk}:{member.pk}",
        amount=rule_for(station).per_mediation,
        actor=actor,
        description=_("Help in mediating %(number)s: %(title)s")
        % {"number": dispute.number, "title": dispute.title},
    )
    audit.record(CREDIT, txn, actor=actor, after={"dispute": dispute.number, "member": member.pk})
    return txn


NOT_THE_LECTURE_RECORDER = _lazy(
    "Only whoever recorded the lecture, or the station's staff, confirm who attended."
)


def may_credit_lecture(user, lecture) -> bool:
    """Who vouches for attendance at a lecture: whoever recorded it (谁记录谁证明), or the staff
    keeping the points ledger of its station."""
    if not is_staff(user) or not lecture.is_visible_to(user):
        return False
    station = station_of(lecture.scope_path)
    return station is not None and (lecture.created_by_id == user.pk or may_keep_ledger(user, station))


@transaction.atomic
def credit_lecture(lecture, member: Member, *, actor) -> Transaction:
    """Credit a volunteer who attended (or helped at) a lecture or stall, once per lecture, at the
    station's points per lecture; ``actor`` vouches for it and answers for it."""
    if not may_credit_lecture(actor, lecture):
        raise PermissionDenied(NOT_THE_LECTURE_RECORDER)
    if member.user_id == actor.pk:
        raise PermissionDenied(_("Nobody confirms their own attendance."))
    if not member.is_active:
        raise ValidationError({"member": [_("This volunteer is no longer an active member of their team.")]})
    station = _member_station(member)
    if not path_within(lecture.scope_path, [station.path]):
        raise ValidationError({"member": [_("The volunteer serves another station than the lecture's.")]})
    txn = _earn(
        station=station,
        member=member,
        source=Source.LECTURE,
        source_key=f"lecture:{lecture.pk}:{member.pk}",
        amount=rule_for(station).per_lecture,
        actor=actor,
        description=_("Lecture on %(day)s: %(topic)s") % {"day": lecture.held_on, "topic": lecture.topic},
    )
    audit.record(CREDIT, txn, actor=actor, after={"lecture": lecture.pk, "member": member.pk})
    return txn


RANKING_CHOICE = audit.register("points_ranking_choice", "chose whether to appear on the ranking board")


@transaction.atomic
def set_ranking_choice(*, actor, shown: bool) -> list[Account]:
    """The volunteer alone decides whether they appear (name masked) on their community's ranking
    board: the choice holds for each of their accounts (one per team they serve in)."""
    accounts = []
    for member in memberships(actor):
        station = station_of(member.team.scope_path)
        if station is not None:
            accounts.append(member_account(station, member))
    if not accounts:
        raise PermissionDenied(_("Only the volunteer chooses whether they appear on the ranking board."))
    shown = bool(shown)
    for account in accounts:
        _accounts().filter(pk=account.pk).update(on_ranking=shown)
        account.on_ranking = shown
        audit.record(RANKING_CHOICE, account, actor=actor, after={"on_ranking": shown})
    return accounts


def _station_member(station: PoliceUnit, user_id) -> Member | None:
    """The user's active membership of a team serving the station."""
    for member in Member.objects.filter(user_id=user_id, is_active=True).select_related("team"):
        if path_within(member.team.scope_path, [station.path]):
            return member
    return None


# --- corrections -----------------------------------------------------------------------------


@transaction.atomic
def reverse_transaction(txn: Transaction, *, actor, reason: str) -> Transaction:
    """Undo a transaction by a new one with every leg negated; the original stays as it was."""
    _require_keeper(actor, txn.station)
    reason = str(reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Give the reason for the reversal.")]})
    if txn.source == Source.REVERSAL:
        raise ValidationError({"transaction": [_("A reversal cannot itself be reversed.")]})
    if Transaction.objects.unscoped(reason=UNSCOPED_KEYS).filter(reverses=txn).exists():
        raise ValidationError({"transaction": [_("This transaction has already been reversed.")]})
    reversal = Transaction(
        station=txn.station,
        source=Source.REVERSAL,
        reverses=txn,
        member=txn.member,
        description=_("Reversal of: %(what)s") % {"what": txn.description},
        reason=reason[:200],
        verified_by=actor,
    )
    try:
        with transaction.atomic():
            reversal.save()
    except IntegrityError:
        raise ValidationError({"transaction": [_("This transaction has already been reversed.")]}) from None
    _post(reversal, [(e.account, -e.amount) for e in txn.entries.select_related("account", "account__item")])
    audit.record(REVERSE, txn, actor=actor, reason=reason, after={"reversal": reversal.pk})
    return reversal


# --- the store -------------------------------------------------------------------------------


def _text(value, field: str, *, required: bool = True, limit: int = 200) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if len(text) > limit:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": limit}]})
    return text


def _count(value, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValidationError({field: [_("Enter a whole number above zero.")]})
    return value


@transaction.atomic
def add_partner(station: PoliceUnit, *, actor, name, contact="", phone="", address="") -> Partner:
    """A business that gives the station's store goods or services, and who to call there."""
    _require_keeper(actor, station)
    name = _text(name, "name", limit=100)
    if Partner.objects.unscoped(reason=UNSCOPED_LEDGER).filter(station=station, name=name).exists():
        raise ValidationError({"name": [_("This station already has a partner of this name.")]})
    phone = _text(phone, "phone", required=False, limit=20)
    if phone and not phone.replace("-", "").replace(" ", "").isdigit():
        raise ValidationError({"phone": [_("Enter a phone number of digits.")]})
    partner = Partner.objects.create(
        station=station,
        name=name,
        contact=_text(contact, "contact", required=False, limit=64),
        phone=phone,
        address=_text(address, "address", required=False),
    )
    audit.record(PARTNER, partner, actor=actor, after={"name": partner.name})
    return partner


@transaction.atomic
def add_item(station: PoliceUnit, *, actor, name: str, price, partner: Partner | None = None) -> Item:
    _require_keeper(actor, station)
    name = _text(name, "name", limit=100)
    if not isinstance(price, int) or price <= 0:
        raise ValidationError({"price": [_("Enter a whole number of points above zero.")]})
    if partner is not None and partner.station_id != station.pk:
        raise ValidationError({"partner": [_("The partner gives another station's store.")]})
    item = Item.objects.create(station=station, name=name, partner=partner, price=price)
    audit.record(ITEM, item, actor=actor, after={"name": item.name, "price": price})
    return item


@transaction.atomic
def deliver_stock(item: Item, *, actor, quantity, reason: str = "") -> Transaction:
    """Goods a partner delivered go on the shelf."""
    _require_keeper(actor, item.station)
    _count(quantity, "quantity")
    txn = Transaction.objects.create(
        station=item.station,
        source=Source.DELIVERY,
        description=_("%(n)d × %(item)s delivered") % {"n": quantity, "item": item},
        reason=str(reason or "").strip()[:200],
        verified_by=actor,
    )
    _post(
        txn,
        [
            (item_account(item, AccountKind.GOODS_OUT), -quantity),
            (item_account(item, AccountKind.STOCK), quantity),
        ],
    )
    audit.record(DELIVER, item, actor=actor, after={"transaction": txn.pk, "quantity": quantity})
    return txn


def redeem(item: Item, member: Member, *, actor, idempotency_key: str) -> tuple[Transaction, bool]:
    """Hand one item to a volunteer at the counter: its price in points from their account to the
    station's, one piece from the shelf, in one transaction. The same idempotency key redeems once:
    a retry answers the first redemption and ``False``. Raises Refused when the points or the stock
    do not allow it, with nothing written."""
    key = _key(idempotency_key, "idempotency_key")
    station = _member_station(member)
    _require_keeper(actor, station)
    if item.station_id != station.pk:
        raise ValidationError({"item": [_("This item is not in the catalogue of the volunteer's station.")]})
    if not item.is_active:
        raise ValidationError({"item": [_("This item is no longer in the catalogue.")]})
    earlier = _earlier(key, item, member)
    if earlier is not None:
        return earlier, False
    try:
        return _redeem(item, member, station, actor=actor, key=key), True
    except IntegrityError:
        # The same key committed by a request running at the same time.
        earlier = _earlier(key, item, member)
        if earlier is None:
            raise
        return earlier, False


def _earlier(key: str, item: Item, member: Member) -> Transaction | None:
    txn = Transaction.objects.unscoped(reason=UNSCOPED_KEYS).filter(idempotency_key=key).first()
    if txn is not None and (
        txn.source != Source.REDEMPTION
        or txn.member_id != member.pk
        or not txn.entries.filter(account__item=item).exists()
    ):
        raise ValidationError(
            {"idempotency_key": [_("This idempotency key was used for another redemption.")]}
        )
    return txn


@transaction.atomic
def _redeem(item: Item, member: Member, station: PoliceUnit, *, actor, key: str) -> Transaction:
    txn = Transaction.objects.create(
        station=station,
        source=Source.REDEMPTION,
        idempotency_key=key,
        member=member,
        description=_("%(item)s for %(price)d points") % {"item": item, "price": item.price},
        verified_by=actor,
    )
    accounts = _counter_accounts(station, member, item)
    _post(
        txn,
        [
            (accounts[AccountKind.VOLUNTEER], -item.price),
            (accounts[AccountKind.ISSUING], item.price),
            (accounts[AccountKind.STOCK], -1),
            (accounts[AccountKind.GOODS_OUT], 1),
        ],
    )
    audit.record(REDEEM, txn, actor=actor, after={"member": member.pk, "item": item.pk, "price": item.price})
    return txn


@transaction.atomic
def write_off(item: Item, *, actor, quantity, reason) -> Transaction:
    """Goods gone from the shelf (spoilt, broken, past their date), with the reason."""
    _require_keeper(actor, item.station)
    _count(quantity, "quantity")
    reason = _text(reason, "reason")
    txn = Transaction.objects.create(
        station=item.station,
        source=Source.WRITE_OFF,
        description=_("%(n)d × %(item)s written off") % {"n": quantity, "item": item},
        reason=reason,
        verified_by=actor,
    )
    _post(
        txn,
        [
            (item_account(item, AccountKind.STOCK), -quantity),
            (item_account(item, AccountKind.GOODS_OUT), quantity),
        ],
    )
    audit.record(
        WRITE_OFF, item, actor=actor, reason=reason, after={"transaction": txn.pk, "quantity": quantity}
    )
    return txn


@transaction.atomic
def count_stock(item: Item, *, actor, on_shelf, reason: str = "") -> StockCount:
    """The monthly count (账物相符): what is on the shelf against the books. A difference needs its
    reason and is made good by an adjustment through the ledger, so the books match the shelf."""
    _require_keeper(actor, item.station)
    if not isinstance(on_shelf, int) or isinstance(on_shelf, bool) or on_shelf < 0:
        raise ValidationError({"on_shelf": [_("Enter a whole number, zero or more.")]})
    reason = _text(reason, "reason", required=False)
    stock = item_account(item, AccountKind.STOCK)
    # Locked: a redemption at the same moment waits, so the books counted against stay the books.
    on_books = _accounts().select_for_update().get(pk=stock.pk).balance
    difference = on_shelf - on_books
    if difference and not reason:
        raise ValidationError(
            {
                "reason": [
                    _("The shelf differs from the books by %(n)+d: give the reason.") % {"n": difference}
                ]
            }
        )
    adjustment = None
    if difference:
        adjustment = Transaction.objects.create(
            station=item.station,
            source=Source.STOCK_COUNT,
            description=_("Stock count of %(item)s: %(shelf)d on the shelf, %(books)d on the books")
            % {"item": item, "shelf": on_shelf, "books": on_books},
            reason=reason,
            verified_by=actor,
        )
        _post(adjustment, [(stock, difference), (item_account(item, AccountKind.GOODS_OUT), -difference)])
    count = StockCount.objects.create(
        station=item.station,
        item=item,
        on_books=on_books,
        on_shelf=on_shelf,
        reason=reason,
        adjustment=adjustment,
        counted_by=actor,
    )
    audit.record(COUNT, item, actor=actor, reason=reason, after={"on_books": on_books, "on_shelf": on_shelf})
    return count


# --- reservations ----------------------------------------------------------------------------


@transaction.atomic
def reserve(item: Item, member: Member, *, actor) -> Reservation:
    """A volunteer reserves an item on their phone: its price moves from their account to the
    station's held account and one piece from the shelf to the reserved pieces, until it is picked
    up at the counter or expires. Raises Refused when points or stock do not allow it."""
    if member.user_id is None or member.user_id != actor.pk or not member.is_active:
        raise PermissionDenied(_("Only the volunteer reserves for themselves."))
    station = _member_station(member)
    if item.station_id != station.pk:
        raise ValidationError({"item": [_("This item is not in the catalogue of the volunteer's station.")]})
    if not item.is_active:
        raise ValidationError({"item": [_("This item is no longer in the catalogue.")]})
    hold = Transaction.objects.create(
        station=station,
        source=Source.RESERVATION,
        member=member,
        description=_("%(item)s reserved for %(price)d points") % {"item": item, "price": item.price},
        verified_by=actor,
    )
    _post(
        hold,
        [
            (member_account(station, member), -item.price),
            (held_account(station), item.price),
            (item_account(item, AccountKind.STOCK), -1),
            (item_account(item, AccountKind.RESERVED), 1),
        ],
    )
    reservation = Reservation.objects.create(
        station=station,
        member=member,
        item=item,
        points=item.price,
        hold=hold,
        expires_at=timezone.now() + dt.timedelta(hours=conf.reservation_hours()),
    )
    audit.record(RESERVE, reservation, actor=actor, after={"item": item.pk, "points": item.price})
    return reservation


def _close(reservation: Reservation, status: str, *, actor, source: str, description: str) -> Transaction:
    """Take the reservation out of HELD, once (a conditional UPDATE: two counters at once, or the
    counter and the worker, cannot both close it), and move what it held."""
    closed = (
        Reservation.objects.unscoped(reason=UNSCOPED_LEDGER)
        .filter(pk=reservation.pk, status=ReservationStatus.HELD)
        .update(status=status, closed_at=timezone.now())
    )
    if not closed:
        raise ValidationError({"reservation": [_("This reservation is no longer waiting to be picked up.")]})
    item, station = reservation.item, reservation.station
    txn = Transaction.objects.create(
        station=station,
        source=source,
        member=reservation.member,
        description=description,
        verified_by=actor,
    )
    if status == ReservationStatus.PICKED_UP:
        points_to, piece_to = issuing_account(station), item_account(item, AccountKind.GOODS_OUT)
    else:
        points_to, piece_to = (
            member_account(station, reservation.member),
            item_account(item, AccountKind.STOCK),
        )
    _post(
        txn,
        [
            (held_account(station), -reservation.points),
            (points_to, reservation.points),
            (item_account(item, AccountKind.RESERVED), -1),
            (piece_to, 1),
        ],
    )
    Reservation.objects.unscoped(reason=UNSCOPED_LEDGER).filter(pk=reservation.pk).update(closing=txn)
    reservation.refresh_from_db()
    return txn


@transaction.atomic
def pick_up(reservation: Reservation, *, actor) -> Transaction:
    """The counter hands a reserved item over: the held points go to the station, the piece out."""
    _require_keeper(actor, reservation.station)
    if reservation.status == ReservationStatus.HELD and reservation.expires_at <= timezone.now():
        raise ValidationError({"reservation": [_("This reservation has expired.")]})
    txn = _close(
        reservation,
        ReservationStatus.PICKED_UP,
        actor=actor,
        source=Source.PICKUP,
        description=_("%(item)s picked up (reservation %(code)s)")
        % {"item": reservation.item, "code": reservation.code},
    )
    audit.record(PICK_UP, reservation, actor=actor, after={"transaction": txn.pk})
    return txn


@transaction.atomic
def cancel_reservation(reservation: Reservation, *, actor) -> Transaction:
    """The volunteer, or the station, gives a reservation up: points and piece go back."""
    if reservation.member.user_id != actor.pk:
        _require_keeper(actor, reservation.station)
    txn = _close(
        reservation,
        ReservationStatus.CANCELLED,
        actor=actor,
        source=Source.RELEASE,
        description=_("Reservation %(code)s of %(item)s cancelled")
        % {"code": reservation.code, "item": reservation.item},
    )
    audit.record(RELEASE, reservation, actor=actor, after={"transaction": txn.pk, "status": "cancelled"})
    return txn


def release_expired(*, actor, now: dt.datetime | None = None) -> int:
    """The worker's job: every reservation past its time gives its points and piece back, each in a
    transaction of its own. Returns how many were released."""
    now = now or timezone.now()
    due = (
        Reservation.objects.unscoped(
            reason="points: the worker releases every station's expired reservations"
        )
        .filter(status=ReservationStatus.HELD, expires_at__lte=now)
        .select_related("item", "station", "member")
    )
    released = 0
    for reservation in list(due):
        try:
            with transaction.atomic():
                txn = _close(
                    reservation,
                    ReservationStatus.EXPIRED,
                    actor=actor,
                    source=Source.RELEASE,
                    description=_("Reservation %(code)s of %(item)s expired")
                    % {"code": reservation.code, "item": reservation.item},
                )
                audit.record(
                    RELEASE, reservation, actor=actor, after={"transaction": txn.pk, "status": "expired"}
                )
        except ValidationError:
            continue  # picked up or cancelled meanwhile
        released += 1
    return released


EXPIRE = audit.register("points_expire", "expired points past their period")


def expire_points(*, actor, now: dt.datetime | None = None) -> int:
    """The worker's daily job when ``FENGQIAO_POINTS_EXPIRY_DAYS`` is set: points earned longer
    ago than that and not spent go back to the station. Spending takes the oldest points first, so
    what is left of a balance is its newest earnings: the part beyond what was earned within the
    period has lapsed. Each account in a transaction of its own; returns the points expired."""
    days = conf.expiry_days()
    if not days:
        return 0
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    expired = 0
    for account_id in (
        _accounts().filter(kind=AccountKind.VOLUNTEER, balance__gt=0).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            account = _accounts().select_for_update().get(pk=account_id)
            recent = (
                Entry.objects.filter(
                    account=account,
                    amount__gt=0,
                    transaction__source__in=EARNING_SOURCES,
                    transaction__created_at__gte=since,
                ).aggregate(n=Sum("amount"))["n"]
                or 0
            )
            lapsed = account.balance - recent
            if lapsed <= 0:
                continue
            txn = Transaction.objects.create(
                station=account.station,
                source=Source.EXPIRY,
                member=account.member,
                description=_("%(n)d points earned over %(days)d days ago expired")
                % {"n": lapsed, "days": days},
                verified_by=actor,
            )
            _post(txn, [(account, -lapsed), (issuing_account(account.station), lapsed)])
            audit.record(EXPIRE, txn, actor=actor, after={"member": account.member_id, "points": lapsed})
            expired += lapsed
    return expired


# --- integrity --------------------------------------------------------------------------------

OFTEN_PER_WEEK = 10  # earning credits in 7 days past which the station chief is told
NEAR_CAP, NEAR_CAP_MONTHS = 0.9, 3  # earning at 90 % of the cap or more, three months running
FLAG_RESOLVE = audit.register("points_flag_resolve", "resolved an integrity flag of the points ledger")


def _flag(station, kind: str, member: Member, key: str, detail: str, txn: Transaction | None = None) -> None:
    """Raise a flag once for its key, in the caller's transaction."""
    Flag.objects.unscoped(reason=UNSCOPED_KEYS).get_or_create(
        key=key[:80],
        defaults={
            "station": station,
            "kind": kind,
            "member": member,
            "transaction": txn,
            "detail": detail[:200],
        },
    )


def _watch(txn: Transaction, member: Member, actor, station: PoliceUnit) -> None:
    """The integrity checks of a credit (issue 18 §3): credited unusually often; given by a member of
    staff to someone at their own address or registry household; earning just under the cap month
    after month."""
    now = timezone.now()
    earned = Transaction.objects.unscoped(reason=UNSCOPED_KEYS).filter(
        member=member, source__in=EARNING_SOURCES, reversed_by__isnull=True
    )
    week = earned.filter(created_at__gte=now - dt.timedelta(days=7)).count()
    if week > OFTEN_PER_WEEK:
        year, number, _day = timezone.localdate(now).isocalendar()
        _flag(
            station,
            FlagKind.OFTEN,
            member,
            f"often:{member.pk}:{year}-{number}",
            _("%(n)d credits in 7 days") % {"n": week},
            txn,
        )
    giver = Member.objects.filter(user=actor, person__isnull=False).select_related("person").first()
    if giver is not None and member.person_id and giver.person_id != member.person_id:
        theirs = member.person
        same_address = (
            giver.person.current_address_id and giver.person.current_address_id == theirs.current_address_id
        )
        same_household = giver.person.hukou_address and giver.person.hukou_address == theirs.hukou_address
        if same_address or same_household:
            _flag(
                station,
                FlagKind.OWN_HOUSEHOLD,
                member,
                f"own:{txn.pk}",
                _("Credited by %(giver)s, who lives at the same address or in the same household")
                % {"giver": actor.full_name or actor.get_username()},
                txn,
            )
    cap = rule_for(station).monthly_cap
    if cap:
        start = month_start(now)
        months = [start]
        for _n in range(NEAR_CAP_MONTHS - 1):
            months.append(month_start(months[-1] - dt.timedelta(days=1)))
        account = member_account(station, member)
        sums = []
        for begin, end in zip(months, [now, *months[:-1]], strict=True):
            sums.append(
                Entry.objects.filter(
                    account=account,
                    transaction__source__in=EARNING_SOURCES,
                    transaction__created_at__gte=begin,
                    transaction__created_at__lt=end,
                ).aggregate(n=Sum("amount"))["n"]
                or 0
            )
        if all(total >= NEAR_CAP * cap for total in sums):
            _flag(
                station,
                FlagKind.UNDER_CAP,
                member,
                f"cap:{member.pk}:{timezone.localdate(now):%Y-%m}",
                _("Earned %(sums)s points in the last %(n)d months, just under the cap of %(cap)d")
                % {"sums": " / ".join(str(s) for s in reversed(sums)), "n": NEAR_CAP_MONTHS, "cap": cap},
                txn,
            )


@transaction.atomic
def resolve_flag(flag: Flag, *, actor, resolution: str) -> Flag:
    """The station chief records what they found and did."""
    _require_keeper(actor, flag.station)
    resolution = _text(resolution, "resolution")
    done = (
        Flag.objects.unscoped(reason=UNSCOPED_LEDGER)
        .filter(pk=flag.pk, resolved_at__isnull=True)
        .update(resolution=resolution, resolved_by=actor, resolved_at=timezone.now())
    )
    if not done:
        raise ValidationError({"resolution": [_("This flag has already been resolved.")]})
    flag.refresh_from_db()
    audit.record(FLAG_RESOLVE, flag, actor=actor, reason=resolution, after={"kind": flag.kind})
    return flag


# --- the check -------------------------------------------------------------------------------


def check_balances() -> list[tuple[Account, int]]:
    """Accounts whose cached balance differs from the sum of their entries, with that sum; and
    transactions whose legs do not sum to zero raise nothing here but show as their accounts do."""
    sums = dict(Entry.objects.values("account").annotate(n=Sum("amount")).values_list("account", "n"))
    return [
        (account, sums.get(account.pk, 0))
        for account in _accounts().select_related("member", "item", "station").order_by("pk")
        if account.balance != sums.get(account.pk, 0)
    ]


def unbalanced_transactions() -> list[int]:
    """Transactions whose legs do not sum to zero per unit."""
    totals: dict[tuple[int, str], int] = defaultdict(int)
    for txn_id, kind, item_id, amount in Entry.objects.values_list(
        "transaction", "account__kind", "account__item", "amount"
    ).iterator(chunk_size=2000):
        unit = "points" if kind in POINT_KINDS else f"item:{item_id}"
        totals[(txn_id, unit)] += amount
    return sorted({txn_id for (txn_id, _unit), total in totals.items() if total})
