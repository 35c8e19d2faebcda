"""Every change to outreach: one function per operation, in a transaction, with its permission
check and its audit entry.

A campaign goes draft → submitted → approved (or sent back) → sending → sent. Anything that goes
outside the police (to the resident groups or to subscribed residents) waits for the station
chief's approval; a message to staff alone is approved by being submitted. Once approved it is
queued for the worker (``outreach.sending``) at its time.
"""

import datetime as dt
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.roles import Role
from fengqiao.core.scoping import is_staff, path_within, scope_prefixes, unscoped_block
from fengqiao.core.uploads import check_upload
from fengqiao.events import actions as events
from fengqiao.events.choices import Channel, FraudType
from fengqiao.geo.choices import DivisionLevel, UnitKind
from fengqiao.geo.models import Division, Grid, PoliceUnit
from fengqiao.outreach import conf, rules
from fengqiao.outreach.choices import (
    CampaignStatus,
    ConsultationChannel,
    ConsultationOutcome,
    LectureKind,
    MessageKind,
    Platform,
)
from fengqiao.outreach.models import (
    Campaign,
    Consultation,
    Lecture,
    LecturePhoto,
    MemberCount,
    MessageTemplate,
    PushSubscription,
    ResidentGroup,
)

GROUP_REGISTER = audit.register("outreach_group_register", "registered a resident group")
GROUP_CHANGE = audit.register("outreach_group_change", "changed a resident group")
GROUP_COUNT = audit.register("outreach_group_count", "recorded a resident group's member count")
TEMPLATE_SAVE = audit.register("outreach_template_save", "saved a message template")
CAMPAIGN_DRAFT = audit.register("outreach_campaign_draft", "drafted an alert or campaign")
CAMPAIGN_SUBMIT = audit.register("outreach_campaign_submit", "submitted an alert or campaign")
CAMPAIGN_APPROVE = audit.register("outreach_campaign_approve", "approved an alert or campaign")
CAMPAIGN_REJECT = audit.register("outreach_campaign_reject", "sent back an alert or campaign")
CAMPAIGN_CANCEL = audit.register("outreach_campaign_cancel", "cancelled an alert or campaign")
SUBSCRIBE = audit.register("outreach_subscribe", "subscribed to alerts")
UNSUBSCRIBE = audit.register("outreach_unsubscribe", "unsubscribed from alerts")
CONSULTATION_LOG = audit.register("outreach_consultation", "logged an anti-fraud consultation")
LECTURE_RECORD = audit.register("outreach_lecture", "recorded a publicity stall or lecture")
LECTURE_PHOTO = audit.register("outreach_lecture_photo", "added a photo to a stall or lecture")

APPROVERS = {Role.STATION, Role.COUNTY_BUREAU, Role.CITY_COMMAND}
UNSCOPED_ENDPOINT = "outreach: a push endpoint is unique across the territory"


# --- who may ---------------------------------------------------------------------------------


def may_manage(user) -> bool:
    """Staff keep the groups, draft campaigns, log consultations and record lectures of their area."""
    return is_staff(user)


def may_approve(user) -> bool:
    """The station chief (勤务指挥室) or the bureaus above approve what goes out to residents."""
    return is_staff(user) and (user.is_superuser or user.role in APPROVERS)


def may_subscribe(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.is_active


def _require_manage(user) -> None:
    if not may_manage(user):
        raise PermissionDenied(_("Only staff do outreach work."))


def _require_visible(obj, user) -> None:
    if not obj.is_visible_to(user):
        raise PermissionDenied(_("This is outside your area."))


def _place(actor, grid: Grid | None, unit: PoliceUnit | None) -> tuple[Grid | None, PoliceUnit | None]:
    """A grid, or a police district, in the actor's area."""
    if (grid is None) == (unit is None):
        raise ValidationError({"grid": [_("Choose the grid or the police district it serves.")]})
    prefixes = scope_prefixes(actor)
    if grid is not None and not (grid.is_active and path_within(grid.scope_path, prefixes)):
        raise ValidationError({"grid": [_("Choose a grid in your area.")]})
    if unit is not None and not (unit.kind == UnitKind.DISTRICT and path_within(unit.path, prefixes)):
        raise ValidationError({"unit": [_("Choose a police district in your area.")]})
    return grid, unit


def communities_in_scope(user):
    """The villages and communities with a grid in the user's area."""
    grids = Grid.objects.visible_to(user).filter(is_active=True)
    return Division.objects.filter(level=DivisionLevel.VILLAGE, pk__in=grids.values("community")).order_by(
        "code"
    )


# --- resident groups -------------------------------------------------------------------------


def register_group(
    *,
    actor,
    platform: str,
    name: str,
    grid: Grid | None = None,
    unit: PoliceUnit | None = None,
    community: Division | None = None,
    owner=None,
    members: int = 0,
    webhook_url: str = "",
) -> ResidentGroup:
    """Register a police–resident group of a grid (its community follows) or of a police district
    (then name the community); its first member count is today's reading."""
    _require_manage(actor)
    rules.choice(platform, "platform", Platform)
    name = rules.text(name, "name", limit=100)
    members = rules.member_count(members)
    webhook_url = rules.webhook_url(webhook_url)
    if webhook_url and platform != Platform.WECOM:
        raise ValidationError({"webhook_url": [_("Only a WeCom group has a group bot.")]})
    grid, unit = _place(actor, grid, unit)
    if grid is not None:
        community = grid.community
    elif community is None or not communities_in_scope(actor).filter(pk=community.pk).exists():
        raise ValidationError({"community": [_("Choose a village or community in your area.")]})
    owner = owner or actor
    if not is_staff(owner):
        raise ValidationError({"owner": [_("The owner is a member of staff.")]})
    with transaction.atomic():
        group = ResidentGroup(
            platform=platform,
            name=name,
            grid=grid,
            unit=unit,
            community=community,
            owner=owner,
            webhook_url=webhook_url,
            created_by=actor,
        )
        group.save()
        _count(group, members, timezone.localdate(), actor)
        audit.record(
            GROUP_REGISTER,
            group,
            actor=actor,
            after={
                "platform": platform,
                "place": group.scope_path,
                "members": members,
                "bot": bool(webhook_url),
            },
        )
    return group


def change_group(
    group: ResidentGroup,
    *,
    actor,
    name: str,
    platform: str,
    webhook_url: str | None = None,
    is_active: bool = True,
) -> ResidentGroup:
    """Rename a group, move it to another platform, set or clear its bot (``None`` keeps it)."""
    _require_manage(actor)
    _require_visible(group, actor)
    rules.choice(platform, "platform", Platform)
    name = rules.text(name, "name", limit=100)
    if webhook_url is not None:
        group.webhook_url = rules.webhook_url(webhook_url)
    if group.webhook_url and platform != Platform.WECOM:
        raise ValidationError({"webhook_url": [_("Only a WeCom group has a group bot.")]})
    before = {"name": group.name, "platform": group.platform, "active": group.is_active}
    with transaction.atomic():
        group.name, group.platform, group.is_active = name, platform, bool(is_active)
        group.save()
        # The webhook's key never goes into the audit: only whether there is one.
        audit.record(
            GROUP_CHANGE,
            group,
            actor=actor,
            before=before,
            after={"name": name, "platform": platform, "active": group.is_active, "bot": group.has_bot},
        )
    return group


def _count(group: ResidentGroup, members: int, day: dt.date, actor) -> MemberCount:
    reading, _created = MemberCount.objects.update_or_create(
        group=group, counted_on=day, defaults={"members": members, "recorded_by": actor}
    )
    latest = group.counts.order_by("-counted_on").first()
    group.members, group.members_on = latest.members, latest.counted_on
    group.save(update_fields=["members", "members_on", "updated_at"])
    return reading


def record_member_count(
    group: ResidentGroup, *, actor, members, counted_on: dt.date | None = None
) -> MemberCount:
    """A dated reading of the group's member count (one a day: the day's reading replaces the
    earlier one); the group shows its latest."""
    _require_manage(actor)
    _require_visible(group, actor)
    members = rules.member_count(members)
    counted_on = rules.not_in_future(counted_on or timezone.localdate(), "counted_on")
    with transaction.atomic():
        reading = _count(group, members, counted_on, actor)
        audit.record(
            GROUP_COUNT, group, actor=actor, after={"on": counted_on.isoformat(), "members": members}
        )
    return reading


# --- templates and campaigns -----------------------------------------------------------------


def save_template(*, actor, name: str, kind: str, title: str, body: str) -> MessageTemplate:
    if not may_approve(actor):
        raise PermissionDenied(_("The station keeps the message templates."))
    rules.choice(kind, "kind", MessageKind)
    name = rules.text(name, "name", limit=100)
    values = {
        "kind": kind,
        "title": rules.text(title, "title", limit=100),
        "body": rules.text(body, "body", limit=1000),
    }
    with transaction.atomic():
        template, _created = MessageTemplate.objects.update_or_create(name=name, defaults=values)
        audit.record(TEMPLATE_SAVE, template, actor=actor, after=values)
    return template


def common_path(paths: list[str]) -> str:
    """The closest node of the tree above every path (``a/b/c`` and ``a/b/d`` → ``a/b``)."""
    parts = [p.split("/") for p in paths]
    common = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        common.append(segments[0])
    return "/".join(common)


UNSCOPED_OWN_GRIDS = "outreach: the grids a campaign names, checked in scope when it was drafted"


def named_grids(campaign: Campaign):
    """The grids the campaign names (read through its own link rows)."""
    links = Campaign.grids.through.objects.filter(campaign=campaign).values("grid_id")
    return Grid.objects.unscoped(reason=UNSCOPED_OWN_GRIDS).filter(pk__in=links)


def audience_grids(campaign: Campaign):
    """Every grid the campaign reaches: those named, and the grids of the communities named within
    the campaign's place."""
    from django.db.models import Q

    from fengqiao.core.scoping import scope_q

    named = Q(pk__in=Campaign.grids.through.objects.filter(campaign=campaign).values("grid_id"))
    by_community = Q(community__in=campaign.communities.values("pk")) & scope_q([campaign.scope_path])
    return Grid.objects.unscoped(reason="outreach: the audience of an approved campaign").filter(
        named | by_community, is_active=True
    )


def draft_campaign(
    *,
    actor,
    kind: str,
    title: str,
    body: str,
    grids=(),
    communities=(),
    to_groups: bool = True,
    to_subscribers: bool = False,
    to_staff: bool = False,
    staff_sms: bool = False,
    staff_email: bool = False,
    send_at: dt.datetime | None = None,
) -> Campaign:
    """A draft: the message, the grids and communities it is for (in the actor's area), who in
    them hears it, and when."""
    _require_manage(actor)
    rules.choice(kind, "kind", MessageKind)
    title = rules.text(title, "title", limit=100)
    body = rules.text(body, "body", limit=1000)
    send_at = rules.send_at(send_at)
    prefixes = scope_prefixes(actor)
    grids, communities = list(grids), list(communities)
    if not grids and not communities:
        raise ValidationError({"grids": [_("Choose the grids or the communities it is for.")]})
    if not (to_groups or to_subscribers or to_staff):
        raise ValidationError(
            {"to_groups": [_("Choose who hears it: the groups, subscribed residents or staff.")]}
        )
    for grid in grids:
        if not path_within(grid.scope_path, prefixes):
            raise ValidationError({"grids": [_("Choose grids in your area.")]})
    allowed = set(communities_in_scope(actor).values_list("pk", flat=True))
    if any(c.pk not in allowed for c in communities):
        raise ValidationError({"communities": [_("Choose communities in your area.")]})
    visible = Grid.objects.visible_to(actor).filter(is_active=True)
    paths = [g.scope_path for g in grids] + list(
        visible.filter(community__in=communities).values_list("scope_path", flat=True)
    )
    with transaction.atomic():
        campaign = Campaign.objects.create(
            kind=kind,
            title=title,
            body=body,
            to_groups=to_groups,
            to_subscribers=to_subscribers,
            to_staff=to_staff,
            staff_sms=staff_sms and to_staff,
            staff_email=staff_email and to_staff,
            send_at=send_at,
            created_by=actor,
            scope_path=common_path(paths),
        )
        with unscoped_block(UNSCOPED_OWN_GRIDS):
            campaign.grids.set(grids)
        campaign.communities.set(communities)
        audit.record(
            CAMPAIGN_DRAFT, campaign, actor=actor, after={"kind": kind, "place": campaign.scope_path}
        )
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return (
        Campaign.objects.unscoped(reason="outreach: an action re-reads its campaign under a lock")
        .select_for_update()
        .get(pk=campaign.pk)
    )


def _queue(campaign: Campaign) -> None:
    from fengqiao.outreach import sending

    transaction.on_commit(lambda: sending.schedule(campaign.pk, campaign.send_at), robust=True)


def submit_campaign(campaign: Campaign, *, actor) -> Campaign:
    """Put a draft (or one sent back) before the station chief; a message to staff alone needs
    no approval and is scheduled at once."""
    _require_manage(actor)
    _require_visible(campaign, actor)
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.status not in (CampaignStatus.DRAFT, CampaignStatus.REJECTED):
            raise ValidationError({"status": [_("Only a draft or one sent back can be submitted.")]})
        campaign.submitted_at = timezone.now()
        campaign.status = CampaignStatus.SUBMITTED if campaign.is_public else CampaignStatus.APPROVED
        campaign.save()
        audit.record(CAMPAIGN_SUBMIT, campaign, actor=actor, after={"status": campaign.status})
        if campaign.status == CampaignStatus.APPROVED:
            _queue(campaign)
    return campaign


def approve_campaign(campaign: Campaign, *, actor, note: str = "") -> Campaign:
    """The station chief lets it go out: it is queued for its time (or now)."""
    if not may_approve(actor):
        raise PermissionDenied(_("Only the station chief approves what goes out to residents."))
    _require_visible(campaign, actor)
    note = rules.text(note, "note", limit=300, required=False)
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.status != CampaignStatus.SUBMITTED:
            raise ValidationError({"status": [_("Only a submitted campaign can be approved.")]})
        if campaign.send_at is not None and campaign.send_at < timezone.now() - dt.timedelta(hours=1):
            raise ValidationError({"send_at": [_("Its time has passed: send it back to set another.")]})
        campaign.status = CampaignStatus.APPROVED
        campaign.decided_by, campaign.decided_at, campaign.decision_note = actor, timezone.now(), note
        campaign.save()
        audit.record(CAMPAIGN_APPROVE, campaign, actor=actor, after={"note": note})
        _queue(campaign)
    return campaign


def reject_campaign(campaign: Campaign, *, actor, note: str) -> Campaign:
    if not may_approve(actor):
        raise PermissionDenied(_("Only the station chief approves what goes out to residents."))
    _require_visible(campaign, actor)
    note = rules.text(note, "note", limit=300)
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.status != CampaignStatus.SUBMITTED:
            raise ValidationError({"status": [_("Only a submitted campaign can be sent back.")]})
        campaign.status = CampaignStatus.REJECTED
        campaign.decided_by, campaign.decided_at, campaign.decision_note = actor, timezone.now(), note
        campaign.save()
        audit.record(CAMPAIGN_REJECT, campaign, actor=actor, after={"note": note})
    return campaign


def cancel_campaign(campaign: Campaign, *, actor) -> Campaign:
    """Withdraw a campaign that has not begun to go out."""
    _require_manage(actor)
    _require_visible(campaign, actor)
    with transaction.atomic():
        campaign = _locked(campaign)
        if campaign.status in (CampaignStatus.SENDING, CampaignStatus.SENT, CampaignStatus.CANCELLED):
            raise ValidationError({"status": [_("It has already gone out or been cancelled.")]})
        if campaign.created_by_id != actor.pk and not may_approve(actor):
            raise PermissionDenied(_("Only its author or the station chief cancels it."))
        before = campaign.status
        campaign.status = CampaignStatus.CANCELLED
        campaign.save()
        audit.record(CAMPAIGN_CANCEL, campaign, actor=actor, before={"status": before})
    return campaign


# --- the portal's subscriptions --------------------------------------------------------------


def subscribe(*, actor, community: Division, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """A browser of the actor's asks for the alerts of a community (the same browser again moves
    its subscription)."""
    if not may_subscribe(actor):
        raise PermissionDenied(_("Log in to subscribe to alerts."))
    if community is None or community.level != DivisionLevel.VILLAGE:
        raise ValidationError({"community": [_("Choose your village or community.")]})
    endpoint = str(endpoint or "").strip()
    parts = urlsplit(endpoint)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(endpoint) > 1000:
        raise ValidationError({"endpoint": [_("This browser gave no push address.")]})
    p256dh = rules.text(p256dh, "p256dh", limit=200)
    auth = rules.text(auth, "auth", limit=100)
    with transaction.atomic():
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={
                "user": actor,
                "community": community,
                "p256dh": p256dh,
                "auth": auth,
                "is_active": True,
            },
        )
        audit.record(SUBSCRIBE, subscription, actor=actor, after={"community": community.code})
    return subscription


def unsubscribe(*, actor, endpoint: str = "") -> int:
    """Stop the actor's subscriptions (one browser's, or all of them)."""
    if not may_subscribe(actor):
        raise PermissionDenied(_("Log in to subscribe to alerts."))
    mine = PushSubscription.objects.filter(user=actor, is_active=True)
    if endpoint:
        mine = mine.filter(endpoint=endpoint)
    with transaction.atomic():
        stopped = mine.update(is_active=False)
        if stopped:
            audit.record(
                UNSUBSCRIBE,
                None,
                actor=actor,
                object_type="outreach.pushsubscription",
                after={"stopped": stopped},
            )
    return stopped


# --- anti-fraud consultations ----------------------------------------------------------------


def log_consultation(
    *,
    actor,
    channel: str,
    scam_type: str,
    summary: str,
    outcome: str,
    grid: Grid | None = None,
    unit: PoliceUnit | None = None,
    consulted_at: dt.datetime | None = None,
    resident_name: str = "",
    resident_phone: str = "",
    amount_at_stake=0,
    amount_lost=0,
) -> Consultation:
    """A resident's call or visit about a suspicious offer. Someone already defrauded has a fraud
    case opened for them through the events' intake (category 电信网络诈骗, the scam as its kind of
    fraud), linked to the consultation, in the same transaction."""
    from fengqiao.registry.validators import InvalidValue, parse_phone

    _require_manage(actor)
    rules.choice(channel, "channel", ConsultationChannel)
    rules.choice(scam_type, "scam_type", FraudType)
    rules.choice(outcome, "outcome", ConsultationOutcome)
    summary = rules.text(summary, "summary", limit=2000)
    resident_name = rules.text(resident_name, "resident_name", limit=64, required=False)
    if resident_phone:
        try:
            resident_phone = parse_phone(resident_phone)
        except InvalidValue as error:
            raise ValidationError({"resident_phone": [str(error)]}) from None
    at_stake = rules.amount(amount_at_stake, "amount_at_stake")
    lost = rules.outcome_amounts(outcome, rules.amount(amount_lost, "amount_lost"))
    consulted_at = consulted_at or timezone.now()
    if consulted_at > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError({"consulted_at": [_("This time is in the future.")]})
    grid, unit = _place(actor, grid, unit)
    with transaction.atomic():
        consultation = Consultation(
            grid=grid,
            unit=unit,
            consulted_at=consulted_at,
            channel=channel,
            scam_type=scam_type,
            resident_name=resident_name,
            resident_phone=resident_phone,
            summary=summary,
            amount_at_stake=at_stake,
            outcome=outcome,
            amount_lost=lost,
            taken_by=actor,
        )
        if outcome == ConsultationOutcome.DEFRAUDED:
            consultation.event = _open_fraud_case(consultation, actor)
        consultation.save()
        audit.record(
            CONSULTATION_LOG,
            consultation,
            actor=actor,
            after={
                "scam_type": scam_type,
                "outcome": outcome,
                "event": consultation.event.number if consultation.event else "",
            },
        )
    return consultation


def _open_fraud_case(consultation: Consultation, actor):
    place = (
        consultation.grid
        or Grid.objects.visible_to(actor).filter(district=consultation.unit, is_active=True).first()
    )
    if place is None:
        raise ValidationError(
            {"unit": [_("This police district has no grid to place the case in: choose the grid.")]}
        )
    label = FraudType(consultation.scam_type).label
    report = events.build_report(
        category=conf.fraud_category(),
        public_only=False,
        actor=actor,
        title=_("Fraud reported at an anti-fraud consultation: %(kind)s") % {"kind": label},
        description=_("%(summary)s\nAmount lost: %(amount)s yuan.")
        % {"summary": consultation.summary, "amount": consultation.amount_lost},
        lon=place.centroid_lon,
        lat=place.centroid_lat,
        reporter_name=consultation.resident_name,
        reporter_phone=consultation.resident_phone,
        crime_class="fraud",
        fraud_type=consultation.scam_type,
    )
    return events.report_event(report, actor=actor, channel=Channel.STAFF)


# --- stalls and lectures ---------------------------------------------------------------------


def record_lecture(
    *,
    actor,
    kind: str,
    held_on: dt.date,
    place_text: str,
    topic: str,
    speaker: str,
    attendance=0,
    grid: Grid | None = None,
    unit: PoliceUnit | None = None,
) -> Lecture:
    _require_manage(actor)
    rules.choice(kind, "kind", LectureKind)
    if held_on is None:
        raise ValidationError({"held_on": [_("This field is required.")]})
    values = {
        "kind": kind,
        "held_on": rules.not_in_future(held_on, "held_on"),
        "place_text": rules.text(place_text, "place_text", limit=200),
        "topic": rules.text(topic, "topic", limit=200),
        "speaker": rules.text(speaker, "speaker", limit=64),
        "attendance": rules.attendance(attendance),
    }
    grid, unit = _place(actor, grid, unit)
    with transaction.atomic():
        lecture = Lecture(grid=grid, unit=unit, created_by=actor, **values)
        lecture.save()
        audit.record(
            LECTURE_RECORD, lecture, actor=actor, after={"kind": kind, "attendance": values["attendance"]}
        )
    return lecture


def add_lecture_photo(lecture: Lecture, upload, *, actor) -> LecturePhoto:
    """Keep a photo after checking it (core.uploads: encoded again, no metadata)."""
    _require_manage(actor)
    _require_visible(lecture, actor)
    checked = check_upload(upload)
    if checked.content_type not in ("image/jpeg", "image/png"):
        raise ValidationError(
            {"file": [_("%(name)s is not a photo (JPEG or PNG).") % {"name": checked.name}]}
        )
    photo = LecturePhoto(
        lecture=lecture, content_type=checked.content_type, extension=checked.extension, size=checked.size
    )
    photo.file.save("upload", checked.file, save=False)
    try:
        with transaction.atomic():
            photo.save()
            audit.record(LECTURE_PHOTO, lecture, actor=actor, after={"photo": photo.pk, "size": photo.size})
    except BaseException:
        photo.file.delete(save=False)  # no file without its row
        raise
    return photo
