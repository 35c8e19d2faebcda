"""Forms of the pages. Their choices come from the user's scope; the actions make the binding checks."""

import json
import re
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengqiao.core.scoping import scope_prefixes
from fengqiao.geo.models import Division, Grid, PoliceUnit, grid_code_validator
from fengqiao.registry import addressing, places
from fengqiao.registry.models import Address
from fengqiao.web import selectors


class ActionErrorsMixin:
    def add_action_errors(self, error: ValidationError) -> None:
        """Show an action's ValidationError on the fields it names; the rest above the form."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Division) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PoliceUnit) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id else obj.name


class GridFilterForm(forms.Form):
    """The filters of the grid list and of the grids' GeoJSON, offering only choices within scope."""

    community = CommunityChoiceField(
        label=_("Village / community"),
        queryset=Division.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All villages / communities"),
    )
    district = DistrictChoiceField(
        label=_("Police district"),
        queryset=PoliceUnit.objects.none(),
        required=False,
        empty_label=_("All police districts"),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        communities = selectors.community_choices(user).select_related("parent")
        districts = selectors.district_choices(user)
        self.fields["community"].queryset = communities
        self.fields["district"].queryset = districts
        # A city's hundreds of villages and districts: found by name as one types.
        for name, queryset, key, kind in (
            ("community", communities, "code", "village"),
            ("district", districts, "path", "unit"),
        ):
            if queryset.count() > selectors.GRID_SELECT_LIMIT:
                label = self.fields[name].label
                self.fields[name] = ChoicePlaceField(
                    user, queryset, key=key, kinds=(kind,), label=label, required=False
                )

    def filters(self) -> dict:
        """The valid filters; an invalid one is reported on the form and left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data[name] for name in ("community", "district") if data.get(name) is not None}


class GeoJSONField(forms.CharField):
    """A GeoJSON geometry typed or pasted as text; a Feature is taken for its geometry."""

    widget = forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "mono"})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            data = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                _("This is not valid JSON: %(problem)s (line %(line)s, column %(column)s)."),
                code="invalid_json",
                params={"problem": exc.msg, "line": exc.lineno, "column": exc.colno},
            ) from None
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        if not isinstance(data, dict) or "type" not in data:
            raise ValidationError(
                _('Enter a GeoJSON geometry: an object with a "type" and "coordinates".'), code="not_geometry"
            )
        return data


class GridForm(ActionErrorsMixin, forms.Form):
    """Create or edit a grid. Without ``grid`` it is the creation form (with a code, without "in use")."""

    code = forms.CharField(
        label=_("Code"),
        max_length=15,
        validators=[grid_code_validator],
        help_text=_("The 12-digit code of the village/community followed by a 2–3 digit sequence."),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    community = CommunityChoiceField(label=_("Village / community"), queryset=Division.objects.none())
    district = DistrictChoiceField(label=_("Police district"), queryset=PoliceUnit.objects.none())
    geometry = GeoJSONField(
        label=_("Outline (GeoJSON)"),
        help_text=_("A Polygon or MultiPolygon in WGS-84 longitude/latitude, e.g. exported from a GIS tool."),
    )
    is_active = forms.BooleanField(label=_("In use"), required=False)

    def __init__(self, user, *args, grid: Grid | None = None, **kwargs):
        self.grid = grid
        if grid is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": grid.name,
                    "community": grid.community,
                    "district": grid.district,
                    "geometry": grid.geometry,
                    "is_active": grid.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        if grid is not None:
            del self.fields["code"]
        else:
            del self.fields["is_active"]
        # A visible grid's own community and district are among these: they come from visible grids.
        self.fields["community"].queryset = selectors.community_choices(user).select_related("parent")
        self.fields["district"].queryset = selectors.district_choices(user)

    def changes(self) -> dict:
        """For an edit: the cleaned values that differ from the grid's."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != "code" and value != getattr(self.grid, name)
        }


# ---------------------------------------------------------------------------------------------
# the place picker: one widget wherever a place is asked for


@dataclass
class PlaceChoice:
    """What a place field holds: the key of the place picked (a code, a unit's path; empty when
    nothing was picked) and the text shown, kept across a form error."""

    value: str = ""
    text: str = ""

    def __bool__(self) -> bool:
        return bool(self.value or self.text)


class PlacePicker(forms.Widget):
    """A text input that suggests places as one types (``/places/``, Chinese or pinyin), and a
    hidden input with the key of the one picked. Picking zooms the page's map there (the map whose
    id is ``map``, or the page's first map) and, given ``point_inputs``, fills the longitude and
    latitude inputs with the place's point. ``web/place_picker.js`` does it; user text is set as text."""

    template_name = "web/widgets/place_picker.html"

    def __init__(
        self,
        *,
        kinds=(),
        map_id: str = "",
        point_inputs: tuple[str, str] | None = None,
        params="",
        attrs=None,
    ):
        super().__init__(attrs)
        self.kinds, self.map_id, self.point_inputs = tuple(kinds), map_id, point_inputs
        self.params = params  # more of the search's query string, e.g. "houses=1"
        self.candidates: list = []  # suggestions shown at once, after a form error

    def value_from_datadict(self, data, files, name):
        value = (data.get(name) or "").strip()
        text = (data.get(f"{name}__text") or "").strip()
        return PlaceChoice(value, text) if value or text else None

    def value_omitted_from_data(self, data, files, name):
        return name not in data and f"{name}__text" not in data

    def format_value(self, value):
        if isinstance(value, PlaceChoice):
            return value
        return PlaceChoice(str(value), str(value)) if value not in (None, "") else PlaceChoice()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget.update(
            search_url=reverse("place_search") + (f"?{self.params}" if self.params else ""),
            kinds=",".join(self.kinds),
            map_id=self.map_id,
            lon_input=self.point_inputs[0] if self.point_inputs else "",
            lat_input=self.point_inputs[1] if self.point_inputs else "",
            candidates=[c.as_dict() for c in self.candidates],
        )
        return context


class PlaceField(forms.Field):
    """A place picked or typed. ``resolve`` turns what was typed into the field's value."""

    widget = PlacePicker

    def __init__(self, *, kinds=(), map_id: str = "", point_inputs=None, max_length: int = 400, **kwargs):
        kwargs.setdefault("widget", PlacePicker(kinds=kinds, map_id=map_id, point_inputs=point_inputs))
        super().__init__(**kwargs)
        self.max_length = max_length

    def to_python(self, value):
        if not isinstance(value, PlaceChoice):
            value = self.prepare_value(value)
            if not isinstance(value, PlaceChoice):
                value = PlaceChoice(str(value or ""), str(value or ""))
        if not value:
            return None
        if len(value.text) > self.max_length or len(value.value) > self.max_length:
            raise ValidationError(_("This is too long to be a place."), code="max_length")
        return value

    def prepare_value(self, value):
        if isinstance(value, Address):
            return PlaceChoice(value.code, value.full_text)
        if isinstance(value, Grid):
            return PlaceChoice(value.code, value.name)
        if isinstance(value, PoliceUnit):
            return PlaceChoice(value.path, value.name)
        return value

    def has_changed(self, initial, data):
        before = self.to_python(initial)
        after = self.to_python(data)
        return (before.value if before else "") != (after.value if after else "") or (
            after is not None and not after.value and bool(after.text)
        )

    def suggest(self, candidates: list, message, **params):
        """Show ``candidates`` under the field and raise ``message``: a choice, not a refusal."""
        self.widget.candidates = candidates
        raise ValidationError(message, code="choose", params=params)


_ADDRESS_CODE = re.compile(r"^[0-9A-Za-z]{12,64}$")


def _address_place(address: Address) -> places.Place:
    return places.Place("address", address.code, address.full_text, "", address.lon, address.lat)


class AddressPlaceField(PlaceField):
    """A standard address in the user's scope: picked from the suggestions, typed as its code, or
    typed as text that one standard address matches (``registry.addressing.match_address``); when
    several or none match, the candidates are offered under the field."""

    def __init__(self, user, *, houses_only: bool = False, **kwargs):
        kwargs.setdefault("kinds", ("address",))
        super().__init__(**kwargs)
        self.user, self.houses_only = user, houses_only
        if houses_only:
            self.widget.params = "houses=1"

    def _visible(self):
        addresses = Address.objects.visible_to(self.user).filter(retired_at=None)
        return addresses.filter(house__isnull=False) if self.houses_only else addresses

    def clean(self, value):
        choice = super().clean(value)
        if not choice:
            return None
        key = choice.value or (choice.text if _ADDRESS_CODE.match(choice.text) else "")
        if key:
            # Any address picked by its code: a form that needs a house there says so itself.
            address = Address.objects.visible_to(self.user).filter(code=key, retired_at=None)
            address = address.select_related("grid").first()
            if address is not None:
                return address
            if not choice.text or choice.text == key:
                raise ValidationError(
                    _("No address with the code %(code)s in your scope."),
                    code="unknown",
                    params={"code": key},
                )
        return self.resolve_text(choice.text)

    def _within(self) -> list[str | None]:
        prefixes = scope_prefixes(self.user)
        return [None] if prefixes is None else prefixes

    def resolve_text(self, text: str) -> Address:
        matches = {a.pk: a for p in self._within() if (a := addressing.match_address(text, within=p))}
        visible = list(self._visible().filter(pk__in=matches).select_related("grid"))
        if len(visible) == 1:
            return visible[0]
        found = {
            a.pk: a for p in self._within() for a in addressing.candidate_addresses(text, within=p, limit=8)
        }
        candidates = list(self._visible().filter(pk__in=found).order_by("full_text")[:8])
        if not candidates:  # text the rule cannot read: the places search's prefixes
            candidates = places.search_places(self.user, text, kinds=("address",), limit=8)
        else:
            candidates = [_address_place(a) for a in candidates]
        if candidates:
            self.suggest(
                candidates,
                _("More than one standard address may be “%(text)s”: pick one below."),
                text=text,
            )
        self.suggest(
            [],
            _("No standard address in your area matches “%(text)s”: check the text or pick a suggestion."),
            text=text,
        )


class ChoicePlaceField(PlaceField):
    """One of ``queryset`` (a scope's grids, villages or districts), found by name in Chinese or
    pinyin, or by its key: for scopes with more than a list can offer. Cleans to the object."""

    def __init__(self, user, queryset, *, key: str = "code", **kwargs):
        super().__init__(**kwargs)
        self.user, self.queryset, self.key = user, queryset, key

    def clean(self, value):
        choice = super().clean(value)
        if not choice:
            return None
        typed = choice.value or choice.text
        found = self.queryset.filter(**{self.key: typed}).first()
        if found is not None:
            return found
        kinds = self.widget.kinds
        suggested = places.search_places(self.user, choice.text, kinds=kinds, limit=20)
        keys = set(
            self.queryset.filter(**{f"{self.key}__in": [p.value for p in suggested]}).values_list(
                self.key, flat=True
            )
        )
        suggested = [p for p in suggested if p.value in keys][:8]
        exact = [p for p in suggested if p.label == choice.text]
        if len(exact) == 1 or len(suggested) == 1:
            return self.queryset.get(**{self.key: (exact or suggested)[0].value})
        if suggested:
            self.suggest(
                suggested, _("Several places are called “%(text)s”: pick one below."), text=choice.text
            )
        self.suggest([], _("Nothing in your area is called “%(text)s”."), text=choice.text)


class GridPlaceField(ChoicePlaceField):
    """A grid within scope, by name or code; cleans to its code, or with ``objects`` to the grid."""

    def __init__(self, user, *, objects: bool = False, **kwargs):
        kwargs.setdefault("kinds", ("grid",))
        super().__init__(user, selectors.visible_grids(user).filter(is_active=True), **kwargs)
        self.objects = objects

    def clean(self, value):
        grid = super().clean(value)
        if self.objects:
            return grid
        return grid.code if grid is not None else ""


def grid_picker_over_limit(form: forms.Form, name: str, user, grids) -> None:
    """Replace a grid <select> with the grid picker when the scope has more grids than a list can
    offer (a city's 3,476 options made a page of hundreds of KB, unusable on a phone)."""
    if grids.count() > selectors.GRID_SELECT_LIMIT:
        old = form.fields[name]
        form.fields[name] = GridPlaceField(
            user, objects=True, label=old.label, required=old.required, help_text=old.help_text
        )


class TextPlaceField(PlaceField):
    """A place described in words, with the suggestions to help type it: cleans to its text."""

    def __init__(self, **kwargs):
        kwargs.setdefault("kinds", ("village", "town", "grid", "address"))
        super().__init__(**kwargs)

    def clean(self, value):
        choice = super().clean(value)
        return choice.text if choice else ""

    def prepare_value(self, value):
        return PlaceChoice("", value) if isinstance(value, str) else super().prepare_value(value)
