"""Self-service in the demo city (issue 19 §6): the smart police offices (97 police offices and
107 workstations at scale 1.0), each with a kiosk, under the police districts; a register of
court judgements naming a few demo people (most final, some under appeal); and a year of
no-criminal-record certificates applied for on the portal and at the kiosks, issued, refused
(where a final judgement is on record), reviewed, revoked and verified. The certificates go
through the certificate workflow itself (``selfservice.workflow``), so the pages, inboxes and
figures read them as real work; only the SMS code of the application is left out (a generator
is no door). Deterministic for a seed and a day."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import User
from fengqiao.core import casework
from fengqiao.core.models import CaseCounter, TimelineEntry
from fengqiao.demo.city import seeded
from fengqiao.geo.choices import UnitKind
from fengqiao.geo.models import PoliceUnit
from fengqiao.registry.models import Person
from fengqiao.selfservice import actions, bookings
from fengqiao.selfservice.choices import Channel, OfficeKind, Purpose, Service, Validity
from fengqiao.selfservice.models import Booking, Certificate, CriminalRecord, Kiosk, Office, Verification

UNSCOPED = "demo: the generator fills and clears self-service"
OFFICES, WORKSTATIONS = 97, 107  # the seed city at scale 1.0
CERTIFICATES = 3_000  # a year's applications at scale 1.0
DAYS = 365
WITH_RECORD, UNDER_APPEAL = 0.04, 0.02  # of the applicants: a final judgement, one not final yet
REVIEWED, REVOKED, VERIFIED = 0.4, 0.02, 0.5
OFFENCES = ("盗窃罪", "诈骗罪", "危险驾驶罪", "故意伤害罪", "寻衅滋事罪")
PURPOSES = [Purpose.EMPLOYMENT] * 6 + [Purpose.ABROAD] * 2 + [Purpose.STUDY, Purpose.LICENCE, Purpose.OTHER]


def _share(total: int, scale: float, floor: int = 1) -> int:
    return max(floor, round(total * scale))


def _first_posted(path: str) -> User | None:
    people = User.list_posted_at(path)
    return people[0] if people else None


def _offices(rng, scale: float) -> list[Kiosk]:
    districts = list(
        PoliceUnit.objects.filter(kind=UnitKind.DISTRICT).select_related("parent").order_by("path")
    )
    kiosks = []
    for kind, total, word in (
        (OfficeKind.OFFICE, OFFICES, "警务室"),
        (OfficeKind.WORKSTATION, WORKSTATIONS, "警务工作站"),
    ):
        for n in range(_share(total, scale)):
            district = districts[(n * 7 + (kind == OfficeKind.WORKSTATION)) % len(districts)]
            prefix = "JWS" if kind == OfficeKind.OFFICE else "JWZ"
            office = Office.objects.create(
                kind=kind,
                code=f"{prefix}{n + 1:04d}",
                name=f"{district.name}{word}"
                if n < len(districts)
                else f"{district.name}第{n // len(districts) + 1}{word}",
                unit=district,
                address=f"{district.parent.name}辖区",
            )
            kiosks.append(Kiosk.objects.create(office=office, code=f"K{prefix[2]}{n + 1:04d}"))
    return kiosks


def _record(rng, person, *, final: bool, n: int, scope_path: str) -> CriminalRecord:
    judged = dt.date(2018 + n % 6, 1 + n % 12, 1 + n % 27)
    return CriminalRecord(
        judgement_number=f"（{judged.year}）宁03{n % 10:02d}刑初{100 + n}号",
        name=person.name,
        id_number=person.id_number,
        court="吴忠市利通区人民法院" if n % 2 else "青铜峡市人民法院",
        offence=OFFENCES[n % len(OFFENCES)],
        judged_on=judged,
        final=final,
        scope_path=scope_path,
    )


def generate(*, actor, scale: float, seed: int, now: dt.datetime | None = None) -> dict[str, int] | None:
    """Offices, kiosks, judgements and a year of certificates; None when there are offices already."""
    if Office.objects.unscoped(reason=UNSCOPED).exists():
        return None
    now = now or timezone.now()
    rng = seeded(seed, "selfservice")
    with transaction.atomic():
        kiosks = _offices(rng, scale)
    n = _share(CERTIFICATES, scale, floor=12)
    people = list(
        Person.objects.unscoped(reason=UNSCOPED)
        .exclude(id_number="")
        .exclude(phone="")
        .only("name", "id_number", "phone", "scope_path")
        .order_by("pk")[: n * 3]
    )
    if not people:
        return {_("police offices and workstations"): len(kiosks), _("certificates"): 0}
    rng.shuffle(people)
    applicants = people[:n]
    city = PoliceUnit.objects.filter(kind=UnitKind.CITY).order_by("path").first()
    flagged = {}
    records = []
    for i, person in enumerate(applicants):
        roll = rng.random()
        # a few demo people on record at any scale: the first final, the second under appeal
        if i < 2 or roll < WITH_RECORD + UNDER_APPEAL:
            final = i == 0 or (i > 1 and roll < WITH_RECORD)
            flagged[person.pk] = final
            records.append(_record(rng, person, final=final, n=i, scope_path=city.path if city else "640300"))
    CriminalRecord.objects.bulk_create(records)
    stations = {u.path: u for u in PoliceUnit.objects.filter(kind=UnitKind.STATION)}
    counts = {"applied": 0, "issued": 0, "refused": 0, "revoked": 0, "verified": 0}
    verifications = []
    for person in applicants:
        station = stations.get("/".join(person.scope_path.split("/")[:3]))
        if station is None:
            continue
        at = now - dt.timedelta(days=rng.uniform(1, DAYS), hours=rng.uniform(0, 8))
        kiosk = rng.choice(kiosks) if rng.random() < 0.35 else None
        certificate = Certificate(
            station=station,
            scope_path=station.path,
            holder_path=station.path,
            channel=Channel.KIOSK if kiosk else Channel.PORTAL,
            kiosk=kiosk,
            applicant_name=person.name,
            id_number=person.id_number,
            phone=person.phone,
            purpose=rng.choice(PURPOSES),
            purpose_detail="办理签证" if rng.random() < 0.1 else "",
        )
        with transaction.atomic():
            casework.open_case(certificate, actor=None, county=station.path.split("/")[1], at=at, quiet=True)
            counts["applied"] += 1
            decider = _first_posted(station.path) or actor
            decided = at + dt.timedelta(hours=rng.uniform(2, 40))
            if decided >= now:
                continue
            if flagged.get(person.pk):
                certificate = actions.move(
                    certificate,
                    "refuse",
                    actor=decider,
                    version=certificate.version,
                    note="查询到生效判决记录",
                    at=decided,
                )
                counts["refused"] += 1
                asked = decided + dt.timedelta(days=rng.uniform(1, 10))
                if rng.random() < REVIEWED and asked < now:
                    certificate = actions.request_review(
                        certificate, note="对查询结果有异议，申请复查", at=asked
                    )
                    reviewer = _first_posted(certificate.holder_path) or actor
                    upheld = asked + dt.timedelta(days=rng.uniform(0.5, 3))
                    if upheld < now:
                        actions.move(
                            certificate,
                            "uphold",
                            actor=reviewer,
                            version=certificate.version,
                            note="经复查，判决已生效",
                            at=upheld,
                        )
                continue
            certificate = actions.move(
                certificate, "issue", actor=decider, version=certificate.version, at=decided
            )
            counts["issued"] += 1
            if rng.random() < VERIFIED:
                counts["verified"] += 1
                for _k in range(rng.randint(1, 3)):
                    seen = decided + dt.timedelta(days=rng.uniform(0, 30))
                    if seen < now:
                        answer = (
                            Validity.VALID
                            if timezone.localdate(seen) <= certificate.valid_until
                            else Validity.EXPIRED
                        )
                        verifications.append(Verification(certificate=certificate, at=seen, answer=answer))
            if rng.random() < REVOKED:
                revoked = decided + dt.timedelta(days=rng.uniform(1, 20))
                if revoked < now:
                    actions.move(
                        certificate,
                        "revoke",
                        actor=decider,
                        version=certificate.version,
                        note="发现申请材料虚假",
                        at=revoked,
                    )
                    counts["revoked"] += 1
    Verification.objects.bulk_create(verifications)
    made = _bookings(rng, kiosks, people, now)
    return {
        _("police offices and workstations"): len(kiosks),
        _("court judgements"): len(records),
        _("certificates applied for"): counts["applied"],
        _("certificates issued"): counts["issued"],
        _("certificates refused"): counts["refused"],
        _("certificates revoked"): counts["revoked"],
        _("certificates verified"): counts["verified"],
        _("bookings"): made,
    }


def _bookings(rng, kiosks, people, now) -> int:
    """The coming working days' bookings at each office: a few residents per day."""
    rows = []
    today = timezone.localdate(now)
    for n, kiosk in enumerate(kiosks):
        for d in range(1, bookings.DAYS_AHEAD + 1):
            starts = bookings.slots(today + dt.timedelta(days=d))
            for k, at in enumerate(rng.sample(starts, min(len(starts), rng.randint(1, 4)))):
                person = people[(n * 31 + d * 7 + k) % len(people)]
                rows.append(
                    Booking(
                        office=kiosk.office,
                        scope_path=kiosk.office.scope_path,
                        service=rng.choice(Service.values),
                        starts_at=at,
                        code=f"D{n:03d}{d:02d}{k:02d}"[:12],
                        name=person.name,
                        phone=person.phone,
                        channel=Channel.KIOSK if k % 2 else Channel.PORTAL,
                    )
                )
    Booking.objects.bulk_create(rows)
    return len(rows)


def clear() -> None:
    """Remove everything self-service holds (before the city it refers to is generated again)."""
    certificates = Certificate.objects.unscoped(reason=UNSCOPED)
    ids = list(certificates.values_list("pk", flat=True))
    with transaction.atomic():
        TimelineEntry.objects.filter(case_type="certificate", case_id__in=ids).delete()
        Verification.objects.filter(certificate_id__in=ids).delete()
        Booking.objects.unscoped(reason=UNSCOPED).delete()
        certificates.delete()
        CaseCounter.objects.filter(prefix="C").delete()
        CriminalRecord.objects.unscoped(reason=UNSCOPED).delete()
        Kiosk.objects.unscoped(reason=UNSCOPED).delete()
        Office.objects.unscoped(reason=UNSCOPED).delete()
