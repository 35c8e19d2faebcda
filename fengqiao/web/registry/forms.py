"""Forms of the registry's pages, made for a phone: one column, big touch targets, date inputs,
numeric keypads for ID numbers and phones.

Labels and choices come from the registry's models; what may be picked comes from the user's scope.
The forms only parse what was typed; the registry's actions make every binding check, and their
errors are shown on the fields they name.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fengqiao.geo.models import Grid
from fengqiao.registry import access
from fengqiao.registry.choices import (
    AddressElement,
    CareTagKind,
    ReadPurpose,
    ResidenceType,
    ResidentType,
    Sex,
)
from fengqiao.registry.models import Address, House, Organisation, Person
from fengqiao.registry.selectors import sees_whole_numbers as selectors_sees_whole
from fengqiao.registry.validators import (
    InvalidValue,
    mask_id_number,
    parse_credit_code,
    parse_id_number,
    parse_phone,
)
from fengqiao.web import selectors
from fengqiao.web.forms import AddressPlaceField, GridPlaceField, grid_picker_over_limit

DATE_INPUT = {"type": "date"}


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs=DATE_INPUT, format="%Y-%m-%d")


def id_number_widget() -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "inputmode": "numeric",
            "autocomplete": "off",
            "spellcheck": "false",
            "autocapitalize": "characters",
            "maxlength": "24",
            "class": "mono",
        }
    )


def phone_widget() -> forms.TextInput:
    return forms.TextInput(attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "off"})


def id_number_field(label, *, required: bool) -> forms.CharField:
    field = forms.CharField(label=label, required=required, max_length=24, widget=id_number_widget())
    field.x_key = True  # the template adds an "X" key: numeric keypads have no letter X
    return field


def parsed(parser, value):
    """Run a registry parser; its reason becomes the field's error."""
    try:
        return parser(value)
    except InvalidValue as error:
        raise ValidationError(error.reason, code=getattr(error, "code", "invalid")) from None


class GridChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Grid) -> str:
        return f"{obj.name} ({obj.code})"


def grid_field(user, *, required: bool, help_text="") -> forms.Field:
    grids = selectors.visible_grids(user).filter(is_active=True).order_by("code")
    if grids.count() > selectors.GRID_SELECT_LIMIT:  # a city's thousands: found by name
        return GridPlaceField(user, objects=True, label=_("Grid"), required=required, help_text=help_text)
    return GridChoiceField(
        label=_("Grid"),
        queryset=grids,
        required=required,
        help_text=help_text,
        empty_label=_("— from the address —") if not required else "---------",
    )


class LookupField(forms.Field):
    """A text input that names a record (by code or number); cleans to the record itself."""

    widget = forms.TextInput

    def __init__(self, *, max_length: int = 64, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("maxlength", str(max_length))
        self.max_length = max_length

    def text(self, value) -> str:
        value = "" if value in self.empty_values else str(value).strip()
        if len(value) > self.max_length:
            raise ValidationError(_("This is too long to be a code or a number."), code="max_length")
        return value


class AddressLookupField(AddressPlaceField):
    """An address picked from the suggestions found as one types, typed as its code, or typed as
    text one standard address matches (``web.forms.AddressPlaceField``)."""

    def setup(self, name: str, form_prefix: str = "") -> None:
        """The place picker finds its own way: nothing to wire."""


class PersonByIdField(LookupField):
    """A person named by their ID number; the current one is shown masked and kept as it is."""

    def __init__(self, user, *, current: Person | None = None, **kwargs):
        self.user = user
        self.current = current
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("widget", id_number_widget())
        super().__init__(**kwargs)
        self.x_key = True
        if current is not None:
            self.chosen_label = f"{current.name} · {mask_id_number(current.id_number)}"

    def prepare_value(self, value):
        if isinstance(value, Person):
            return mask_id_number(value.id_number)
        return value

    def to_python(self, value):
        value = self.text(value)
        if not value:
            return None
        if self.current is not None and value == mask_id_number(self.current.id_number):
            return self.current
        number = parsed(parse_id_number, value).number
        person = access.person_by_whole_id_number(self.user, number)
        if person is None:
            raise ValidationError(
                _("Nobody with this ID number is recorded in your scope: record the person first."),
                code="unknown",
            )
        return person


class OrganisationByCodeField(LookupField):
    """An organisation named by its unified social credit code."""

    def __init__(self, user, **kwargs):
        self.user = user
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, Organisation):
            return value.credit_code
        return value

    def to_python(self, value):
        value = self.text(value)
        if not value:
            return None
        code = parsed(parse_credit_code, value)
        organisation = Organisation.objects.visible_to(self.user).filter(credit_code=code).first()
        if organisation is None:
            raise ValidationError(_("No organisation with this credit code in your scope."), code="unknown")
        return organisation


class RecordForm(forms.Form):
    """A form over one registry record kind, in fieldsets.

    ``fieldsets`` is a list of (legend, [field names]) or (legend, [field names], {"when": resident
    type}); fields come from the model unless the form declares or builds them (``build_fields``).
    ``data_for_action()`` is what goes to the record action: on an edit, only what changed.
    """

    model: type
    fieldsets: list[tuple]

    def __init__(self, user, *args, record=None, **kwargs):
        self.user = user
        self.record = record
        names = [name for _legend, names, *_options in self.fieldsets for name in names]
        custom = self.build_fields()
        from_model = [n for n in names if n not in custom and n not in self.base_fields]
        available = {
            **forms.fields_for_model(self.model, fields=from_model, widgets=self.widgets()),
            **custom,
        }
        super().__init__(*args, **kwargs)
        for name in names:
            if name not in self.fields and available.get(name) is not None:
                self.fields[name] = available[name]
        self.fields = {name: self.fields[name] for name in names if name in self.fields}
        if "collected_at" in self.fields:
            # The day of collection: today unless the worker says otherwise.
            self.fields["collected_at"].required = False
            self.fields["collected_at"].help_text = _("Left empty: today.")
        for name, field in self.fields.items():
            if isinstance(field, forms.DateField):
                field.widget = date_widget()
            if isinstance(field, AddressLookupField):
                field.setup(name, self.prefix or "")
        if record is not None:
            for name in self.fields:
                if name not in self.initial:
                    self.initial[name] = self.initial_for(name)

    # -- hooks for the concrete forms

    def build_fields(self) -> dict:
        """Fields the model's own form fields do not serve (look-ups, masked numbers)."""
        return {}

    def widgets(self) -> dict:
        return {}

    def initial_for(self, name):
        return getattr(self.record, name, None)

    # -- for the template and the view

    @property
    def grouped_fields(self):
        """[(legend, bound fields)]: a legend is {"text", "when"}; a fieldset with ``when`` is for
        that resident type only (the page hides it for the others)."""
        groups = []
        for legend, names, *options in self.fieldsets:
            bound = [self[name] for name in names if name in self.fields]
            if bound:
                groups.append(({"text": legend, **(options[0] if options else {})}, bound))
        return groups

    def data_for_action(self) -> dict:
        data = dict(self.cleaned_data)
        if data.get("collected_at", "") is None:
            del data["collected_at"]
        if self.record is None:
            return data
        return {name: value for name, value in data.items() if value != getattr(self.record, name, None)}

    def add_action_errors(self, error) -> None:
        """Put an action's error on the fields it names, the rest above the form."""
        if isinstance(error, InvalidValue):
            field = getattr(error, "field", None)
            self.add_error(field if field in self.fields else None, error.reason)
            return
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)


class PersonForm(RecordForm):
    model = Person
    fieldsets = [
        (
            _("Identity"),
            ["id_number", "name", "former_name", "sex", "birth_date", "ethnicity", "native_place", "phone"],
        ),
        (_("Where they live"), ["current_address", "grid", "hukou_address", "resident_type"]),
        (
            _("Floating population"),
            ["reason_for_coming", "residence_permit_number", "residence_permit_expires", "registered_on"],
            {"when": ResidentType.FLOATING},
        ),
        (
            _("Overseas"),
            ["nationality", "document_type", "document_number", "entry_date", "planned_exit_date"],
            {"when": ResidentType.OVERSEAS},
        ),
        (_("Life"), ["marital_status", "education", "occupation", "workplace"]),
        (_("Collection"), ["collected_at"]),
    ]

    def build_fields(self):
        fields = {
            "id_number": id_number_field(_("ID number"), required=False),
            "phone": forms.CharField(label=_("Phone"), required=False, max_length=32, widget=phone_widget()),
            "sex": forms.ChoiceField(
                label=_("Sex"),
                required=False,
                choices=[("", _("— from the ID number —"))] + list(Sex.choices),
                help_text=_("Needed only for a person without an ID number."),
            ),
            "current_address": AddressLookupField(
                self.user,
                label=_("Current address"),
                required=False,
                help_text=_("The person is placed in this address's grid."),
            ),
            "grid": grid_field(
                self.user, required=False, help_text=_("Needed only when the current address is not known.")
            ),
        }
        fields["id_number"].help_text = _("Required, except for an overseas person with a travel document.")
        fields["birth_date"] = forms.DateField(
            label=_("Birth date"), required=False, help_text=_("Left empty: from the ID number.")
        )
        if self.record is not None:
            # The stored ID number is never put in the page: it shows masked, and stays unless retyped.
            fields["id_number"].help_text = _("Leave as it is to keep the recorded number.")
            fields["phone"].help_text = _("Leave as it is to keep the recorded phone.")
            if self.record.current_address_id:
                fields["current_address"].chosen_label = self.record.current_address.full_text
        return fields

    def initial_for(self, name):
        if name == "id_number":
            return mask_id_number(self.record.id_number)
        if name == "phone":
            from fengqiao.registry.validators import mask_phone

            return mask_phone(self.record.phone)
        if name == "birth_date" and not selectors_sees_whole(self.user):
            return None  # the date is not shown to a role that sees masked numbers: kept unless typed
        return super().initial_for(name)

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value is None and self.record is not None and not selectors_sees_whole(self.user):
            return self.record.birth_date
        return value

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip()
        if self.record is not None and value in ("", self.initial_for("id_number")):
            return self.record.id_number
        if not value:
            return None
        return parsed(parse_id_number, value).number

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if not value:
            return ""
        if self.record is not None and value == self.initial_for("phone"):
            return self.record.phone
        return parsed(parse_phone, value)


class AddressForm(RecordForm):
    model = Address
    fieldsets = [
        (_("Place"), ["grid", "lon", "lat"]),
        (_("Address"), ["street", "compound", "door_plate", "building", "unit", "room", "element_type"]),
        (_("Code and status"), ["code", "in_use", "collected_at"]),
    ]

    def build_fields(self):
        fields = {
            "grid": grid_field(
                self.user,
                required=False,
                help_text=_("Pick the grid, or give a point (longitude and latitude) inside it."),
            ),
            "code": forms.CharField(
                label=_("Address code"),
                required=False,
                max_length=64,
                help_text=_("The standard address code; left empty, one is made from the grid's code."),
                widget=forms.TextInput(attrs={"autocomplete": "off", "class": "mono"}),
            ),
        }
        fields["grid"].empty_label = "---------"
        fields["element_type"] = forms.ChoiceField(
            label=Address._meta.get_field("element_type").verbose_name,
            required=False,
            choices=[("", _("— from the most detailed part given —"))] + list(AddressElement.choices),
        )
        if self.record is not None:
            fields["code"].disabled = True
            fields["code"].help_text = ""
        return fields

    def widgets(self):
        decimal = {"inputmode": "decimal", "step": "any"}
        return {"lon": forms.NumberInput(attrs=decimal), "lat": forms.NumberInput(attrs=decimal)}

    def data_for_action(self):
        data = super().data_for_action()
        if self.record is not None or not data.get("code"):
            data.pop("code", None)
        if not data.get("element_type"):
            data.pop("element_type", None)
        if self.record is None and data.get("grid") is None:
            data.pop("grid", None)
        return data


class HouseForm(RecordForm):
    model = House
    fieldsets = [
        (_("House"), ["address", "use", "ownership", "area_m2", "rooms"]),
        (_("Owner and rental"), ["owner", "is_rented", "landlord"]),
        (_("Collection"), ["collected_at"]),
    ]

    def build_fields(self):
        record = self.record
        fields = {
            "address": AddressLookupField(
                self.user,
                label=_("Address"),
                required=True,
                help_text=_("A house is recorded at a standard address: record the address first."),
            ),
            "owner": PersonByIdField(
                self.user,
                label=_("Owner's ID number"),
                required=False,
                current=record.owner if record is not None and record.owner_id else None,
            ),
            "landlord": PersonByIdField(
                self.user,
                label=_("Landlord's ID number"),
                required=False,
                current=record.landlord if record is not None and record.landlord_id else None,
            ),
        }
        if record is not None:
            fields["address"].chosen_label = record.address.full_text
        return fields

    def widgets(self):
        return {
            "area_m2": forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
            "rooms": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }


SPECIAL_TRADES = ["hotel", "internet_cafe", "logistics", "hazardous_goods"]


class OrganisationForm(RecordForm):
    model = Organisation
    fieldsets = [
        (_("Organisation"), ["credit_code", "name", "org_type", "industry", "phone"]),
        (_("Legal representative"), ["legal_representative", "legal_representative_id"]),
        (_("Address"), ["address", "grid"]),
        (_("Trades under special control"), SPECIAL_TRADES),
        (_("Collection"), ["collected_at"]),
    ]

    def build_fields(self):
        fields = {
            "credit_code": forms.CharField(
                label=_("Unified social credit code"),
                max_length=24,
                widget=forms.TextInput(
                    attrs={"autocomplete": "off", "autocapitalize": "characters", "class": "mono"}
                ),
            ),
            "legal_representative_id": id_number_field(_("Legal representative's ID number"), required=False),
            "phone": forms.CharField(label=_("Phone"), required=False, max_length=32, widget=phone_widget()),
            "address": AddressLookupField(self.user, label=_("Address"), required=False),
            "grid": grid_field(
                self.user, required=False, help_text=_("Needed only when the address is not known.")
            ),
        }
        if self.record is not None and self.record.address_id:
            fields["address"].chosen_label = self.record.address.full_text
        if self.record is not None and self.record.legal_representative_id:
            fields["legal_representative_id"].help_text = _("Leave as it is to keep the recorded number.")
        return fields

    def initial_for(self, name):
        if name == "legal_representative_id":
            return mask_id_number(self.record.legal_representative_id or "")
        return super().initial_for(name)

    def clean_credit_code(self):
        return parsed(parse_credit_code, self.cleaned_data["credit_code"])

    def clean_legal_representative_id(self):
        value = self.cleaned_data["legal_representative_id"].strip()
        if not value:
            return None
        if self.record is not None and value == self.initial_for("legal_representative_id"):
            return self.record.legal_representative_id
        return parsed(parse_id_number, value).number

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        return parsed(parse_phone, value) if value else ""


class RetireForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the record is retired: moved away, demolished, deregistered, a duplicate…"),
    )


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Say why you need to see the whole value."), code="required")
        return reason


class ResidenceForm(forms.Form):
    """A person living in a house: from the person's page (house picked) or the house's (person picked)."""

    person = forms.CharField()  # replaced in __init__
    house = forms.CharField()
    kind = forms.ChoiceField(label=_("How they live there"), choices=ResidenceType.choices)
    start_date = forms.DateField(label=_("Moved in on"), widget=date_widget())
    registered_on = forms.DateField(
        label=_("Reported to the police on"),
        required=False,
        widget=date_widget(),
        help_text=_("A landlord reports a new tenant within 3 working days."),
    )

    def __init__(self, user, *args, person: Person | None = None, house: House | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fixed_person, self.fixed_house = person, house
        if person is not None:
            del self.fields["person"]
        else:
            self.fields["person"] = PersonByIdField(user, label=_("The person's ID number"))
        if house is not None:
            del self.fields["house"]
        else:
            field = AddressLookupField(
                user, houses_only=True, label=_("Address of the house"), help_text=_("Pick a recorded house.")
            )
            field.setup("house")
            self.fields["house"] = field
        self.order_fields(["person", "house", "kind", "start_date", "registered_on"])

    def clean_house(self):
        address = self.cleaned_data["house"]
        house = House.objects.visible_to(self.user).filter(address=address).first()
        if house is None:
            raise ValidationError(_("No house is recorded at this address."), code="no_house")
        return house

    def clean(self):
        cleaned = super().clean()
        if self.fixed_person is not None:
            cleaned["person"] = self.fixed_person
        if self.fixed_house is not None:
            cleaned["house"] = self.fixed_house
        return cleaned

    @property
    def grouped_fields(self):
        return [({"text": _("Residence")}, list(self))]

    add_action_errors = RecordForm.add_action_errors


class EndRelationForm(forms.Form):
    end_date = forms.DateField(label=_("Ended on"), widget=date_widget())
    legend = ""

    @property
    def grouped_fields(self):
        return [({"text": self.legend}, list(self))]

    add_action_errors = RecordForm.add_action_errors


class EmploymentForm(forms.Form):
    person = forms.CharField()
    organisation = forms.CharField()
    role = forms.CharField(label=_("Role"), max_length=100, required=False)
    start_date = forms.DateField(label=_("Since"), required=False, widget=date_widget())

    def __init__(self, user, *args, person=None, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_person, self.fixed_organisation = person, organisation
        if person is not None:
            del self.fields["person"]
        else:
            self.fields["person"] = PersonByIdField(user, label=_("The person's ID number"))
        if organisation is not None:
            del self.fields["organisation"]
        else:
            self.fields["organisation"] = OrganisationByCodeField(user, label=_("Unified social credit code"))
        self.order_fields(["person", "organisation", "role", "start_date"])

    def clean(self):
        cleaned = super().clean()
        if self.fixed_person is not None:
            cleaned["person"] = self.fixed_person
        if self.fixed_organisation is not None:
            cleaned["organisation"] = self.fixed_organisation
        return cleaned

    @property
    def grouped_fields(self):
        return [({"text": _("Employment")}, list(self))]

    add_action_errors = RecordForm.add_action_errors


class CareTagForm(forms.Form):
    kind = forms.ChoiceField(label=_("Group"), choices=CareTagKind.choices)
    risk_grade = forms.IntegerField(
        label=_("Risk grade (0–5)"),
        min_value=0,
        max_value=5,
        required=False,
        help_text=_("Only for severe mental illness."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    since = forms.DateField(label=_("Since"), required=False, widget=date_widget())
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    @property
    def grouped_fields(self):
        return [({"text": _("Care tag")}, list(self))]

    add_action_errors = RecordForm.add_action_errors


# -- list filters


class RecordFilterForm(forms.Form):
    """The search box and filters of a list; only choices within the user's scope."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    grid = GridChoiceField(
        label=_("Grid"), queryset=Grid.objects.none(), required=False, empty_label=_("All grids")
    )
    retired = forms.BooleanField(label=_("Include retired records"), required=False)

    search_placeholder = ""

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        grids = selectors.visible_grids(user).order_by("code")
        self.fields["grid"].queryset = grids
        grid_picker_over_limit(self, "grid", user, grids)  # the city's thousands of grids: found by name
        self.fields["q"].widget.attrs["placeholder"] = self.search_placeholder

    def filters(self) -> dict:
        """The valid filters; an invalid one is reported on the form and left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: value for name, value in data.items() if value not in (None, "", False)}


class PersonFilterForm(RecordFilterForm):
    search_placeholder = _("Name, pinyin or initials, ID number, phone")
    resident_type = forms.ChoiceField(
        label=_("Resident type"), required=False, choices=[("", _("All"))] + list(ResidentType.choices)
    )
    tag = forms.ChoiceField(
        label=_("Care group"), required=False, choices=[("", _("All"))] + list(CareTagKind.choices)
    )

    def __init__(self, user, *args, may_filter_tags=False, **kwargs):
        super().__init__(user, *args, **kwargs)
        if not may_filter_tags:
            del self.fields["tag"]
        self.order_fields(["q", "grid", "resident_type", "tag", "retired"])


class AddressFilterForm(RecordFilterForm):
    search_placeholder = _("Address text or code")


class HouseFilterForm(RecordFilterForm):
    search_placeholder = _("Address text or code")
    use = forms.ChoiceField(label=_("Use"), required=False)
    rented = forms.ChoiceField(
        label=_("Rented"),
        required=False,
        choices=[("", _("All")), ("yes", _("rented")), ("no", _("not rented"))],
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["use"].choices = [("", _("All"))] + list(House._meta.get_field("use").choices)
        self.order_fields(["q", "grid", "use", "rented", "retired"])


class OrganisationFilterForm(RecordFilterForm):
    search_placeholder = _("Name or credit code")
    org_type = forms.ChoiceField(label=_("Type"), required=False)
    trade = forms.ChoiceField(label=_("Trade under special control"), required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        from fengqiao.registry.choices import SpecialTrade

        self.fields["org_type"].choices = [("", _("All"))] + list(
            Organisation._meta.get_field("org_type").choices
        )
        self.fields["trade"].choices = [("", _("All"))] + list(SpecialTrade.choices)
        self.order_fields(["q", "grid", "org_type", "trade", "retired"])


# -- collection statistics

PERIOD_CHOICES = [("month", _("month")), ("quarter", _("quarter")), ("year", _("year"))]
LEVEL_CHOICES = [
    ("county", _("county bureau")),
    ("station", _("police station")),
    ("district", _("police district")),
    ("grid", _("grid")),
]
MAX_PERIODS = 60


class StatisticsForm(forms.Form):
    """Which periods and which jurisdictions the collection statistics are counted by."""

    period = forms.ChoiceField(label=_("Per"), choices=PERIOD_CHOICES)
    start = forms.DateField(label=_("From"), widget=date_widget())
    end = forms.DateField(label=_("To"), widget=date_widget())
    by = forms.ChoiceField(label=_("By"), choices=LEVEL_CHOICES)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                raise ValidationError({"end": _("The end comes before the start.")})
            months = {"month": 1, "quarter": 3, "year": 12}.get(cleaned.get("period"), 1)
            if ((end.year - start.year) * 12 + end.month - start.month) // months >= MAX_PERIODS:
                message = _("At most %(n)d periods at a time: choose a longer period or fewer dates.")
                raise ValidationError({"start": message % {"n": MAX_PERIODS}})
        return cleaned


class PurposeForm(forms.Form):
    """Why the registry is opened: one of the purposes, with a note (needed for "other")."""

    purpose = forms.ChoiceField(
        label=_("Purpose of the work"), choices=ReadPurpose.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=access.NOTE_MAX,
        help_text=_('Needed for "other": say what the work is (a case number, a task).'),
    )

    def clean(self):
        data = super().clean()
        if "purpose" in data:
            try:
                data["chosen"] = access.parse_purpose(data["purpose"], data.get("note", ""))
            except access.BadPurpose as error:
                self.add_error("note", str(error))
        return data
