"""Reaching residents: the police–resident groups (建群行动) with their member counts over time,
alerts and campaigns with a delivery record per group or recipient, the residents' Web Push
subscriptions, anti-fraud consultations, and publicity stalls and lectures.

A group, a consultation and a lecture live (``scope_path``) where they serve: a grid, or a whole
police district. A campaign lives at the closest node of the tree above every grid it reaches.
Member counts, deliveries and photos are reached only through their group, campaign or lecture.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.core import crypto
from fengqiao.core.scoping import ScopedModel
from fengqiao.events.choices import FraudType
from fengqiao.events.models import Event
from fengqiao.geo.models import Division, Grid, Served
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


def _place_xor(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=(Q(unit__isnull=False) & Q(grid__isnull=True))
        | (Q(unit__isnull=True) & Q(grid__isnull=False)),
        name=name,
    )


class ResidentGroup(Served):
    """A police–resident group (警民群) on WeChat, WeCom or QQ, owned by an officer."""

    platform = models.CharField(_("platform"), max_length=10, choices=Platform.choices)
    name = models.CharField(pgettext_lazy("group", "name"), max_length=100)
    community = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("village / community")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("owning officer")
    )
    # The latest reading of ``MemberCount``, kept here for the lists and the coverage.
    members = models.PositiveIntegerField(_("members"), default=0)
    members_on = models.DateField(_("members counted on"), null=True, blank=True)
    # A WeCom group bot's webhook carries its key in the URL: a secret, encrypted at rest.
    webhook_url = crypto.EncryptedCharField(_("group bot webhook"), max_length=500, blank=True)
    has_bot = models.BooleanField(_("has a group bot"), default=False, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("resident group")
        verbose_name_plural = _("resident groups")
        ordering = ["scope_path", "name"]
        constraints = [_place_xor("outreach_group_unit_xor_grid")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.has_bot = bool(self.webhook_url)  # the encrypted URL cannot be searched
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "has_bot", "scope_path"}
        super().save(*args, **kwargs)


class MemberCount(models.Model):
    """A dated reading of a group's member count."""

    group = models.ForeignKey(
        ResidentGroup, on_delete=models.CASCADE, related_name="counts", verbose_name=_("resident group")
    )
    counted_on = models.DateField(_("counted on"))
    members = models.PositiveIntegerField(_("members"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("member count")
        verbose_name_plural = _("member counts")
        ordering = ["group", "-counted_on"]
        constraints = [
            models.UniqueConstraint(fields=["group", "counted_on"], name="outreach_count_once_a_day")
        ]

    def __str__(self):
        return f"{self.group} {self.counted_on}: {self.members}"


class MessageTemplate(models.Model):
    """A message text kept for reuse; ``{place}`` in it is replaced by the audience's place."""

    kind = models.CharField(_("kind of message"), max_length=16, choices=MessageKind.choices)
    name = models.CharField(pgettext_lazy("template", "name"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=1000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class Campaign(ScopedModel):
    """An alert or a campaign: a message, its audience, its schedule, its approval and its
    deliveries. ``scope_path`` is the closest node above every grid of the audience."""

    kind = models.CharField(_("kind of message"), max_length=16, choices=MessageKind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"), max_length=1000)
    grids = models.ManyToManyField(Grid, blank=True, related_name="+", verbose_name=_("grids"))
    communities = models.ManyToManyField(
        Division, blank=True, related_name="+", verbose_name=_("villages / communities")
    )
    to_groups = models.BooleanField(_("resident groups (group bots)"), default=True)
    to_subscribers = models.BooleanField(_("residents subscribed on the portal (Web Push)"), default=False)
    to_staff = models.BooleanField(_("staff of the area"), default=False)
    staff_sms = models.BooleanField(_("staff also by SMS"), default=False)
    staff_email = models.BooleanField(_("staff also by e-mail"), default=False)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True, help_text=_("Empty: once approved."))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        db_index=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("drafted by")
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved or sent back by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note on the decision"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)
    # Counted from the deliveries after every batch (the demo's year writes them directly).
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("alert or campaign")
        verbose_name_plural = _("alerts and campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    @property
    def is_public(self) -> bool:
        """Whether it goes outside the police: then the station chief approves it first."""
        return self.to_groups or self.to_subscribers


class PushSubscription(models.Model):
    """A browser that asked on the portal for the alerts of a community (Web Push)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
        verbose_name=_("account"),
    )
    community = models.ForeignKey(
        Division, on_delete=models.PROTECT, related_name="+", verbose_name=_("village / community")
    )
    endpoint = models.URLField(_("push endpoint"), max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} · {self.community}"


class CampaignDelivery(models.Model):
    """One message of a campaign to one group (its bot) or one recipient, with its attempts."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("alert or campaign")
    )
    channel = models.CharField(_("channel"), max_length=16, choices=DeliveryChannel.choices)
    group = models.ForeignKey(
        ResidentGroup,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    subscription = models.ForeignKey(
        PushSubscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DeliveryState.choices,
        default=DeliveryState.PENDING,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=400, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign delivery")
        verbose_name_plural = _("campaign deliveries")
        ordering = ["campaign", "id"]
        indexes = [models.Index(fields=["campaign", "status"], name="outreach_delivery_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "group"],
                condition=Q(group__isnull=False),
                name="outreach_one_per_group",
            ),
            models.UniqueConstraint(
                fields=["campaign", "channel", "user"],
                condition=Q(user__isnull=False),
                name="outreach_one_per_user",
            ),
        ]

    def __str__(self):
        return f"{self.campaign} → {self.group or self.user} [{self.get_status_display()}]"


class Consultation(Served):
    """A resident's call or visit about a suspicious call, message or offer (反诈咨询)."""

    consulted_at = models.DateTimeField(_("consulted at"), default=timezone.now, db_index=True)
    channel = models.CharField(_("how they came"), max_length=10, choices=ConsultationChannel.choices)
    scam_type = models.CharField(_("type of scam"), max_length=20, choices=FraudType.choices)
    resident_name = models.CharField(_("resident's name"), max_length=64, blank=True)
    resident_phone = crypto.EncryptedCharField(_("resident's phone"), max_length=20, blank=True)
    summary = models.TextField(_("what happened"), max_length=2000)
    amount_at_stake = models.DecimalField(
        _("amount at stake (yuan)"), max_digits=12, decimal_places=2, default=0
    )
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=ConsultationOutcome.choices, db_index=True
    )
    amount_lost = models.DecimalField(_("amount lost (yuan)"), max_digits=12, decimal_places=2, default=0)
    event = models.OneToOneField(
        Event,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("fraud case opened"),
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("taken by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("anti-fraud consultation")
        verbose_name_plural = _("anti-fraud consultations")
        ordering = ["-consulted_at", "-id"]
        constraints = [
            _place_xor("outreach_consultation_unit_xor_grid"),
            models.CheckConstraint(
                condition=Q(outcome=ConsultationOutcome.DEFRAUDED) | Q(amount_lost=0),
                name="outreach_loss_only_when_defrauded",
            ),
        ]

    def __str__(self):
        return f"{self.get_scam_type_display()} · {self.consulted_at:%Y-%m-%d}"


class Lecture(Served):
    """A publicity stall or a lecture (社区警务大讲堂, 普法时间)."""

    kind = models.CharField(_("kind of session"), max_length=10, choices=LectureKind.choices)
    held_on = models.DateField(_("held on"), db_index=True)
    place_text = models.CharField(_("place"), max_length=200)
    topic = models.CharField(_("topic"), max_length=200)
    speaker = models.CharField(_("speaker"), max_length=64)
    attendance = models.PositiveIntegerField(_("attendance"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stall or lecture")
        verbose_name_plural = _("stalls and lectures")
        ordering = ["-held_on", "-id"]
        constraints = [_place_xor("outreach_lecture_unit_xor_grid")]

    def __str__(self):
        return f"{self.topic} ({self.held_on})"


def _photo_path(instance, filename):
    return f"outreach/{instance.lecture.held_on:%Y/%m}/{secrets.token_hex(12)}{instance.extension}"


class LecturePhoto(models.Model):
    """A photo of a stall or lecture, as kept after checking: encoded again, without metadata."""

    lecture = models.ForeignKey(
        Lecture, on_delete=models.CASCADE, related_name="photos", verbose_name=_("lecture")
    )
    file = models.FileField(_("file"), upload_to=_photo_path)
    content_type = models.CharField(_("type"), max_length=64)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField(_("size"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("lecture photo")
        verbose_name_plural = _("lecture photos")
        ordering = ["lecture", "created_at"]

    def __str__(self):
        return f"{self.lecture} · {self.pk}"
