"""The rules of a certificate application, written once: the forms, the API and the kiosk call
them through :func:`fengqiao.selfservice.actions.apply`."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import crypto
from fengqiao.geo.choices import UnitKind
from fengqiao.registry.validators import InvalidValue, parse_id_number, parse_phone
from fengqiao.selfservice import conf
from fengqiao.selfservice.choices import Purpose

NAME_MAX = 64


@dataclass
class Application:
    """What an applicant gives: who they are, how to reach them, what for, and where."""

    name: str
    id_number: str
    phone: str
    purpose: str
    station: object  # the PoliceUnit (a station) that decides
    purpose_detail: str = ""
    employer: object = None  # an EmployerAuthorisation, for an employer's query
    post: str = ""


def clean_application(a: Application, *, today: dt.date | None = None) -> dict:
    """The application's values made canonical; a ValidationError naming each field at fault."""
    errors: dict[str, list] = {}
    name = (a.name or "").strip()
    if not name:
        errors["name"] = [_("Give your name as on your ID card.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("A name is at most 64 characters.")]
    values = {"name": name}
    try:
        values["id_number"] = parse_id_number(a.id_number, today=today).number
    except InvalidValue as exc:
        errors["id_number"] = [_("ID number: %(reason)s.") % {"reason": exc.reason}]
    try:
        values["phone"] = parse_phone(a.phone)
    except InvalidValue as exc:
        errors["phone"] = [_("Phone: %(reason)s.") % {"reason": exc.reason}]
    if a.purpose not in Purpose.values:
        errors["purpose"] = [_("Choose what the certificate is for.")]
    detail = (a.purpose_detail or "").strip()
    if a.purpose == Purpose.OTHER and not detail:
        errors["purpose_detail"] = [_("Say what the certificate is for.")]
    if len(detail) > 200:
        errors["purpose_detail"] = [_("At most 200 characters.")]
    if a.station is None or a.station.kind != UnitKind.STATION:
        errors["station"] = [_("Choose the police station that is to issue the certificate.")]
    if a.employer is not None:
        errors.update(employer_errors(a.employer, a.post, a.station, today=today))
    if errors:
        raise ValidationError(errors)
    return values | {"purpose": a.purpose, "purpose_detail": detail}


def employer_errors(authorisation, post: str, station, *, today: dt.date | None = None) -> dict:
    """An employer may query only staff in the post the station authorised it for, while the
    authorisation holds, at that station."""
    today = today or timezone.localdate()
    if station is None or authorisation.station_id != station.pk:
        return {"employer": [_("The employer is authorised at another police station.")]}
    if authorisation.valid_until < today:
        return {
            "employer": [
                _("The employer's authorisation ran out on %(day)s.") % {"day": authorisation.valid_until}
            ]
        }
    if (post or "").strip() != authorisation.post:
        return {
            "post": [
                _(
                    "The employer may query only staff in the post “%(post)s”, "
                    "which the law bars people with records from."
                )
                % {"post": authorisation.post}
            ]
        }
    return {}


def proof_needed(id_number: str, *, year: int, earlier: int | None = None) -> bool:
    """More than ``free_per_year`` applications in a calendar year need a proof of purpose:
    whether the next one by this person does. ``earlier``: their applications this year so far
    (counted by the caller when given)."""
    if earlier is None:
        from fengqiao.selfservice.selectors import applications_in_year

        earlier = applications_in_year(crypto.index(id_number, "id_number"), year)
    return earlier >= conf.free_per_year()


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``: the family name alone, as a verifier sees the holder."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""
