"""The points ledger (爱心积分超市): double-entry, append-only.

Each station has an issuing account, each volunteer (a patrol team member) an account, each item of
the station's catalogue a stock account and a goods-out account. Every movement is a
:class:`Transaction` with its source and the person who verified it (谁记录谁证明), and legs
(:class:`Entry`) whose amounts sum to zero per unit (points, or pieces of one item). Transactions and
entries are never changed or deleted: a correction is a reversal. An account's balance is the sum of
its entries, cached on the account and moved in the same transaction by a conditional UPDATE, so a
volunteer's balance and a shelf's stock never go below zero (``fengqiao points check`` recomputes
them).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core import crypto
from fengqiao.core.scoping import ScopedModel, ScopedQuerySet
from fengqiao.geo.models import PoliceUnit
from fengqiao.points.choices import NON_NEGATIVE_KINDS, AccountKind, FlagKind, ReservationStatus, Source

# Codes people type: no 0/O, 1/I/L to confuse.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length: int = 8) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the points ledger is append-only: post a reversal")

    def delete(self):
        raise PermissionError("the points ledger is append-only: post a reversal")


class LedgerQuerySet(ScopedQuerySet):
    """Transactions: scoped, and append-only but for where they lie, which a subtree's move
    (core.relocate) rewrites as it does for every scoped row."""

    def update(self, **kwargs):
        if set(kwargs) != {"scope_path"}:
            raise PermissionError("the points ledger is append-only: post a reversal")
        return super().update(**kwargs)

    def delete(self):
        raise PermissionError("the points ledger is append-only: post a reversal")


class EarningRule(ScopedModel):
    """How a station's volunteers earn points; applied only to verified work."""

    station = models.OneToOneField(
        PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    per_patrol_hour = models.PositiveIntegerField(_("points per patrol hour"), default=10)
    per_lead = models.PositiveIntegerField(_("points per verified lead"), default=20)
    per_mediation = models.PositiveIntegerField(_("points per mediation helped"), default=15)
    per_lecture = models.PositiveIntegerField(_("points per lecture attended"), default=5)
    monthly_cap = models.PositiveIntegerField(
        _("monthly cap per person"), default=300, help_text=_("0 means no cap.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")

    def __str__(self):
        return str(self.station)

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


class Partner(ScopedModel):
    """A business that gives a station's store goods or services, with its contact."""

    station = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    name = models.CharField(pgettext_lazy("partner", "name"), max_length=100)
    contact = models.CharField(_("contact person"), max_length=64, blank=True)
    # A contact's phone is personal data: encrypted at rest (docs/adr/0010).
    phone = crypto.EncryptedCharField(_("phone"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("partner business")
        verbose_name_plural = _("partner businesses")
        ordering = ["scope_path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["station", "name"], name="points_partner_name_once_per_station")
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


class Item(ScopedModel):
    """An item of a station's catalogue, given by a partner business."""

    station = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    name = models.CharField(pgettext_lazy("item", "name"), max_length=100)
    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="items",
        verbose_name=_("partner"),
    )
    price = models.PositiveIntegerField(_("price in points"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("catalogue item")
        verbose_name_plural = _("catalogue items")
        ordering = ["scope_path", "name"]
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="points_item_price_positive")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


class Account(ScopedModel):
    """One account of a station's ledger; ``balance`` is the sum of its entries (cached)."""

    station = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    member = models.ForeignKey(
        "patrols.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_accounts",
        verbose_name=_("team member"),
    )
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, null=True, blank=True, related_name="accounts", verbose_name=_("item")
    )
    balance = models.IntegerField(_("balance"), default=0)
    # A volunteer's card: its QR code (or the code typed) finds the account at the counter.
    card = models.CharField(_("card code"), max_length=16, null=True, blank=True, unique=True)
    # The volunteer's own choice (off until they make it): shown, name masked, on the ranking board.
    on_ranking = models.BooleanField(_("shown on the ranking board"), default=False)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["station"], condition=Q(kind=AccountKind.ISSUING), name="points_one_issuing_account"
            ),
            models.UniqueConstraint(
                fields=["station"], condition=Q(kind=AccountKind.HELD), name="points_one_held_account"
            ),
            models.UniqueConstraint(
                fields=["station", "member"],
                condition=Q(kind=AccountKind.VOLUNTEER),
                name="points_one_account_per_member",
            ),
            models.UniqueConstraint(fields=["kind", "item"], name="points_one_account_per_item_kind"),
            models.CheckConstraint(
                condition=~Q(kind__in=NON_NEGATIVE_KINDS) | Q(balance__gte=0),
                name="points_balance_not_negative",
            ),
        ]

    def __str__(self):
        label = self.member or self.item or self.station
        return f"{self.get_kind_display()}: {label}"

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


class Transaction(ScopedModel):
    """One movement of points or stock, with its source and who verified it. Append-only."""

    station = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, db_index=True)
    # What it was for, e.g. "patrol:<uuid>": a piece of work is credited once only.
    source_key = models.CharField(_("source key"), max_length=80, null=True, blank=True, unique=True)
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=80, null=True, blank=True, unique=True
    )
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    member = models.ForeignKey(
        "patrols.Member",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team member"),
    )
    description = models.CharField(_("description"), max_length=200)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("verified by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        verbose_name = _("points transaction")
        verbose_name_plural = _("points transactions")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_source_display()} {self.description}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise PermissionError("the points ledger is append-only: post a reversal")
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


class Entry(models.Model):
    """One leg of a transaction: an amount (points, or pieces of an item) on one account."""

    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="entries", verbose_name=_("transaction")
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name=_("account")
    )
    amount = models.IntegerField(_("amount"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="points_entry_not_zero")]

    def __str__(self):
        return f"{self.account_id} {self.amount:+d}"

    def save(self, *args, **kwargs):
        if self.pk:
            raise PermissionError("the points ledger is append-only: post a reversal")
        super().save(*args, **kwargs)


class Reservation(ScopedModel):
    """An item a volunteer reserved on their phone: its points and one piece are held (moved to the
    station's held and the item's reserved accounts) until it is picked up at the counter or
    expires, when the worker releases them through the ledger."""

    station = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    member = models.ForeignKey(
        "patrols.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("team member")
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    code = models.CharField(_("pick-up code"), max_length=8, unique=True, default=new_code)
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"), max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.HELD
    )
    hold = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="+", verbose_name=_("hold")
    )
    closing = models.OneToOneField(
        Transaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pick-up or release"),
    )
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.code} {self.item}"

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


class StockCount(ScopedModel):
    """The monthly count of one item (账物相符): what the books said, what was on the shelf, and the
    reason for any difference, which an adjustment through the ledger then makes good."""

    station = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="counts", verbose_name=_("item"))
    on_books = models.IntegerField(_("on the books"))
    on_shelf = models.PositiveIntegerField(_("on the shelf"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    adjustment = models.OneToOneField(
        Transaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adjustment"),
    )
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("counted by")
    )
    counted_at = models.DateTimeField(_("counted at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock count")
        verbose_name_plural = _("stock counts")
        ordering = ["-counted_at", "-id"]

    def __str__(self):
        return f"{self.item} {self.on_shelf}/{self.on_books}"

    @property
    def difference(self) -> int:
        return self.on_shelf - self.on_books

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)


class Flag(ScopedModel):
    """Something the station chief should look at (integrity), with its resolution when given."""

    station = models.ForeignKey(
        PoliceUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("police station")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=FlagKind.choices)
    member = models.ForeignKey(
        "patrols.Member", on_delete=models.PROTECT, related_name="+", verbose_name=_("team member")
    )
    transaction = models.ForeignKey(
        Transaction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flags",
        verbose_name=_("transaction"),
    )
    # What raised it, e.g. "often:<member>:<month>": a flag is raised once.
    key = models.CharField(_("key"), max_length=80, unique=True)
    detail = models.CharField(_("detail"), max_length=200)
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True, db_index=True)
    resolution = models.CharField(_("resolution"), max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("integrity flag")
        verbose_name_plural = _("integrity flags")
        ordering = ["-raised_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.member}"

    def save(self, *args, **kwargs):
        self.scope_path = self.station.path
        super().save(*args, **kwargs)
