"""Every change to the registry: record (create or update), retire, relate, tag, reveal.

Each action runs in one transaction, takes the acting user as keyword-only ``actor``, checks the
rules of :mod:`fengqiao.registry.selectors`, validates its input naming the field at fault
(``ValidationError({"id_number": [...]})``), writes one history row per record it changes and
exactly one audit entry, and finally checks that what it wrote is still in the actor's scope
(``ensure_still_visible``), rolling everything back otherwise.

``data`` dicts use the model's field names; foreign keys may be given as objects or primary keys
(a grid also by its code). An update changes only the keys present in ``data``.

Decisions the DOMAIN leaves open, made here:

- A floating resident needs a reason for coming or a residence permit; a permit number and its
  expiry date go together.
- An overseas person needs nationality, document type and document number; they may lack a
  citizen ID number (it is then empty), and then their sex must be given.
- A person's grid is their current address's grid; a person without an address needs an explicit
  grid. Relations live in the grid of their house or organisation, care tags in their person's.
- A renting relation needs its move-in date (the 3-working-day reporting rule counts from it) and
  marks the house as rented.
- Retiring a person ends their current relations; retiring a house or an organisation ends the
  relations to it; an address in use by a house, an organisation or a resident cannot be retired.
"""

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core import audit
from fengqiao.core.roles import Role
from fengqiao.core.scoping import OutOfScope, ensure_still_visible
from fengqiao.geo import locator
from fengqiao.geo.models import Grid
from fengqiao.registry import access, history, rules
from fengqiao.registry.choices import (
    AddressElement,
    AddressStatus,
    CareTagKind,
    HistoryAction,
    HouseOwnership,
    HouseUse,
    OrganisationType,
    ResidenceType,
    RevealField,
    SpecialTrade,
)
from fengqiao.registry.models import (
    Address,
    CareTag,
    Employment,
    House,
    Organisation,
    Person,
    Residence,
    ResidentLink,
)
from fengqiao.registry.selectors import (
    REVEALABLE,
    may_collect,
    may_reveal,
    may_standardise_addresses,
    may_view_care_tags,
)
from fengqiao.registry.validators import (
    InvalidValue,
    parse_credit_code,
    parse_id_number,
    parse_phone,
)

UNSCOPED_UPKEEP = "registry: keeping derived state of records the actor changed"
UNSCOPED_UNIQUE = "registry: uniqueness is territory-wide"

ADDRESS_FIELDS = (
    "code",
    "element_type",
    "community",
    "street",
    "compound",
    "door_plate",
    "building",
    "unit",
    "room",
    "grid",
    "lon",
    "lat",
    "in_use",
    "collected_at",
)
PERSON_FIELDS = (
    "id_number",
    "name",
    "former_name",
    "sex",
    "ethnicity",
    "birth_date",
    "native_place",
    "marital_status",
    "education",
    "occupation",
    "workplace",
    "phone",
    "hukou_address",
    "current_address",
    "grid",
    "resident_type",
    "reason_for_coming",
    "residence_permit_number",
    "residence_permit_expires",
    "registered_on",
    "nationality",
    "document_type",
    "document_number",
    "entry_date",
    "planned_exit_date",
    "collected_at",
)
HOUSE_FIELDS = (
    "address",
    "use",
    "ownership",
    "owner",
    "area_m2",
    "rooms",
    "is_rented",
    "landlord",
    "collected_at",
)
ORGANISATION_FIELDS = (
    "credit_code",
    "name",
    "org_type",
    "legal_representative",
    "legal_representative_id",
    "address",
    "grid",
    "industry",
    "special_trades",
    *(t.value for t in SpecialTrade),
    "phone",
    "collected_at",
)
RESIDENCE_FIELDS = ("person", "house", "kind", "start_date", "end_date", "registered_on", "note")
EMPLOYMENT_FIELDS = ("person", "organisation", "role", "start_date", "end_date")


# ---------------------------------------------------------------------------------------------
# helpers


def _require_collector(actor) -> None:
    if not may_collect(actor):
        raise PermissionDenied(_("You may not change the registry."))


def _require_in_scope(actor, record) -> None:
    if not record.is_visible_to(actor):
        raise OutOfScope(f"{record._meta.verbose_name} {record.pk} is outside your scope")


def _check_keys(data: dict, allowed) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("unknown field")] for name in unknown})


def _pk(value):
    return getattr(value, "pk", value)


def _visible_ref(model, value, actor, *, allow_retired: bool = False):
    """A referenced record the actor can see (missing and out of scope read alike)."""
    qs = model.objects.visible_to(actor).filter(pk=_pk(value))
    if not allow_retired:
        qs = qs.filter(retired_at__isnull=True)
    obj = qs.first()
    if obj is None:
        raise InvalidValue(_("no such %(what)s in your area") % {"what": model._meta.verbose_name}, "unknown")
    return obj


def _grid(value) -> Grid:
    """A grid by object, primary key or code. Whether it is the actor's is checked after the write."""
    if isinstance(value, Grid):
        return value
    qs = Grid.objects.unscoped(reason="registry: resolving a grid reference; scope checked after the write")
    text = rules.text(value)
    grid = qs.filter(code=text).first() if len(text) >= 14 else None
    if grid is None and text.isascii() and text.isdigit():
        grid = qs.filter(pk=int(text)).first()
    if grid is None or not grid.is_active:
        raise InvalidValue(_("no such grid"), "unknown")
    return grid


def _full_clean(obj, errors: rules.Errors) -> None:
    obj.refresh_derived()
    try:
        obj.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            for message in messages:
                if message not in errors.get(name, []):
                    errors.add(name, message)
    errors.raise_if_any()


def _locked(model, record):
    return model.objects.unscoped(reason=UNSCOPED_UPKEEP).select_for_update().get(pk=record.pk)


def _save_with_history(obj, before: dict | None, *, actor, reason: str = "") -> tuple[dict, dict]:
    """Save, write the history row, write the one audit entry (ID numbers and phones masked).
    Returns the changed fields (before, after)."""
    creating = before is None
    obj.save()
    after = history.snapshot(obj)
    row = history.record_change(
        obj,
        action=HistoryAction.CREATE if creating else HistoryAction.UPDATE,
        before=before,
        after=after,
        actor=actor,
        reason=reason,
    )
    old, new = (row.before, row.after) if row is not None else ({}, {})
    if creating or row is not None:
        audit.record(
            audit.CREATE if creating else audit.UPDATE,
            obj,
            actor=actor,
            before=history.audited(obj, old) or None,
            after=history.audited(obj, new),
            reason=reason,
            object_repr=str(obj),
        )
    ensure_still_visible(actor, obj)
    return old, new


def _retire(obj, *, actor, reason: str, **changes) -> None:
    reason = rules.text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why the record is retired.")]})
    before = history.snapshot(obj)
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.retired_at = timezone.now()
    if isinstance(obj, Address):
        obj.in_use = False
    obj.save()
    history.record_change(
        obj,
        action=HistoryAction.RETIRE,
        before=before,
        after=history.snapshot(obj),
        actor=actor,
        reason=reason,
    )
    audit.record(audit.RETIRE, obj, actor=actor, reason=reason, object_repr=str(obj))
    ensure_still_visible(actor, obj)


def _end_relations(qs, *, actor, end: dt.date, reason: str) -> set[int]:
    """End the current relations of a queryset (history rows, no audit of their own); returns
    the houses whose occupants changed."""
    rows, houses = [], set()
    for relation in qs.filter(end_date__isnull=True).select_for_update():
        before = history.snapshot(relation)
        relation.end_date = max(end, relation.start_date) if relation.start_date else end
        relation.save(update_fields=["end_date", "updated_at"])
        old, new = history.changes(before, history.snapshot(relation))
        rows.append(
            history.history_row(
                relation, action=HistoryAction.UPDATE, before=old, after=new, actor=actor, reason=reason
            )
        )
        if isinstance(relation, Residence):
            houses.add(relation.house_id)
    history.write_history(rows)
    return houses


def refresh_occupant_counts(house_ids) -> None:
    """Set each house's occupant count to its number of current relations. For actions and the
    bulk importer, inside their transaction."""
    house_ids = list(house_ids)
    current = (
        Residence.objects.unscoped(reason=UNSCOPED_UPKEEP)
        .filter(house=OuterRef("pk"), end_date__isnull=True)
        .order_by()
        .values("house")
        .annotate(n=Count("pk"))
        .values("n")
    )
    houses = House.objects.unscoped(reason=UNSCOPED_UPKEEP)
    for i in range(0, len(house_ids), 900):
        houses.filter(pk__in=house_ids[i : i + 900]).update(occupant_count=Coalesce(Subquery(current), 0))


def _follow(record) -> None:
    """Move what hangs under a record into the record's grid (relations, tags)."""
    fields = {"grid_id": record.grid_id, "scope_path": record.scope_path}
    if isinstance(record, Person):
        CareTag.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(person=record).update(**fields)
    elif isinstance(record, House):
        Residence.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(house=record).update(**fields)
    elif isinstance(record, Organisation):
        Employment.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(organisation=record).update(**fields)


def _move_to_address_grid(address: Address, *, actor) -> None:
    """After an address moved to another grid: its house, organisations and residents follow."""
    rows = []
    for model, link in ((House, "address"), (Organisation, "address"), (Person, "current_address")):
        for record in (
            model.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(**{link: address}).select_for_update()
        ):
            if record.grid_id == address.grid_id:
                continue
            old = {"grid_id": record.grid_id}
            record.grid = address.grid
            record.save()
            rows.append(
                history.history_row(
                    record,
                    action=HistoryAction.UPDATE,
                    before=old,
                    after={"grid_id": record.grid_id},
                    actor=actor,
                )
            )
            _follow(record)
    history.write_history(rows)


# ---------------------------------------------------------------------------------------------
# addresses


@transaction.atomic
def record_address(*, actor, data: dict, address: Address | None = None) -> Address:
    """Create or update a standard address. Its grid is given (``grid``) or found from its point
    (``lon``/``lat``) by the locator; its community is its grid's; its code is generated from the
    grid code when not given; its element type follows the most detailed part given."""
    _require_collector(actor)
    _check_keys(data, ADDRESS_FIELDS)
    errors = rules.Errors()
    if address is not None:
        _require_in_scope(actor, address)
        address = _locked(Address, address)
        if address.retired_at:
            raise ValidationError(_("A retired address cannot be changed."))
        before = history.snapshot(address)
        old_grid = address.grid_id
    else:
        address = Address()
        before, old_grid = None, None
    converters = {
        "grid": _grid,
        "community": lambda v: v,
        "element_type": lambda v: rules.choice(v, AddressElement),
        "lon": lambda v: None if v in (None, "") else float(v),
        "lat": lambda v: None if v in (None, "") else float(v),
        "in_use": bool,
    }
    rules.clean_fields(address, {k: v for k, v in data.items() if k != "community"}, converters, errors)
    if address.lon is not None and address.lat is not None:
        try:
            address.lon, address.lat = locator.check_lon_lat(address.lon, address.lat)
        except ValueError as exc:
            errors.add("lon", exc)
        if "grid" not in data and not errors and (address.pk is None or {"lon", "lat"} & set(data)):
            try:
                address.grid = locator.locate(address.lon, address.lat)
            except locator.OutsideTerritory as exc:
                errors.add("lon", exc)
    elif (address.lon is None) != (address.lat is None):
        errors.add("lat" if address.lat is None else "lon", _("A point needs both coordinates."))
    if not address.grid_id and "grid" not in errors and "lon" not in errors:
        errors.add("grid", _("Give the grid, or a point inside it."))
    if address.grid_id:
        community = data.get("community")
        if community not in (None, "") and _pk(community) != address.grid.community_id:
            errors.add(
                "community", _("The address's grid lies in %(name)s.") % {"name": address.grid.community}
            )
        address.community = address.grid.community
    if not (address.street or address.compound):
        errors.add("street", _("Give the street (or lane, or village group) or the compound."))
    if "element_type" not in data:
        address.element_type = rules.element_type(address)
    if not address.code and address.grid_id and not errors:
        address.code = rules.next_address_code(address.grid)
    if address.pk is None and not address.collected_by_id:
        address.collected_by = actor
    errors.raise_if_any()
    _full_clean(address, errors)
    _save_with_history(address, before, actor=actor)
    if old_grid is not None and old_grid != address.grid_id:
        _move_to_address_grid(address, actor=actor)
    return address


@transaction.atomic
def retire_address(address: Address, *, actor, reason: str) -> Address:
    """Retire an address no house, organisation or resident uses any more."""
    _require_collector(actor)
    _require_in_scope(actor, address)
    address = _locked(Address, address)
    if address.retired_at:
        return address
    active = lambda model, **kw: model.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(  # noqa: E731
        retired_at__isnull=True, **kw
    )
    if (
        active(House, address=address).exists()
        or active(Organisation, address=address).exists()
        or active(Person, current_address=address).exists()
    ):
        raise ValidationError(
            {
                "address": [
                    _("The address is still in use: retire its house and move its residents and units first.")
                ]
            }
        )
    _retire(address, actor=actor, reason=reason)
    return address


# ---------------------------------------------------------------------------------------------
# people


def _person_converters(actor):
    return {
        **rules.PERSON_CONVERTERS,
        "current_address": lambda v: None if v in (None, "") else _visible_ref(Address, v, actor),
        "grid": lambda v: None if v in (None, "") else _grid(v),
    }


def _place_person(person: Person, data: dict, errors: rules.Errors) -> None:
    """A person's grid is their current address's; without an address it must be given."""
    if "current_address" in errors or "grid" in errors:
        return
    if person.current_address_id:
        explicit = data.get("grid")
        if explicit not in (None, "") and person.grid_id != person.current_address.grid_id:
            errors.add("grid", _("A person lives in their current address's grid."))
        person.grid = person.current_address.grid
    elif not person.grid_id:
        errors.add("grid", _("A person without a current address needs a grid."))


def _count_number_clash(actor, person: Person, before: dict | None) -> None:
    """ "Already recorded" answers whether a whole ID number exists, anywhere: for a role that sees
    masked numbers that answer is an exact look-up, counted and limited like one (registry.access)."""
    if not person.id_number or (before is not None and before.get("id_number") == person.id_number):
        return
    taken = (
        Person.objects.unscoped(reason=UNSCOPED_UNIQUE)
        .filter(id_number=person.id_number)
        .exclude(pk=person.pk)
        .exists()
    )
    if taken:
        access.exact_lookup(actor)


@transaction.atomic
def record_person(*, actor, data: dict, person: Person | None = None) -> Person:
    """Create (``person`` None) or update a person from ``data`` (field → value), validating the
    ID number, its agreement with sex and birth date, the resident-type rules and the placement."""
    _require_collector(actor)
    _check_keys(data, PERSON_FIELDS)
    if person is not None:
        _require_in_scope(actor, person)
        person = _locked(Person, person)
        if person.retired_at:
            raise ValidationError(_("A retired person cannot be changed."))
        before = history.snapshot(person)
    else:
        person = Person()
        before = None
    errors = rules.Errors()
    rules.clean_fields(person, data, _person_converters(actor), errors)
    rules.check_person(person, data, errors)
    _place_person(person, data, errors)
    if before is None and not person.collected_by_id:
        person.collected_by = actor
    errors.raise_if_any()
    _count_number_clash(actor, person, before)
    _full_clean(person, errors)
    old_grid = before["grid_id"] if before else None
    _save_with_history(person, before, actor=actor)
    if old_grid is not None and old_grid != person.grid_id:
        _follow(person)
    return person


@transaction.atomic
def retire_person(person: Person, *, actor, reason: str) -> Person:
    """Retire a person (moved away, deceased, duplicate …); their current relations end today."""
    _require_collector(actor)
    _require_in_scope(actor, person)
    person = _locked(Person, person)
    if person.retired_at:
        return person
    _retire(person, actor=actor, reason=reason)
    unscoped = Residence.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(person=person)
    houses = _end_relations(unscoped, actor=actor, end=timezone.localdate(), reason=reason)
    _end_relations(
        Employment.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(person=person),
        actor=actor,
        end=timezone.localdate(),
        reason=reason,
    )
    refresh_occupant_counts(houses)
    return person


@transaction.atomic
def reveal_person_field(person: Person, field: str, *, actor, reason: str) -> str:
    """The whole ID number or phone of a person, for a stated reason; audited as ``reveal``.
    Community officers and above, within their scope; grid workers see masked numbers only."""
    if not person.is_visible_to(actor):
        raise OutOfScope(f"person {person.pk} is outside your scope")
    if not may_reveal(actor, person):
        raise PermissionDenied(_("Your role sees personal numbers masked only."))
    if field not in REVEALABLE:
        raise ValidationError({"field": [_("Only the ID number or the phone can be revealed.")]})
    reason = rules.text(reason)
    if not reason:
        raise ValidationError({"reason": [_("Say why you need to see the whole number.")]})
    value = getattr(person, field) or ""
    audit.record(
        audit.REVEAL,
        person,
        actor=actor,
        reason=reason,
        after={"field": field, "label": str(RevealField(field).label)},
        object_repr=str(person),
    )
    return value


# ---------------------------------------------------------------------------------------------
# houses


@transaction.atomic
def record_house(*, actor, data: dict, house: House | None = None) -> House:
    """Create or update a house at a standard address (one house per address); it lies in the
    address's grid."""
    _require_collector(actor)
    _check_keys(data, HOUSE_FIELDS)
    if house is not None:
        _require_in_scope(actor, house)
        house = _locked(House, house)
        if house.retired_at:
            raise ValidationError(_("A retired house cannot be changed."))
        before = history.snapshot(house)
    else:
        house = House()
        before = None
    errors = rules.Errors()
    person = lambda v: None if v in (None, "") else _visible_ref(Person, v, actor)  # noqa: E731
    converters = {
        "address": lambda v: _visible_ref(Address, v, actor),
        "use": lambda v: rules.choice(v, HouseUse),
        "ownership": lambda v: rules.choice(v, HouseOwnership) if rules.text(v) else "",
        "owner": person,
        "landlord": person,
        "area_m2": rules.area,
        "rooms": rules.rooms,
        "is_rented": bool,
    }
    rules.clean_fields(house, data, converters, errors)
    if not house.address_id:
        if "address" not in errors:
            errors.add("address", _("A house needs its standard address."))
    else:
        taken = (
            House.objects.unscoped(reason=UNSCOPED_UNIQUE)
            .filter(address_id=house.address_id)
            .exclude(pk=house.pk)
        )
        if taken.exists():
            errors.add("address", _("This address already has a house."))
        house.grid = house.address.grid
    if house.landlord_id and not house.is_rented and "is_rented" not in data:
        house.is_rented = True
    if before is None and not house.collected_by_id:
        house.collected_by = actor
    errors.raise_if_any()
    _full_clean(house, errors)
    _save_with_history(house, before, actor=actor)
    if before is not None and before["grid_id"] != house.grid_id:
        _follow(house)
    return house


@transaction.atomic
def retire_house(house: House, *, actor, reason: str) -> House:
    """Retire a house (demolished, merged …); the relations to it end today."""
    _require_collector(actor)
    _require_in_scope(actor, house)
    house = _locked(House, house)
    if house.retired_at:
        return house
    _retire(house, actor=actor, reason=reason)
    _end_relations(
        Residence.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(house=house),
        actor=actor,
        end=timezone.localdate(),
        reason=reason,
    )
    refresh_occupant_counts([house.pk])
    return house


# ---------------------------------------------------------------------------------------------
# organisations


@transaction.atomic
def record_organisation(*, actor, data: dict, organisation: Organisation | None = None) -> Organisation:
    """Create or update an organisation. ``special_trades`` may be given as a list of SpecialTrade
    values (it then sets all four flags) or the flags one by one."""
    _require_collector(actor)
    _check_keys(data, ORGANISATION_FIELDS)
    if organisation is not None:
        _require_in_scope(actor, organisation)
        organisation = _locked(Organisation, organisation)
        if organisation.retired_at:
            raise ValidationError(_("A retired organisation cannot be changed."))
        before = history.snapshot(organisation)
    else:
        organisation = Organisation()
        before = None
    errors = rules.Errors()
    data = dict(data)
    trades = data.pop("special_trades", None)
    if trades is not None:
        try:
            chosen = rules.choices_listed(trades, SpecialTrade)
        except InvalidValue as exc:
            errors.add("special_trades", exc.reason)
        else:
            for trade in SpecialTrade:
                data.setdefault(trade.value, trade.value in chosen)
    converters = {
        "credit_code": parse_credit_code,
        "name": rules.text,
        "org_type": lambda v: rules.choice(v, OrganisationType),
        "legal_representative_id": lambda v: parse_id_number(v).number if rules.text(v) else None,
        "address": lambda v: None if v in (None, "") else _visible_ref(Address, v, actor),
        "grid": lambda v: None if v in (None, "") else _grid(v),
        "phone": lambda v: parse_phone(v) if rules.text(v) else "",
        **{t.value: bool for t in SpecialTrade},
    }
    rules.clean_fields(organisation, data, converters, errors)
    if not organisation.name and "name" not in errors:
        errors.add("name", _("The name is required."))
    if not organisation.credit_code and "credit_code" not in errors:
        errors.add("credit_code", _("The credit code is required."))
    if "address" not in errors and "grid" not in errors:
        if organisation.address_id:
            if data.get("grid") not in (None, "") and organisation.grid_id != organisation.address.grid_id:
                errors.add("grid", _("An organisation lies in its address's grid."))
            organisation.grid = organisation.address.grid
        elif not organisation.grid_id:
            errors.add("address", _("Give the address (or, without one, the grid)."))
    if before is None and not organisation.collected_by_id:
        organisation.collected_by = actor
    errors.raise_if_any()
    _full_clean(organisation, errors)
    _save_with_history(organisation, before, actor=actor)
    if before is not None and before["grid_id"] != organisation.grid_id:
        _follow(organisation)
    return organisation


@transaction.atomic
def retire_organisation(organisation: Organisation, *, actor, reason: str) -> Organisation:
    """Retire an organisation (closed, moved away …); its staff links end today."""
    _require_collector(actor)
    _require_in_scope(actor, organisation)
    organisation = _locked(Organisation, organisation)
    if organisation.retired_at:
        return organisation
    _retire(organisation, actor=actor, reason=reason)
    _end_relations(
        Employment.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(organisation=organisation),
        actor=actor,
        end=timezone.localdate(),
        reason=reason,
    )
    return organisation


# ---------------------------------------------------------------------------------------------
# relations


@transaction.atomic
def record_residence(*, actor, data: dict, residence: Residence | None = None) -> Residence:
    """Record (or correct) a person ↔ house relation. A renting relation needs its move-in date and
    marks the house as rented. The relation lies in the house's grid."""
    _require_collector(actor)
    _check_keys(data, RESIDENCE_FIELDS)
    if residence is not None:
        _require_in_scope(actor, residence)
        residence = _locked(Residence, residence)
        before = history.snapshot(residence)
        old_house = residence.house_id
    else:
        residence = Residence()
        before, old_house = None, None
    errors = rules.Errors()
    converters = {
        "person": lambda v: _visible_ref(Person, v, actor),
        "house": lambda v: _visible_ref(House, v, actor),
        "kind": lambda v: rules.choice(v, ResidenceType),
        "note": rules.text,
    }
    rules.clean_fields(residence, data, converters, errors)
    for name in ("person", "house", "kind"):
        if not getattr(residence, f"{name}_id" if name != "kind" else name) and name not in errors:
            errors.add(name, _("Required."))
    rules.check_residence(residence, errors)
    if not errors and residence.end_date is None:
        clash = (
            Residence.objects.unscoped(reason=UNSCOPED_UNIQUE)
            .filter(person_id=residence.person_id, house_id=residence.house_id, end_date__isnull=True)
            .exclude(pk=residence.pk)
        )
        if clash.exists():
            errors.add("house", _("This person already has a current relation to this house."))
    errors.raise_if_any()
    _full_clean(residence, errors)
    _save_with_history(residence, before, actor=actor)
    if (
        residence.kind == ResidenceType.RENTING
        and residence.end_date is None
        and not residence.house.is_rented
    ):
        house = _locked(House, residence.house)
        house_before = history.snapshot(house)
        house.is_rented = True
        house.save()
        history.record_change(house, action=HistoryAction.UPDATE, before=house_before, actor=actor)
    refresh_occupant_counts({residence.house_id, old_house} - {None})
    return residence


@transaction.atomic
def end_residence(residence: Residence, *, actor, end_date: dt.date | None = None) -> Residence:
    """End a person ↔ house relation (moved out, lease ended) on ``end_date`` (today by default)."""
    _require_collector(actor)
    _require_in_scope(actor, residence)
    residence = _locked(Residence, residence)
    if residence.end_date is not None:
        raise ValidationError({"end_date": [_("This relation has ended already.")]})
    end = rules.date(end_date) or timezone.localdate()
    if residence.start_date and end < residence.start_date:
        raise ValidationError({"end_date": [_("The end comes before the start.")]})
    before = history.snapshot(residence)
    residence.end_date = end
    _save_with_history(residence, before, actor=actor)
    refresh_occupant_counts([residence.house_id])
    return residence


@transaction.atomic
def record_employment(*, actor, data: dict, employment: Employment | None = None) -> Employment:
    """Record (or correct) a person working for an organisation; it lies in the organisation's grid."""
    _require_collector(actor)
    _check_keys(data, EMPLOYMENT_FIELDS)
    if employment is not None:
        _require_in_scope(actor, employment)
        employment = _locked(Employment, employment)
        before = history.snapshot(employment)
    else:
        employment = Employment()
        before = None
    errors = rules.Errors()
    converters = {
        "person": lambda v: _visible_ref(Person, v, actor),
        "organisation": lambda v: _visible_ref(Organisation, v, actor),
        "role": rules.text,
    }
    rules.clean_fields(employment, data, converters, errors)
    for name in ("person", "organisation"):
        if not getattr(employment, f"{name}_id") and name not in errors:
            errors.add(name, _("Required."))
    rules.check_dates(employment, errors)
    errors.raise_if_any()
    _full_clean(employment, errors)
    _save_with_history(employment, before, actor=actor)
    return employment


@transaction.atomic
def end_employment(employment: Employment, *, actor, end_date: dt.date | None = None) -> Employment:
    """End a staff link on ``end_date`` (today by default)."""
    _require_collector(actor)
    _require_in_scope(actor, employment)
    employment = _locked(Employment, employment)
    if employment.end_date is not None:
        raise ValidationError({"end_date": [_("This relation has ended already.")]})
    end = rules.date(end_date) or timezone.localdate()
    if employment.start_date and end < employment.start_date:
        raise ValidationError({"end_date": [_("The end comes before the start.")]})
    before = history.snapshot(employment)
    employment.end_date = end
    _save_with_history(employment, before, actor=actor)
    return employment


# ---------------------------------------------------------------------------------------------
# care and watch tags


def _require_care_tags(actor) -> None:
    _require_collector(actor)
    if not may_view_care_tags(actor):
        raise PermissionDenied(_("Care and watch tags need their own permission."))


@transaction.atomic
def tag_person(
    person: Person,
    *,
    actor,
    kind: str,
    risk_grade: int | None = None,
    since: dt.date | None = None,
    note: str = "",
) -> CareTag:
    """Put a person in a care or watch group, or update their active tag of that group (risk grade,
    dates, note). Needs ``registry.view_caretag``; severe mental illness needs a risk grade 0–5."""
    _require_care_tags(actor)
    _require_in_scope(actor, person)
    errors = rules.Errors()
    try:
        kind = rules.choice(kind, CareTagKind)
    except InvalidValue as exc:
        raise ValidationError({"kind": [exc.reason]}) from None
    if kind == CareTagKind.MENTAL_ILLNESS:
        if risk_grade in (None, ""):
            errors.add("risk_grade", _("Severe mental illness needs a risk grade from 0 to 5."))
        else:
            try:
                risk_grade = int(risk_grade)
            except (TypeError, ValueError):
                risk_grade = -1
            if not 0 <= risk_grade <= 5:
                errors.add("risk_grade", _("The risk grade runs from 0 to 5."))
    elif risk_grade not in (None, ""):
        errors.add("risk_grade", _("Only severe mental illness has a risk grade."))
    else:
        risk_grade = None
    try:
        since = rules.date(since)
    except InvalidValue as exc:
        errors.add("since", exc.reason)
    errors.raise_if_any()
    person = _locked(Person, person)
    if person.retired_at:
        raise ValidationError(_("A retired person cannot be tagged."))
    tag = (
        CareTag.objects.unscoped(reason=UNSCOPED_UNIQUE)
        .select_for_update()
        .filter(person=person, kind=kind, retired_at__isnull=True)
        .first()
    )
    before = history.snapshot(tag) if tag is not None else None
    if tag is None:
        tag = CareTag(person=person, kind=kind)
    tag.risk_grade = risk_grade
    tag.since = since or tag.since or timezone.localdate()
    if note:
        tag.note = rules.text(note)
    _full_clean(tag, errors)
    _save_with_history(tag, before, actor=actor)
    return tag


@transaction.atomic
def untag_person(tag: CareTag, *, actor, reason: str, until: dt.date | None = None) -> CareTag:
    """Take a person out of a care or watch group (the tag is kept, ended and retired)."""
    _require_care_tags(actor)
    _require_in_scope(actor, tag)
    tag = _locked(CareTag, tag)
    if tag.retired_at:
        return tag
    end = rules.date(until) or timezone.localdate()
    if tag.since and end < tag.since:
        raise ValidationError({"until": [_("The end comes before the start.")]})
    _retire(tag, actor=actor, reason=reason, until=end)
    return tag


RESIDENT_LINK = audit.register("registry_resident_link", "linked a resident's account to their record")


@transaction.atomic
def link_resident(user, person: Person, *, actor) -> ResidentLink:
    """Link a resident's portal account to their own person record, once staff have seen their ID
    card: the portal then shows them who read that record (PIPL's right to know). Staff in whose
    scope the person is recorded do it; an account holds one link, which a new one replaces."""
    _require_collector(actor)
    _require_in_scope(actor, person)
    if getattr(user, "role", None) != Role.RESIDENT:
        raise ValidationError({"user": [_("Only a resident's account is linked to a person record.")]})
    link, _created = ResidentLink.objects.update_or_create(
        user=user, defaults={"person": person, "verified_by": actor, "verified_at": timezone.now()}
    )
    audit.record(RESIDENT_LINK, person, actor=actor, after={"user": user.get_username(), "person": person.pk})
    return link


# ---------------------------------------------------------------------------------------------
# people who have left: anonymised after the retention period

ANONYMISE = audit.register("registry_anonymise", "anonymised departed people")
UNSCOPED_RETENTION = "registry: anonymising departed people past the retention period, territory-wide"
ANONYMOUS_NAME = "（已匿名）"
# What a departed person keeps for statistics: sex, the birth year (the date becomes 1 January),
# ethnicity, resident type, nationality, grid, when they were collected and retired. Everything
# else that tells who they were goes, from the record and from its history.
ANONYMISED_PERSON_FIELDS = (
    "id_number",
    "name",
    "former_name",
    "birth_date",
    "native_place",
    "marital_status",
    "education",
    "occupation",
    "workplace",
    "phone",
    "hukou_address",
    "current_address_id",
    "reason_for_coming",
    "residence_permit_number",
    "residence_permit_expires",
    "registered_on",
    "document_type",
    "document_number",
    "entry_date",
    "planned_exit_date",
)


# Apps above the registry that keep who a person was elsewhere (a dispute's parties) add here a
# function called once per run, in its transaction, with the people and the whole ID numbers they
# had: ``fn(people: list[tuple[Person, str]], *, actor) -> dict`` (what it did, by name, for the
# run's audit entry). The registry cannot import them: the layers point down.
ANONYMISE_ELSEWHERE: list = []


def anonymise_elsewhere(fn):
    """Register ``fn`` to anonymise a departed person's traces outside the registry (see above)."""
    if fn not in ANONYMISE_ELSEWHERE:
        ANONYMISE_ELSEWHERE.append(fn)
    return fn


def _anonymous_number(person: Person) -> str:
    """A number that stays unique and that no search for a real ID number or document finds."""
    return f"ANON{person.pk:014d}"


def _anonymise(person: Person, *, actor, reason: str) -> None:
    person.id_number = _anonymous_number(person) if person.id_number else None
    person.name = ANONYMOUS_NAME
    if person.birth_date:
        person.birth_date = person.birth_date.replace(month=1, day=1)
    for name in ("former_name", "native_place", "marital_status", "education", "occupation", "workplace"):
        setattr(person, name, "")
    for name in ("phone", "hukou_address", "reason_for_coming", "residence_permit_number"):
        setattr(person, name, "")
    for name in ("residence_permit_expires", "registered_on", "entry_date", "planned_exit_date"):
        setattr(person, name, None)
    person.current_address = None
    if person.document_number:
        person.document_number = _anonymous_number(person)
    person.save()
    history.redact(person, ANONYMISED_PERSON_FIELDS)
    history.write_history(
        [
            history.history_row(
                person,
                action=HistoryAction.UPDATE,
                after={"name": person.name, "id_number": person.id_number, "anonymised": True},
                actor=actor,
                reason=reason,
            )
        ]
    )
    # Care tags go whole, and what their history said; the notes of the person's relations too.
    tags = CareTag.objects.unscoped(reason=UNSCOPED_RETENTION).filter(person=person)
    for tag in tags:
        history.redact(tag, None)
    tags.delete()
    for relation in Residence.objects.unscoped(reason=UNSCOPED_RETENTION).filter(person=person):
        history.redact(relation, ("note",))
        if relation.note:
            relation.note = ""
            relation.save(update_fields=["note", "updated_at"])
    for employment in Employment.objects.unscoped(reason=UNSCOPED_RETENTION).filter(person=person):
        history.redact(employment, ("role",))
        if employment.role:
            employment.role = ""
            employment.save(update_fields=["role", "updated_at"])


@transaction.atomic
def anonymise_departed(*, actor, now: dt.datetime | None = None, limit: int = 2000) -> list[int]:
    """Anonymise up to ``limit`` people retired (moved away, deceased …) more than
    ``FENGQIAO_DEPARTED_RETENTION_DAYS`` ago: name, ID number, phone, addresses, documents and
    notes wiped from the record and its history, care tags removed; sex, birth year, ethnicity and
    grid kept for statistics. One audit entry per run lists the ids. Run by the worker as the
    system account; returns the ids."""
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only the system anonymises departed people."))
    now = now or timezone.now()
    days = settings.DEPARTED_RETENTION_DAYS
    cutoff = now - dt.timedelta(days=days)
    reason = _("retired more than %(days)d days ago: anonymised (retention period ended)") % {"days": days}
    people = list(
        Person.objects.unscoped(reason=UNSCOPED_RETENTION)
        .select_for_update()
        .filter(retired_at__isnull=False, retired_at__lte=cutoff)
        .exclude(name=ANONYMOUS_NAME)
        .order_by("id")[:limit]
    )
    numbers = [person.id_number or "" for person in people]  # before they go
    for person in people:
        _anonymise(person, actor=actor, reason=reason)
    ids = [person.pk for person in people]
    elsewhere: dict = {}
    if people:
        for fn in ANONYMISE_ELSEWHERE:
            elsewhere.update(fn(list(zip(people, numbers, strict=True)), actor=actor))
    audit.record(
        ANONYMISE,
        actor=actor,
        object_type="registry.person",
        object_repr=_("%(n)d departed people anonymised") % {"n": len(ids)},
        reason=reason,
        after={
            "ids": ids,
            "count": len(ids),
            "retired_before": cutoff.isoformat(),
            "retention_days": days,
            **elsewhere,
        },
    )
    return ids


def anonymise_all_departed(*, actor, now: dt.datetime | None = None, limit: int = 2000) -> list[int]:
    """The worker's daily job: :func:`anonymise_departed` until no one is left, ``limit`` people
    a transaction (and an audit entry)."""
    ids: list[int] = []
    while True:
        done = anonymise_departed(actor=actor, now=now, limit=limit)
        ids += done
        if len(done) < limit:
            return ids


# ---------------------------------------------------------------------------------------------
# addresses to standardise (待规范地址): merged into a standard address or confirmed as one

ADDRESS_MERGE = audit.register("address_merge", "merged an address to standardise into a standard one")
ADDRESS_CONFIRM = audit.register("address_confirm", "confirmed an address as a standard one")
_ADDRESS_PARTS = ("street", "compound", "door_plate", "building", "unit", "room")


def _pending_locked(actor, address: Address) -> Address:
    if not may_standardise_addresses(actor):
        raise PermissionDenied(_("Addresses to standardise are the community officer's to settle."))
    _require_in_scope(actor, address)
    address = _locked(Address, address)
    if address.status != AddressStatus.PENDING or address.retired_at is not None:
        raise ValidationError(_("This address has been standardised already."))
    return address


@transaction.atomic
def merge_pending_address(address: Address, *, actor, into: Address) -> dict:
    """Move the people, house and organisations of a pending address to the standard address
    ``into`` (in the actor's scope) and retire the pending one; returns how many of each moved.
    A house moves only to an address without one (an address holds one house)."""
    address = _pending_locked(actor, address)
    if not into.is_visible_to(actor) or into.pk == address.pk:
        raise ValidationError({"into": [_("Choose a standard address in your area.")]})
    into = _locked(Address, into)
    if into.status != AddressStatus.STANDARD or into.retired_at is not None or not into.in_use:
        raise ValidationError({"into": [_("Choose a standard address in use.")]})
    houses = House.objects.unscoped(reason=UNSCOPED_UPKEEP)
    house = houses.filter(address=address).select_for_update().first()
    if house is not None and houses.filter(address=into).exists():
        raise ValidationError(
            {
                "into": [
                    _(
                        "%(address)s has a house already: merge into another address, "
                        "or retire one of the houses."
                    )
                    % {"address": into}
                ]
            }
        )
    rows, moved = [], {"people": 0, "houses": 0, "organisations": 0}
    reason = _("merged into %(code)s") % {"code": into.code}
    links = (
        (Person, "current_address", "people"),
        (House, "address", "houses"),
        (Organisation, "address", "organisations"),
    )
    for model, link, counted in links:
        for record in (
            model.objects.unscoped(reason=UNSCOPED_UPKEEP).filter(**{link: address}).select_for_update()
        ):
            before = history.snapshot(record)
            setattr(record, link, into)
            record.grid = into.grid
            record.save()
            old, new = history.changes(before, history.snapshot(record))
            rows.append(
                history.history_row(
                    record, action=HistoryAction.UPDATE, before=old, after=new, actor=actor, reason=reason
                )
            )
            _follow(record)
            moved[counted] += 1
    before = history.snapshot(address)
    address.retired_at = timezone.now()
    address.in_use = False
    address.save()
    old, new = history.changes(before, history.snapshot(address))
    rows.append(
        history.history_row(
            address, action=HistoryAction.RETIRE, before=old, after=new, actor=actor, reason=reason
        )
    )
    history.write_history(rows)
    if house is not None:
        refresh_occupant_counts([house.pk])
    audit.record(
        ADDRESS_MERGE,
        address,
        actor=actor,
        after={"into": into.pk, "into_code": into.code, **moved},
        object_repr=str(address),
    )
    ensure_still_visible(actor, into)
    return moved


@transaction.atomic
def confirm_pending_address(address: Address, *, actor, data: dict | None = None) -> Address:
    """Make a pending address a standard one, its parts corrected first when ``data`` gives them
    (street, compound, door plate, building, unit, room). Refused while a standard address in
    its community reads the same: that one is to be merged into instead."""
    address = _pending_locked(actor, address)
    data = data or {}
    _check_keys(data, _ADDRESS_PARTS)
    before = history.snapshot(address)
    for name in _ADDRESS_PARTS:
        if name in data:
            setattr(address, name, rules.text(data[name]))
    errors = rules.Errors()
    if not (address.street or address.compound):
        errors.add("street", _("Give the street (or lane, or village group) or the compound."))
    errors.raise_if_any()
    address.status = AddressStatus.STANDARD
    address.element_type = rules.element_type(address)
    address.refresh_derived()
    twin = (
        Address.objects.unscoped(reason=UNSCOPED_UNIQUE)
        .filter(match_key=address.match_key, community=address.community_id, status=AddressStatus.STANDARD)
        .exclude(pk=address.pk)
        .filter(retired_at__isnull=True)
        .first()
    )
    if twin is not None:
        raise ValidationError(
            _("%(address)s (%(code)s) reads the same already: merge into it instead.")
            % {"address": twin, "code": twin.code}
        )
    _full_clean(address, errors)
    address.save()
    after = history.snapshot(address)
    history.record_change(address, action=HistoryAction.UPDATE, before=before, after=after, actor=actor)
    old, new = history.changes(before, after)
    audit.record(ADDRESS_CONFIRM, address, actor=actor, before=old, after=new, object_repr=str(address))
    ensure_still_visible(actor, address)
    return address
