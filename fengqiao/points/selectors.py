"""Reads of the points ledger, always scoped: staff read the accounts of the stations in their area,
a volunteer reads only their own (by their membership)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from fengqiao.core import audit
from fengqiao.core.scoping import OutOfScope, is_staff, scope_q
from fengqiao.points.choices import AccountKind
from fengqiao.points.models import Account, Entry, Flag, Item, Partner, Reservation, StockCount, Transaction

READ = audit.register("points_read", "read a volunteer's points and history")

UNSCOPED_OWN = "points: a volunteer reads their own account, found by their membership"
UNSCOPED_ITEM = "points: rows of an item the caller has already read through its scope"


def accounts_for(user):
    """The volunteers' accounts the user may read."""
    if is_staff(user):
        qs = Account.objects.visible_to(user)
    elif getattr(user, "is_authenticated", False) and user.is_active:
        qs = Account.objects.unscoped(reason=UNSCOPED_OWN).filter(member__user=user)
    else:
        qs = Account.objects.none().unscoped(reason="nobody")
    return qs.filter(kind=AccountKind.VOLUNTEER).select_related("member", "station")


def account_for(user, member_id) -> Account:
    account = accounts_for(user).filter(member_id=member_id).first()
    if account is None:
        raise OutOfScope("No points account matches the given query.")
    return account


def history(account: Account, *, limit: int = 100) -> list[Entry]:
    """The account's entries, newest first, each with what earned or spent it and who verified it."""
    return list(
        Entry.objects.filter(account=account)
        .select_related("transaction", "transaction__verified_by", "transaction__reverses")
        .order_by("-transaction__created_at", "-id")[:limit]
    )


def read_history(account: Account, *, actor, limit: int = 100) -> list[Entry]:
    """The history as a page or the API shows it; read by anyone but its own volunteer, on the
    record (a volunteer's points are personal data)."""
    if account.member.user_id != getattr(actor, "pk", None):
        audit.record(READ, account, actor=actor, reason="points: balance and history")
    return history(account, limit=limit)


def items_for(user):
    """The catalogue items of the stations in the user's area, each with ``stock`` on the shelf."""
    if not is_staff(user):
        return Item.objects.none().unscoped(reason="nobody")
    on_shelf = Sum("accounts__balance", filter=Q(accounts__kind=AccountKind.STOCK))
    return Item.objects.visible_to(user).annotate(stock=Coalesce(on_shelf, 0))


def item_for(user, pk) -> Item:
    item = items_for(user).filter(pk=pk, is_active=True).select_related("station").first()
    if item is None:
        raise OutOfScope("No catalogue item matches the given query.")
    return item


def stock_of(item: Item, kind: str = AccountKind.STOCK) -> int:
    """Pieces of the item on an account of its own (on the shelf by default)."""
    return (
        Account.objects.unscoped(reason=UNSCOPED_ITEM)
        .filter(item=item, kind=kind)
        .values_list("balance", flat=True)
        .first()
        or 0
    )


def store_items_for(user):
    """The catalogue items of the stations in the user's area, active or not, each with ``stock``
    on the shelf and ``reserved`` pieces waiting to be picked up, and its partner."""
    if not is_staff(user):
        return Item.objects.none().unscoped(reason="nobody")
    reserved = Sum("accounts__balance", filter=Q(accounts__kind=AccountKind.RESERVED))
    return items_for(user).annotate(reserved=Coalesce(reserved, 0)).select_related("partner", "station")


def partners_for(user):
    if not is_staff(user):
        return Partner.objects.none().unscoped(reason="nobody")
    return Partner.objects.visible_to(user).select_related("station")


def catalogue_of(account: Account):
    """What the volunteer of ``account`` may reserve: their station's active items, with stock."""
    on_shelf = Sum("accounts__balance", filter=Q(accounts__kind=AccountKind.STOCK))
    return (
        Item.objects.unscoped(reason=UNSCOPED_OWN)
        .filter(station=account.station, is_active=True)
        .annotate(stock=Coalesce(on_shelf, 0))
        .select_related("partner")
        .order_by("price", "name")
    )


def reservations_of(account: Account):
    return (
        Reservation.objects.unscoped(reason=UNSCOPED_OWN)
        .filter(member=account.member, station=account.station)
        .select_related("item")
    )


def account_by_card(user, code: str) -> Account:
    """The volunteer's account whose card this is, among those the user may read."""
    account = accounts_for(user).filter(card=code).first() if code else None
    if account is None:
        raise OutOfScope("No points account matches the given query.")
    return account


def reservation_for(user, pk) -> Reservation:
    """A reservation the user may act on: staff in its station's area, or its own volunteer."""
    qs = Reservation.objects.unscoped(reason=UNSCOPED_OWN).filter(member__user=user)
    if is_staff(user):
        qs = Reservation.objects.visible_to(user)
    found = qs.filter(pk=pk).select_related("item", "station", "member").first()
    if found is None:
        raise OutOfScope("No reservation matches the given query.")
    return found


def ledger_for(user, *, limit: int = 200) -> list[Transaction]:
    """The newest transactions of the stations in the user's area, with their legs."""
    if not is_staff(user):
        return []
    return list(
        Transaction.objects.visible_to(user)
        .select_related("verified_by", "member", "station")
        .prefetch_related("entries__account__item")[:limit]
    )


def counts_of(item: Item, *, limit: int = 24):
    return list(
        StockCount.objects.unscoped(reason=UNSCOPED_ITEM)
        .filter(item=item)
        .select_related("counted_by")[:limit]
    )


def patrols_to_verify(user, *, days: int = 31, limit: int = 100):
    """Finished patrols on a plan in the user's area, of the last ``days``, not credited yet."""
    from fengqiao.patrols.models import Patrol

    if not is_staff(user):
        return []
    since = timezone.now() - dt.timedelta(days=days)
    credited = Transaction.objects.unscoped(reason="points: which work is credited, by its key").filter(
        source_key__startswith="patrol:", created_at__gte=since
    )
    done = {key.split(":", 1)[1] for key in credited.values_list("source_key", flat=True)}
    patrols = (
        Patrol.objects.visible_to(user)
        .filter(ended_at__isnull=False, plan__isnull=False, started_at__gte=since)
        .select_related("patroller", "plan")
        .order_by("-started_at")[: limit * 2]
    )
    return [p for p in patrols if str(p.pk) not in done][:limit]


def leads_to_verify(user, *, days: int = 31, limit: int = 100):
    """Events volunteers reported in the user's area that the station took up, of the last
    ``days``, not credited yet."""
    from fengqiao.events.models import Event
    from fengqiao.points.actions import TAKEN_UP

    if not is_staff(user):
        return []
    since = timezone.now() - dt.timedelta(days=days)
    credited = Transaction.objects.unscoped(reason="points: which work is credited, by its key").filter(
        source_key__startswith="lead:", created_at__gte=since
    )
    done = {key.split(":", 1)[1] for key in credited.values_list("source_key", flat=True)}
    events = (
        Event.objects.visible_to(user)
        .filter(status__in=TAKEN_UP, opened_at__gte=since, reporter__team_memberships__is_active=True)
        .select_related("reporter")
        .distinct()
        .order_by("-opened_at")[: limit * 2]
    )
    return [e for e in events if str(e.pk) not in done][:limit]


def flags_for(user):
    """The integrity flags of the stations in the user's area, open ones first."""
    if not is_staff(user):
        return Flag.objects.none().unscoped(reason="nobody")
    return (
        Flag.objects.visible_to(user)
        .select_related("member", "station", "transaction", "resolved_by")
        .order_by("-resolved_at", "-raised_at")
    )


# --- ranking boards ---------------------------------------------------------------------------

RANKING_PERIODS = ("month", "year")
UNSCOPED_RANKING = "points: the ranking shows opted-in accounts of teams the reader was checked to see"


@dataclass
class RankingLine:
    rank: int
    account_id: int
    name: str  # masked
    team: str
    points: int
    own: bool


@dataclass
class RankingBoard:
    key: str  # the community's id, or "s<station id>" for teams serving no one community
    title: str
    lines: list[RankingLine]


def may_see_ranking(user) -> bool:
    from fengqiao.patrols.actions import is_volunteer

    return is_staff(user) or is_volunteer(user)


def _ranking_teams(user):
    """Staff: the teams in their area; a volunteer: every team of the stations they serve."""
    from fengqiao.patrols.actions import memberships
    from fengqiao.patrols.models import Team
    from fengqiao.points.actions import station_of

    if is_staff(user):
        return Team.objects.visible_to(user).filter(is_active=True)
    stations = {station_of(m.team.scope_path) for m in memberships(user)} - {None}
    if not stations:
        return Team.objects.none().unscoped(reason="nobody")
    return (
        Team.objects.unscoped(reason="points: a volunteer sees the board of the stations they serve")
        .filter(is_active=True)
        .filter(scope_q([s.path for s in stations]))
    )


def period_start(period: str, now: dt.datetime | None = None) -> dt.datetime:
    local = timezone.localtime(now or timezone.now())
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.replace(month=1) if period == "year" else start


def ranking_boards(user, *, period: str = "month") -> list[RankingBoard]:
    """Per community, the opted-in volunteers the user may see, ranked by the points they earned
    in the period (credits not reversed), names masked; equal points share a rank."""
    from fengqiao.points.choices import EARNING_SOURCES
    from fengqiao.selfservice.rules import mask_name

    accounts = list(
        Account.objects.unscoped(reason=UNSCOPED_RANKING)
        .filter(
            kind=AccountKind.VOLUNTEER,
            on_ranking=True,
            member__is_active=True,
            member__team__in=_ranking_teams(user),
        )
        .select_related("member__team__community", "station")
    )
    earned = dict(
        Entry.objects.filter(
            account__in=accounts,
            transaction__source__in=EARNING_SOURCES,
            transaction__reversed_by__isnull=True,
            transaction__created_at__gte=period_start(period),
        )
        .values_list("account")
        .annotate(n=Sum("amount"))
        .order_by()
    )
    grouped: dict[str, tuple[str, list[Account]]] = {}
    for account in accounts:
        community = account.member.team.community
        if community is not None:
            key, title = str(community.pk), community.name
        else:
            key, title = f"s{account.station_id}", account.station.name
        grouped.setdefault(key, (title, []))[1].append(account)
    boards = []
    for key, (title, members) in sorted(grouped.items(), key=lambda kv: kv[1][0]):
        members.sort(key=lambda a: (-earned.get(a.pk, 0), a.pk))
        lines, rank, last = [], 0, None
        for position, account in enumerate(members, start=1):
            points = earned.get(account.pk, 0)
            if points != last:
                rank, last = position, points
            lines.append(
                RankingLine(
                    rank=rank,
                    account_id=account.pk,
                    name=mask_name(account.member.name),
                    team=account.member.team.name,
                    points=points,
                    own=account.member.user_id == user.pk,
                )
            )
        boards.append(RankingBoard(key=key, title=title, lines=lines))
    return boards


# --- work to confirm on other apps' pages ------------------------------------------------------


def station_volunteers(path: str):
    """The active members of the active teams serving the police station ``path`` lies under."""
    from fengqiao.patrols.models import Member
    from fengqiao.points.actions import station_of

    station = station_of(path)
    if station is None:
        return Member.objects.none()
    return (
        Member.objects.filter(
            scope_q([station.path], "team__scope_path"), is_active=True, team__is_active=True
        )
        .select_related("team")
        .order_by("team__name", "name", "pk")
    )


def credited_for(prefix: str) -> list[Transaction]:
    """The credits whose source key begins with ``prefix`` (e.g. ``mediation:<dispute>:``), kept."""
    return list(
        Transaction.objects.unscoped(reason="points: which work is credited, by its key")
        .filter(source_key__startswith=prefix, reversed_by__isnull=True)
        .select_related("member", "verified_by")
        .order_by("created_at")
    )


def help_to_confirm(kind: str, obj) -> dict:
    """For the form on a dispute's (``mediation``) or a lecture's (``lecture``) page: the station's
    volunteers who may be credited, and those already credited for it."""
    credited = credited_for(f"{kind}:{obj.pk}:")
    done = {t.member_id for t in credited}
    return {
        "candidates": [m for m in station_volunteers(obj.scope_path) if m.pk not in done],
        "credited": credited,
    }
