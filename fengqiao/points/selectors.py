"""Reads of the points ledger, always scoped: staff read the accounts of the stations in their area,
a volunteer reads only their own (by their membership)."""

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from fengqiao.core import audit
from fengqiao.core.scoping import OutOfScope, is_staff
from fengqiao.points.choices import AccountKind
from fengqiao.points.models import Account, Entry, Item

READ = audit.register("points_read", "read a volunteer's points and history")

UNSCOPED_OWN = "points: a volunteer reads their own account, found by their membership"


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
