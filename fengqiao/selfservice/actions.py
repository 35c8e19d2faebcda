"""Every change of self-service: one function per operation, in a transaction, with its
permission check and its audit entry."""

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit, casework, context, crypto, ratelimit
from fengqiao.core.notifications.actions import text_phone
from fengqiao.core.uploads import check_upload
from fengqiao.registry.validators import InvalidValue, parse_phone
from fengqiao.selfservice import conf, rules, selectors
from fengqiao.selfservice.choices import Channel, Status, Validity
from fengqiao.selfservice.models import Certificate, PhoneCode, Proof, Verification

APPLY = audit.register("certificate_apply", "applied for a no-criminal-record certificate", needs_actor=False)
READ = audit.register("certificate_read", "read a certificate application's personal data")
VERIFY = audit.register("certificate_verify", "verified a certificate", needs_actor=False)

CODE_LIFE = dt.timedelta(minutes=10)
CODE_TRIES = 5
CODES_PER_PHONE_PER_MINUTE = 1
DIGITS_TRIES_PER_MINUTE = 5
WRONG_DIGITS_COST = 5  # a wrong guess at a phone's last digits spends this much public budget


# ---------------------------------------------------------------------------------------------
# the phone's one-time code


def _code_hash(phone_hash: str, code: str) -> str:
    return crypto.index(f"{phone_hash}:{code}", "certificate_code")


def send_phone_code(raw_phone: str, *, scope_path: str = "") -> None:
    """Send a 6-digit code to the phone by SMS (the gateway closest to ``scope_path``); one a
    minute per phone. A ValidationError on ``phone`` for a bad number or too soon."""
    try:
        phone = parse_phone(raw_phone)
    except InvalidValue as exc:
        raise ValidationError({"phone": [_("Phone: %(reason)s.") % {"reason": exc.reason}]}) from None
    phone_hash = crypto.index(phone, "phone")
    if not ratelimit.hit(f"certificate-code:{phone_hash}", CODES_PER_PHONE_PER_MINUTE):
        raise ValidationError(
            {"phone": [_("A code was sent to this phone less than a minute ago: wait a moment.")]}
        )
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        PhoneCode.objects.filter(phone_hash=phone_hash, used=False).update(used=True)
        PhoneCode.objects.create(
            phone_hash=phone_hash,
            code_hash=_code_hash(phone_hash, code),
            created_at=now,
            expires_at=now + CODE_LIFE,
        )
        text_phone(
            phone,
            kind="certificate_code",
            title=_("Your code for the no-criminal-record certificate: %(code)s (valid 10 minutes)")
            % {"code": code},
            scope_path=scope_path,
        )


def check_phone_code(phone: str, code: str) -> int:
    """The id of the phone's latest code when ``code`` is it; a ValidationError on ``code`` when
    it is wrong, old or tried too often (a wrong try is counted, whatever the caller does next)."""
    phone_hash = crypto.index(phone, "phone")
    latest = (
        PhoneCode.objects.filter(phone_hash=phone_hash, used=False, expires_at__gt=timezone.now())
        .order_by("-created_at")
        .first()
    )
    wrong = ValidationError({"code": [_("The code is wrong or has expired: ask for a new one.")]})
    if latest is None or latest.tries >= CODE_TRIES:
        raise wrong
    if not hmac.compare_digest(latest.code_hash, _code_hash(phone_hash, (code or "").strip())):
        PhoneCode.objects.filter(pk=latest.pk).update(tries=F("tries") + 1)
        raise wrong
    return latest.pk


def _spend_code(code_id: int) -> None:
    """Inside the application's transaction: the code is used once, by one application."""
    if not PhoneCode.objects.filter(pk=code_id, used=False).update(used=True):
        raise ValidationError({"code": [_("The code is wrong or has expired: ask for a new one.")]})


# ---------------------------------------------------------------------------------------------
# applying


def apply(
    application: rules.Application,
    *,
    code: str,
    channel: str = Channel.PORTAL,
    kiosk=None,
    proof=None,
    actor=None,
    at: dt.datetime | None = None,
) -> Certificate:
    """Take in an application, all or nothing: its fields checked by the rules, the phone by its
    one-time code, a proof of purpose where the person has applied too often this year (checked
    and re-encoded). The station hears of it; the applicant follows it by its number."""
    now = at or timezone.now()
    values = rules.clean_application(application, today=timezone.localdate(now))
    if channel not in Channel.values:
        raise ValidationError({"channel": [_("Unknown channel.")]})
    code_id = check_phone_code(values["phone"], code)
    checked = None
    if proof is not None:
        checked = check_upload(proof)
    elif rules.proof_needed(values["id_number"], year=timezone.localdate(now).year):
        raise ValidationError(
            {
                "proof": [
                    _(
                        "You have applied %(n)d times this year: a proof of purpose is needed "
                        "(e.g. the employer's letter)."
                    )
                    % {"n": conf.free_per_year()}
                ]
            }
        )
    station = application.station
    certificate = Certificate(
        station=station,
        scope_path=station.path,
        holder_path=station.path,
        channel=channel,
        kiosk=kiosk,
        applicant_name=values["name"],
        id_number=values["id_number"],
        phone=values["phone"],
        purpose=values["purpose"],
        purpose_detail=values["purpose_detail"],
        employer=application.employer,
    )
    with transaction.atomic():
        _spend_code(code_id)

        def record(case):
            audit.record(
                APPLY,
                case,
                actor=actor,
                after={
                    "channel": channel,
                    "purpose": case.purpose,
                    "station": station.path,
                    "proof": bool(checked),
                },
            )

        casework.open_case(certificate, actor=actor, county=station.path.split("/")[1], at=now, record=record)
        if checked is not None:
            proof = Proof(
                certificate=certificate, content_type=checked.content_type, extension=checked.extension
            )
            proof.file.save(checked.file.name, checked.file, save=True)
        text_phone(
            certificate.phone,
            kind="certificate_applied",
            title=_("Your no-criminal-record certificate application number: %(number)s")
            % {"number": certificate.number},
            link="/certificates/track/",
            scope_path=certificate.scope_path,
        )
    return certificate


# ---------------------------------------------------------------------------------------------
# the applicant, by number and phone digits


def find_for_applicant(number: str, phone_digits: str) -> Certificate | None:
    """The application with this number whose phone ends with these 4 digits; None otherwise
    (the same answer for a wrong number and wrong digits). Guessing is slowed by the rate limit."""
    number, digits = (number or "").strip().upper(), (phone_digits or "").strip()
    certificate = selectors.by_number(number) if number else None
    if certificate is not None and not ratelimit.hit(
        f"certificate-digits:{certificate.pk}", DIGITS_TRIES_PER_MINUTE
    ):
        return None
    if certificate is None or len(digits) != 4 or not certificate.phone.endswith(digits):
        ctx = context.current()
        ratelimit.charge_public(ctx.ip if ctx is not None else None, WRONG_DIGITS_COST)
        return None
    return certificate


def request_review(certificate: Certificate, *, note: str, at: dt.datetime | None = None) -> Certificate:
    """The applicant asks for a review (复查) of a refusal: it goes to the level above."""
    return casework.apply(certificate, "request_review", actor=None, version=None, note=note, at=at)


# ---------------------------------------------------------------------------------------------
# staff


def move(
    certificate: Certificate,
    name: str,
    *,
    actor,
    version: int | None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Certificate:
    """A step of the workflow, through the kernel (permission, audit, deadline, SMS)."""
    return casework.apply(certificate, name, actor=actor, version=version, note=note, at=at)


def record_read(certificate: Certificate, *, actor, purpose: str, whole: bool) -> None:
    """A staff member saw an applicant's personal data (whole or masked), with the purpose."""
    audit.record(READ, certificate, actor=actor, after={"purpose": purpose, "whole_numbers": whole})


# ---------------------------------------------------------------------------------------------
# verification


@dataclass
class Answer:
    validity: str
    certificate: Certificate | None


def verify(serial: str, *, ip: str | None = None, today: dt.date | None = None) -> Answer | None:
    """What the verification page says of a serial: None (no such certificate), or its validity
    with the certificate; past the verification limit, only that. Each answer is logged."""
    certificate = selectors.by_serial((serial or "").strip().upper())
    if certificate is None or certificate.status not in (Status.ISSUED, Status.REVOKED):
        return None
    if certificate.verified >= conf.max_verifications():
        answer = Validity.LIMIT
    else:
        answer = certificate.validity(today)
    with transaction.atomic():
        Verification.objects.create(certificate=certificate, ip=ip, answer=answer)
        audit.record(VERIFY, certificate, after={"answer": answer})
    return Answer(answer, certificate)


def may_decide(user) -> bool:
    return selectors.may_work_on_certificates(user)


def require_decider(user) -> None:
    if not may_decide(user):
        raise PermissionDenied(_("Only police stations and the bureaus above decide certificates."))
