from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.scoping import ScopedModel
from fengqiao.geo.choices import UNIT_PARENT_KIND, DivisionLevel, UnitKind

division_code_validator = RegexValidator(r"^\d{12}$", _("A division code has 12 digits."))
grid_code_validator = RegexValidator(
    r"^\d{14,15}$", _("A grid code is the 12-digit community code and a 2–3 digit sequence.")
)
unit_code_validator = RegexValidator(r"^[0-9A-Za-z]{1,32}$", _("Use letters and digits only."))


class Division(models.Model):
    """An administrative division: province, city, county, township or village/community."""

    code = models.CharField(_("code"), max_length=12, unique=True, validators=[division_code_validator])
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=DivisionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    urban_rural_code = models.CharField(_("urban–rural class"), max_length=3, blank=True)
    lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    outline = models.JSONField(_("outline (GeoJSON, WGS-84)"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def county_code(self) -> str:
        return self.code[:6]


class PoliceUnit(models.Model):
    """A node of the police tree: city bureau, county bureau, police station or police district."""

    kind = models.CharField(_("kind"), max_length=16, choices=UnitKind.choices, db_index=True)
    code = models.CharField(_("code"), max_length=32, validators=[unit_code_validator])
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    # Materialised path of codes from the root, e.g. 640300/640302/ps07/d03: the key of scoping.
    path = models.CharField(_("path"), max_length=200, unique=True, editable=False)
    division = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("division"),
        help_text=_("The county of a county bureau, the township a station sits in."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("police unit")
        verbose_name_plural = _("police units")
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["parent", "code"], name="unit_code_unique_in_parent")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path}/{self.code}" if self.parent_id else self.code
        super().save(*args, **kwargs)

    def clean(self):
        expected = UNIT_PARENT_KIND[UnitKind(self.kind)]
        actual = self.parent.kind if self.parent_id else None
        if expected != actual:
            raise ValidationError(
                {
                    "parent": _("A %(kind)s must hang under a %(parent)s.")
                    % {
                        "kind": UnitKind(self.kind).label,
                        "parent": UnitKind(expected).label if expected else "-",
                    }
                }
            )


class Grid(ScopedModel):
    """The smallest unit of the territory: inside exactly one village/community and one police district."""

    code = models.CharField(_("code"), max_length=15, unique=True, validators=[grid_code_validator])
    name = models.CharField(_("name"), max_length=100)
    community = models.ForeignKey(
        Division,
        on_delete=models.PROTECT,
        related_name="grids",
        verbose_name=_("village / community"),
        limit_choices_to={"level": DivisionLevel.VILLAGE},
    )
    district = models.ForeignKey(
        PoliceUnit,
        on_delete=models.PROTECT,
        related_name="grids",
        verbose_name=_("police district"),
        limit_choices_to={"kind": UnitKind.DISTRICT},
    )
    geometry = models.JSONField(_("outline (GeoJSON, WGS-84)"))
    centroid_lon = models.FloatField(_("centre longitude"))
    centroid_lat = models.FloatField(_("centre latitude"))
    area_km2 = models.FloatField(_("area (km²)"))
    is_active = models.BooleanField(_("in use"), default=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["code"]
        # The locator's freshness check (count, active count, last change) reads only this index,
        # not the rows with their outlines.
        indexes = [models.Index(fields=["is_active", "updated_at"], name="grid_version_idx")]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def save(self, *args, **kwargs):
        self.scope_path = f"{self.district.path}/{self.code}"
        super().save(*args, **kwargs)

    def clean(self):
        errors = {}
        if self.community_id and self.code and not self.code.startswith(self.community.code):
            errors["code"] = _("A grid code starts with its community's code %(code)s.") % {
                "code": self.community.code
            }
        if self.district_id and self.district.kind != UnitKind.DISTRICT:
            errors["district"] = _("A grid belongs to a police district.")
        if errors:
            raise ValidationError(errors)


class Served(ScopedModel):
    """A row that serves a grid or a whole police district, scoped where it serves: a volunteer
    team, a patrol plan, a resident group, an anti-fraud consultation, a lecture."""

    grid = models.ForeignKey(
        Grid, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("grid")
    )
    unit = models.ForeignKey(
        PoliceUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("police district"),
    )

    class Meta:
        abstract = True

    @property
    def place(self):
        return self.grid if self.grid_id else self.unit

    def save(self, *args, **kwargs):
        self.scope_path = self.grid.scope_path if self.grid_id else self.unit.path
        super().save(*args, **kwargs)
