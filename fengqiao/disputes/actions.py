"""Every change to the mediation ledger: registration, moves through the workflow (sessions, the
agreement and its performance among them), the signed copy, judicial confirmation, screening returns.

Each function is one transaction with its permission check and exactly one audit entry; moves go
through the casework engine (:func:`fengqiao.core.casework.apply`), whose entry is that move's.
Notifications are written inside the transaction and delivered after it commits.
"""

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit, casework
from fengqiao.core.roles import Role
from fengqiao.core.scoping import is_staff
from fengqiao.core.uploads import check_upload
from fengqiao.disputes import conf, rules
from fengqiao.disputes.choices import (
    AgreementForm,
    Category,
    MediationKind,
    PartyRole,
    Source,
)
from fengqiao.disputes.models import Agreement, Dispute, DisputeParty, ScreeningReturn
from fengqiao.disputes.workflow import staff
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.registry.validators import InvalidValue, parse_id_number, parse_phone

REGISTER = audit.register("dispute_register", "registered a dispute")
SIGNED_COPY = audit.register("dispute_signed_copy", "uploaded a signed agreement")
SCREENING = audit.register("dispute_screening_return", "filed a screening return")
JUDICIAL_REMINDERS = audit.register(
    "dispute_judicial_reminders", "reminded mediators of closing judicial windows", needs_actor=False
)

UNSCOPED_REPEATS = "disputes: repeated disputes between the same parties are counted across the territory"
UNSCOPED_REMINDERS = "disputes: the judicial-window reminder covers every agreement"

# What a signed copy may be: checked by the file's first bytes, not by its name.


def _notify(users, **message) -> None:
    from fengqiao.core.notifications.actions import notify

    users = [u for u in users if u is not None]
    if users:
        notify(users, **message)


def may_register(user) -> bool:
    return is_staff(user)


def may_work_on(user, dispute: Dispute) -> bool:
    """Who records sessions, the agreement, performance: the holder, the lead officer, the mediators."""
    return is_staff(user) and staff(user, dispute)


def _require_work(user, dispute: Dispute) -> None:
    if not may_work_on(user, dispute):
        raise PermissionDenied(_("Only the dispute's mediators and the officers holding it may do this."))


def _text(value, field: str, *, required: bool = True, limit: int | None = None) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({field: [_("This field is required.")]})
    if limit and len(text) > limit:
        raise ValidationError({field: [_("At most %(n)s characters.") % {"n": limit}]})
    return text


def _locked(dispute: Dispute) -> Dispute:
    return (
        Dispute.objects.unscoped(reason="disputes: the action re-reads the dispute it changes under a lock")
        .select_for_update()
        .get(pk=dispute.pk)
    )


# ---------------------------------------------------------------------------------------------
# registration


@dataclass
class PartyData:
    role: str
    name: str = ""
    id_number: str = ""
    phone: str = ""
    address: str = ""
    person: object | None = None  # a registry Person the actor may see


@dataclass
class Registration:
    """What a registration says, from the form, the API or the demo."""

    title: str
    source: str
    category: str
    grade: str
    grid: Grid
    facts: str
    points: str
    parties: list[PartyData]
    people_count: int | None = None
    amount: Decimal | str | int = 0
    place: str = ""
    mediators: list = field(default_factory=list)
    assignee: object | None = None
    origin_event: object | None = None
    kept_from_criminal: bool = False
    kind: str = MediationKind.PEOPLE
    committee: str = ""  # empty: the committee of the grid's village or community


def _party(actor, number: int, data: PartyData) -> DisputeParty:
    def error(message):
        return ValidationError(
            {"parties": [_("Party %(n)s: %(message)s") % {"n": number, "message": message}]}
        )

    if data.role not in PartyRole.values:
        raise error(_("say whether this is an applicant or a respondent."))
    person = data.person
    if person is not None and not person.is_visible_to(actor):
        raise error(_("nobody like this is recorded in your area."))
    id_number = ""
    if str(data.id_number or "").strip():
        try:
            id_number = parse_id_number(data.id_number).number
        except InvalidValue as exc:
            raise error(exc.reason) from None
    if person is None and id_number:
        from fengqiao.registry.access import person_by_whole_id_number

        person = person_by_whole_id_number(actor, id_number, current_only=True)
    phone = ""
    if str(data.phone or "").strip():
        try:
            phone = parse_phone(data.phone)
        except InvalidValue as exc:
            raise error(exc.reason) from None
    name = str(data.name or "").strip() or (person.name if person is not None else "")
    if not name:
        raise error(_("give the party's name."))
    address = str(data.address or "").strip()
    if person is not None:
        id_number = id_number or person.id_number
        phone = phone or person.phone
        if not address and person.current_address_id:
            address = person.current_address.full_text
    return DisputeParty(
        role=data.role,
        person=person,
        name=name[:64],
        id_number=id_number,
        phone=phone[:20],
        address=address[:400],
    )


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValidationError({"amount": [_("Give an amount in yuan, e.g. 1200.50.")]}) from None
    if amount < 0 or amount >= Decimal("1e12"):
        raise ValidationError({"amount": [_("Give an amount in yuan, e.g. 1200.50.")]})
    return amount


def _staff_user(user, field: str):
    if not is_staff(user):
        raise ValidationError({field: [_("%(name)s is not staff.") % {"name": user}]})
    return user


def district_path(grid: Grid) -> str:
    return grid.scope_path.rsplit("/", 1)[0]


def station_path(path: str) -> str:
    return "/".join(path.split("/")[:3])


def _default_assignee(actor, grid: Grid):
    """The lead officer: the registering community officer, else the district's officer."""
    if actor.role == Role.COMMUNITY_OFFICER and not actor.is_superuser:
        return actor
    User = get_user_model()
    return User.posted_at(district_path(grid)).filter(role=Role.COMMUNITY_OFFICER).order_by("pk").first()


def repeats(dispute: Dispute) -> int:
    """How many disputes (this one included) in the last ``FENGQIAO_DISPUTE_REPEAT_DAYS`` involve
    two or more of this dispute's parties (by ID number), wherever they were registered."""
    numbers = sorted({p.id_number for p in dispute.parties.all() if p.id_number})
    if len(numbers) < 2:
        return 1
    since = dispute.opened_at - dt.timedelta(days=conf.repeat_days())
    earlier = Dispute.objects.unscoped(reason=UNSCOPED_REPEATS).filter(
        opened_at__gte=since, opened_at__lte=dispute.opened_at
    )
    shared = (
        DisputeParty.objects.filter(dispute__in=earlier.exclude(pk=dispute.pk), id_number__in=numbers)
        .values("dispute")
        .annotate(people=Count("id_number_hash", distinct=True))
        .filter(people__gte=2)
    )
    return shared.count() + 1


def register_dispute(reg: Registration, *, actor, at: dt.datetime | None = None) -> Dispute:
    """Put a dispute on the ledger, give it to the grid's police district, flag it to the station
    when it is of the top grade or repeated between the same parties."""
    if not may_register(actor):
        raise PermissionDenied(_("Only staff register disputes."))
    grid = reg.grid
    if grid is None or not grid.is_visible_to(actor) or not grid.is_active:
        raise ValidationError({"grid": [_("Choose a grid in your area.")]})
    title = _text(reg.title, "title", limit=200)
    if reg.source not in Source.values:
        raise ValidationError({"source": [_("Unknown value: %(value)s.") % {"value": reg.source}]})
    if reg.category not in Category.values:
        raise ValidationError({"category": [_("Unknown value: %(value)s.") % {"value": reg.category}]})
    if reg.grade not in conf.grades():
        raise ValidationError({"grade": [_("Unknown value: %(value)s.") % {"value": reg.grade}]})
    facts = _text(reg.facts, "facts")
    points = _text(reg.points, "points")
    parties = [_party(actor, n, p) for n, p in enumerate(reg.parties, start=1)]
    roles = {p.role for p in parties}
    if roles != {PartyRole.APPLICANT, PartyRole.RESPONDENT}:
        raise ValidationError({"parties": [_("Name at least one applicant and one respondent.")]})
    people = reg.people_count if reg.people_count not in (None, "") else len(parties)
    try:
        people = int(people)
    except (TypeError, ValueError):
        people = -1
    if people < len(parties) or people > 100_000:
        raise ValidationError(
            {"people_count": [_("At least the %(n)s parties named.") % {"n": len(parties)}]}
        )
    amount = _amount(reg.amount)
    mediators = [_staff_user(u, "mediators") for u in reg.mediators]
    assignee = _staff_user(reg.assignee, "assignee") if reg.assignee is not None else None
    if reg.origin_event is not None and not reg.origin_event.is_visible_to(actor):
        raise ValidationError({"origin_event": [_("No such event in your area.")]})
    kind = reg.kind or MediationKind.PEOPLE
    committee = rules.check_kind(
        kind,
        category=reg.category,
        origin_event=reg.origin_event,
        committee=reg.committee,
        community=grid.community.name,
    )
    with transaction.atomic():
        dispute = Dispute(
            title=title,
            source=reg.source,
            category=reg.category,
            grade=reg.grade,
            grid=grid,
            kind=kind,
            committee=committee,
            scope_path=grid.scope_path,
            holder_path=district_path(grid),
            place=_text(reg.place, "place", required=False, limit=400),
            people_count=people,
            amount=amount,
            facts=facts,
            points=points,
            registered_by=actor,
            origin_event=reg.origin_event,
            kept_from_criminal=bool(reg.kept_from_criminal),
            assignee=assignee or _default_assignee(actor, grid),
        )
        casework.open_case(dispute, actor=actor, county=grid.scope_path.split("/")[1], at=at)
        for party in parties:
            party.dispute = dispute
        DisputeParty.objects.bulk_create(parties)
        if mediators:
            dispute.mediators.set(mediators)
        dispute.repeat_count = repeats(dispute)
        dispute.repeated = dispute.repeat_count >= conf.repeat_threshold()
        dispute.flagged = dispute.repeated or dispute.is_red
        Dispute.objects.unscoped(reason="disputes: the row just created").filter(pk=dispute.pk).update(
            repeat_count=dispute.repeat_count, repeated=dispute.repeated, flagged=dispute.flagged
        )
        audit.record(
            REGISTER,
            dispute,
            actor=actor,
            after={
                "source": dispute.source,
                "category": dispute.category,
                "grade": dispute.grade,
                "kind": dispute.kind,
                "committee": dispute.committee,
                "grid": grid.code,
                "parties": len(parties),
                "amount": str(amount),
                "repeated": dispute.repeated,
                "flagged": dispute.flagged,
            },
        )
        if dispute.flagged:
            _flag_to_station(dispute)
    return dispute


def _flag_to_station(dispute: Dispute) -> None:
    reasons = []
    if dispute.is_red:
        reasons.append(_("risk grade %(grade)s") % {"grade": dispute.grade_label})
    if dispute.repeated:
        reasons.append(
            _("%(n)s disputes between the same parties in 12 months") % {"n": dispute.repeat_count}
        )
    station = station_path(dispute.scope_path)
    _notify(
        get_user_model().posted_at(station),
        kind="dispute_flag",
        title=_("Dispute %(number)s needs attention: %(reasons)s")
        % {"number": dispute.number, "reasons": "; ".join(reasons)},
        body=dispute.title,
        link=dispute.get_absolute_url(),
        scope_path=station,
    )


def move(
    dispute: Dispute, transition: str, *, actor, version: int | None, note: str = "", data=None
) -> Dispute:
    """Take one step: start, a session, the agreement, its performance, resolve, fail, refer,
    terminate, follow_up, archive, extensions."""
    return casework.apply(dispute, transition, actor=actor, version=version, note=note, data=data)


# ---------------------------------------------------------------------------------------------
# the agreement's documents and judicial confirmation


def verification_check(agreement: Agreement) -> str:
    """The code in the verification link: only the system can make one that matches."""
    message = f"{agreement.serial}|{agreement.signed_on.isoformat()}|{agreement.content_hash}".encode()
    key = hashlib.sha256(("fengqiao-agreement:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:20]


def verification_path(agreement: Agreement) -> str:
    return reverse("agreement_verify", args=[agreement.serial, verification_check(agreement)])


def _agreement_of(dispute: Dispute) -> Agreement:
    agreement = Agreement.objects.filter(dispute=dispute).first()
    if agreement is None:
        raise ValidationError({"agreement": [_("This dispute has no agreement yet.")]})
    return agreement


def upload_signed_copy(dispute: Dispute, upload, *, actor) -> Agreement:
    """Keep the scanned agreement with the parties' and the mediator's signatures."""
    checked = check_upload(upload)  # the copy to keep: an image encoded again, a PDF that parses
    old_file = None
    with transaction.atomic():
        dispute = _locked(dispute)
        _require_work(actor, dispute)
        agreement = _agreement_of(dispute)
        if agreement.form != AgreementForm.WRITTEN:
            raise ValidationError({"file": [_("An oral agreement has no signed copy.")]})
        old_file = agreement.signed_copy.name or None
        agreement.signed_copy_type, agreement.signed_copy_extension = checked.content_type, checked.extension
        agreement.signed_copy_name = checked.name[-200:]
        agreement.signed_copy_uploaded_at = timezone.now()
        agreement.signed_copy.save("upload", checked.file, save=False)
        try:
            agreement.save()
            audit.record(
                SIGNED_COPY,
                dispute,
                actor=actor,
                after={"serial": agreement.serial, "file": agreement.signed_copy_name, "size": checked.size},
            )
        except BaseException:
            agreement.signed_copy.delete(save=False)  # no file without its row
            raise
    if old_file:
        transaction.on_commit(lambda: agreement.signed_copy.storage.delete(old_file))
    return agreement


def remind_judicial_windows(*, today: dt.date | None = None) -> int:
    """Tell the mediators of written agreements whose window for judicial confirmation closes
    within ``FENGQIAO_DISPUTE_JUDICIAL_REMIND_DAYS`` days and that nobody has applied for yet.
    Each agreement is reminded once. Returns how many were."""
    today = today or timezone.localdate()
    window = conf.judicial_days()
    earliest = today - dt.timedelta(days=window)  # signed before this: the window has closed
    latest = today - dt.timedelta(days=window - conf.judicial_remind_days())
    with transaction.atomic():
        due = list(
            Agreement.objects.select_for_update(of=("self",))
            .filter(
                form=AgreementForm.WRITTEN,
                judicial_applied_on=None,
                dispute__kind__in=[k for k in MediationKind.values if rules.may_be_confirmed(k)],
                judicial_reminded_at=None,
                signed_on__gte=earliest,
                signed_on__lte=latest,
            )
            .select_related("dispute", "dispute__assignee")
        )
        if not due:
            return 0
        now = timezone.now()
        Agreement.objects.filter(pk__in=[a.pk for a in due]).update(judicial_reminded_at=now)
        for agreement in due:
            dispute = agreement.dispute
            _notify(
                [*dispute.mediators.all(), dispute.assignee],
                kind="dispute_judicial",
                title=_("%(serial)s: judicial confirmation can be applied for until %(date)s")
                % {"serial": agreement.serial, "date": agreement.judicial_window_closes},
                body=dispute.title,
                link=dispute.get_absolute_url(),
                scope_path=dispute.holder_path,
            )
        audit.record(
            JUDICIAL_REMINDERS,
            None,
            object_type="disputes.agreement",
            object_repr=_("judicial confirmation reminders"),
            after={"agreements": [a.serial for a in due][:1000], "count": len(due)},
        )
    return len(due)


# ---------------------------------------------------------------------------------------------
# screening returns


def month_start(value) -> dt.date:
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.date.fromisoformat(text + "-01" if len(text) == 7 else text)
        except ValueError:
            raise ValidationError({"month": [_("Give a month as YYYY-MM.")]}) from None
    return value.replace(day=1)


def screening_units(user) -> list[PoliceUnit]:
    """The police districts a community officer files returns for: where they are posted."""
    if not is_staff(user):
        return []
    paths = [p for p in user.scope_paths() if p.count("/") == 3]
    return list(PoliceUnit.objects.filter(path__in=paths, kind=UnitKind.DISTRICT).order_by("path"))


@transaction.atomic
def file_screening_return(
    *, actor, unit: PoliceUnit, month, nil_return: bool, found: int = 0, note: str = ""
) -> ScreeningReturn:
    """File (or correct) the month's screening return for one police district."""
    if actor is None or actor.role != Role.COMMUNITY_OFFICER or unit not in screening_units(actor):
        raise PermissionDenied(_("Community officers file the screening return of their own district."))
    month = month_start(month)
    if month > timezone.localdate().replace(day=1):
        raise ValidationError({"month": [_("A month still to come cannot be screened.")]})
    try:
        found = int(found or 0)
    except (TypeError, ValueError):
        raise ValidationError({"found": [_("Give a whole number.")]}) from None
    if found < 0:
        raise ValidationError({"found": [_("Give a whole number.")]})
    if nil_return and found:
        raise ValidationError(
            {"found": [_("A nil return found nothing: leave the count at 0 or untick it.")]}
        )
    if not nil_return and not found:
        raise ValidationError({"nil_return": [_("Nothing found? Tick the nil return.")]})
    existing = (
        ScreeningReturn.objects.unscoped(reason="disputes: the officer's own return, checked above")
        .filter(officer=actor, unit=unit, month=month)
        .first()
    )
    before = audit.snapshot(existing, ["nil_return", "found", "note"]) if existing else None
    row = existing or ScreeningReturn(officer=actor, unit=unit, month=month)
    row.nil_return = bool(nil_return)
    row.found = found
    row.note = str(note or "").strip()
    row.filed_at = timezone.now()
    row.save()
    audit.record(
        SCREENING,
        row,
        actor=actor,
        before=before,
        after={"unit": unit.path, "month": month, "nil_return": row.nil_return, "found": found},
    )
    return row


# ---------------------------------------------------------------------------------------------
# documents: every copy of personal data handed out is audited


AGREEMENT_PDF = audit.register("dispute_agreement_pdf", "printed a mediation agreement")
STATISTICS_EXPORT = audit.register("dispute_statistics_export", "exported the mediation statistics")


@dataclass(frozen=True)
class Organisations:
    """Who makes the mediation, as its documents name them: the people's mediation committee
    (people's and joint mediation), the police station (public-order and joint mediation)."""

    kind: str
    committee: str = ""
    station: str = ""

    def __str__(self):
        return "、".join(name for name in (self.committee, self.station) if name)


def station_name(path: str) -> str:
    """The station's name as a document gives it, with the bureaus above it:
    吴忠市公安局利通区分局金积派出所; 青铜峡市公安局小坝派出所."""
    parts = path.split("/")
    paths = ["/".join(parts[:n]) for n in (1, 2, 3)]
    units = {u.path: u.name for u in PoliceUnit.objects.filter(path__in=paths)}
    city, county, station = (units.get(p, "") for p in paths)
    if not station or (county and station.startswith(county)):
        return station
    if county.endswith("分局") and not county.startswith(city):
        county = city + county  # a branch bureau is named with its city's bureau
    return county + station


def organisations(dispute: Dispute) -> Organisations:
    return Organisations(
        kind=dispute.kind,
        committee=dispute.committee if rules.names_committee(dispute.kind) else "",
        station=station_name(station_path(dispute.scope_path)) if rules.names_station(dispute.kind) else "",
    )


def mediating_unit(dispute: Dispute) -> str:
    """The names of who mediated, for the verification page."""
    return str(organisations(dispute))


def agreement_document(dispute: Dispute, *, actor, base_url: str) -> bytes:
    """The agreement as a PDF for this reader: ID numbers as their role may see them."""
    from fengqiao.disputes.pdf import agreement_pdf
    from fengqiao.registry.selectors import may_reveal, shown_id_number, shown_phone

    if not dispute.is_visible_to(actor) and not may_work_on(actor, dispute):
        raise PermissionDenied
    agreement = _agreement_of(dispute)
    # The parties sign a paper that names them whole: whoever may reveal ID numbers prints them
    # whole, and this entry is the reveal's record; others print them masked.
    whole = may_reveal(actor, dispute)
    data = agreement_pdf(
        dispute,
        agreement,
        verify_url=base_url.rstrip("/") + verification_path(agreement),
        organisations=organisations(dispute),
        shown_id=(lambda value: value) if whole else (lambda value: shown_id_number(actor, value)),
        shown_phone=(lambda value: value) if whole else (lambda value: shown_phone(actor, value)),
    )
    audit.record(
        AGREEMENT_PDF,
        dispute,
        actor=actor,
        after={"serial": agreement.serial, "whole_id_numbers": whole},
        reason=_("printing the mediation agreement for signature") if whole else "",
    )
    return data


def signed_copy_for(dispute: Dispute, *, actor) -> Agreement:
    agreement = _agreement_of(dispute)
    if not agreement.signed_copy:
        raise ValidationError({"file": [_("No signed copy has been uploaded.")]})
    audit.record(audit.VIEW, dispute, actor=actor, after={"signed_copy": agreement.serial})
    return agreement


def export_statistics(statistics, *, actor, unit_name: str) -> bytes:
    from fengqiao.disputes.stats import monthly_table

    data = monthly_table(statistics, unit_name=unit_name)
    audit.record(
        STATISTICS_EXPORT,
        None,
        actor=actor,
        object_type="disputes.statistics",
        object_repr=unit_name[:200],
        after={"start": statistics.start, "end": statistics.end, "found": statistics.total.current.found},
    )
    return data


def verify_agreement(serial: str, check: str) -> Agreement | None:
    """The agreement a verification link names, if the link is genuine (no scope: it is public,
    and the page shows nothing personal)."""
    agreement = Agreement.objects.filter(serial=serial).select_related("dispute", "dispute__grid").first()
    if agreement is None or not hmac.compare_digest(verification_check(agreement), str(check)):
        return None
    return agreement


# ---------------------------------------------------------------------------------------------
# people who have left: their parties anonymised with them


def anonymise_parties(people: list, *, actor) -> dict:
    """Called by the registry's anonymisation of departed people (``registry.actions``, in its
    transaction): the parties that were those people, linked to the record or entered by their
    whole ID number, lose their name, ID number, phone and address; the dispute, its role and its
    figures stay. Returns the party ids for the run's audit entry."""
    from fengqiao.registry.actions import ANONYMOUS_NAME

    ids = [person.pk for person, _number in people]
    numbers = [number for _person, number in people if number]
    which = Q(person_id__in=ids) | Q(id_number__in=numbers) if numbers else Q(person_id__in=ids)
    parties = DisputeParty.objects.filter(which).exclude(name=ANONYMOUS_NAME)
    party_ids = sorted(parties.values_list("pk", flat=True))
    # ``update`` skips pre_save: the keyed hashes are emptied with the numbers they stood for.
    DisputeParty.objects.filter(pk__in=party_ids).update(
        name=ANONYMOUS_NAME, id_number="", id_number_hash="", phone="", phone_hash="", address=""
    )
    return {"dispute_parties": party_ids}
