"""The points store through the API: the catalogue and the stations' ledger entries, the
counter's redemptions (``POST /redemptions`` with a client-chosen idempotency key, so a retried
request redeems once) and volunteers' balances with their history. Staff read the accounts of the
stations in their area, a volunteer their own; an account or item outside that is 404, as a
missing one. A balance read is audited."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Router, Status

from fengqiao.api.pagination import LimitOffset, paginate
from fengqiao.api.points.schemas import (
    BalanceListItem,
    BalanceOut,
    CreditOut,
    EntryOut,
    ItemOut,
    LedgerLeg,
    MediationHelpIn,
    RedemptionIn,
    RedemptionOut,
    TransactionOut,
)
from fengqiao.api.schemas import ERRORS, RowId
from fengqiao.core.scoping import OutOfScope, is_staff
from fengqiao.disputes import selectors as dispute_selectors
from fengqiao.disputes.actions import may_work_on
from fengqiao.patrols.models import Member
from fengqiao.patrols.selectors import teams_for
from fengqiao.points import actions, selectors

router = Router(tags=["points"])


def _listed(account) -> dict:
    return {
        "member": account.member_id,
        "name": account.member.name,
        "station": account.station.name,
        "balance": account.balance,
    }


@router.get(
    "/balances",
    response={200: list[BalanceListItem], **ERRORS},
    url_name="points-balances",
    summary="Balances",
)
@paginate(LimitOffset)
def balances(request):
    """Staff: the volunteers' accounts of the stations in their area; a volunteer: their own."""
    return [
        _listed(a) for a in selectors.accounts_for(request.auth).order_by("station__path", "member__name")
    ]


@router.get(
    "/balances/{int:member_id}",
    response={200: BalanceOut, **ERRORS},
    url_name="points-balance",
    summary="A volunteer's balance and history",
)
def balance(request, member_id: RowId):
    account = selectors.account_for(request.auth, member_id)
    entries = selectors.read_history(account, actor=request.auth)
    return {
        **_listed(account),
        "entries": [
            EntryOut(
                at=e.transaction.created_at,
                amount=e.amount,
                source=e.transaction.get_source_display(),
                description=e.transaction.description,
                reason=e.transaction.reason,
                verified_by=e.transaction.verified_by.full_name or e.transaction.verified_by.get_username(),
            )
            for e in entries
        ],
    }


@router.post(
    "/redemptions",
    response={200: RedemptionOut, 201: RedemptionOut, **ERRORS},
    url_name="points-redemptions",
    summary="Redeem an item at the counter",
)
def redeem(request, body: RedemptionIn):
    """201 when redeemed now, 200 when this idempotency key redeemed before; 422 with the reason
    when the volunteer's points or the item's stock do not allow it (nothing is written)."""
    user = request.auth
    if not is_staff(user):
        raise PermissionDenied(_("Only staff redeem points at the counter."))
    item = selectors.item_for(user, body.item)
    member = Member.objects.filter(pk=body.member, team__in=teams_for(user)).select_related("team").first()
    if member is None:
        raise OutOfScope("No team member matches the given query.")
    txn, created = actions.redeem(item, member, actor=user, idempotency_key=body.idempotency_key)
    out = RedemptionOut(
        id=txn.pk,
        member=member.pk,
        item=item.pk,
        points=item.price,
        balance=actions.member_account(txn.station, member).balance,
        created_at=txn.created_at,
    )
    return Status(201 if created else 200, out)


@router.get(
    "/catalogue", response={200: list[ItemOut], **ERRORS}, url_name="points-catalogue", summary="Catalogue"
)
@paginate(LimitOffset)
def catalogue(request):
    """The catalogue items of the stations in the caller's area, with the shelf and the reserved
    pieces (staff; anyone else gets an empty list)."""
    return [
        ItemOut(
            id=i.pk,
            name=i.name,
            station=i.station.name,
            partner=i.partner.name if i.partner else "",
            price=i.price,
            stock=i.stock,
            reserved=i.reserved,
            active=i.is_active,
        )
        for i in selectors.store_items_for(request.auth).order_by("station__path", "name")
    ]


@router.get(
    "/entries", response={200: list[TransactionOut], **ERRORS}, url_name="points-entries", summary="Ledger"
)
@paginate(LimitOffset)
def entries(request):
    """The newest 200 transactions of the stations in the caller's area, each with its legs and
    who verified it (staff; anyone else gets an empty list)."""
    return [
        TransactionOut(
            id=t.pk,
            at=t.created_at,
            station=t.station.name,
            source=t.source,
            member=t.member_id,
            description=t.description,
            reason=t.reason,
            verified_by=t.verified_by.full_name or t.verified_by.get_username(),
            entries=[
                LedgerLeg(
                    account=f"{e.account.kind}:{e.account.member_id or e.account.item_id or ''}",
                    amount=e.amount,
                )
                for e in t.entries.all()
            ],
        )
        for t in selectors.ledger_for(request.auth)
    ]


@router.post(
    "/mediation-help",
    response={201: CreditOut, **ERRORS},
    url_name="points-mediation-help",
    summary="Confirm a volunteer's help in a mediation",
)
def mediation_help(request, body: MediationHelpIn):
    """One of the dispute's mediators (or the officer holding it) confirms that a volunteer of the
    dispute's station helped: the volunteer is credited the station's points per mediation, once
    per dispute. 404 for a dispute outside the caller's scope, 403 for one they do not work on,
    422 with the reason when the volunteer was already credited or is of another station."""
    user = request.auth
    dispute = dispute_selectors.dispute_for(user, body.dispute)
    if not may_work_on(user, dispute):
        raise PermissionDenied(_("Only the dispute's mediators confirm help in its mediation."))
    member = selectors.station_volunteers(dispute.scope_path).filter(pk=body.member).first()
    if member is None:
        raise ValidationError({"member": [_("Choose a volunteer of this station.")]})
    txn = actions.credit_mediation(dispute, member, actor=user)
    entry = txn.entries.get(account__member=member)
    return Status(
        201,
        CreditOut(
            id=txn.pk,
            member=member.pk,
            points=entry.amount,
            description=txn.description,
            verified_by=user.full_name or user.get_username(),
            created_at=txn.created_at,
        ),
    )
