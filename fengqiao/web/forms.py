"""Forms of the pages. Their choices come from the user's scope; the actions make the binding checks."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fengqiao.geo.models import Division, Grid, PoliceUnit, grid_code_validator
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
        self.fields["community"].queryset = selectors.community_choices(user).select_related("parent")
        self.fields["district"].queryset = selectors.district_choices(user)

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
