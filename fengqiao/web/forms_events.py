"""Forms of the event pages and the resident portal. They parse and offer choices within scope;
the events' actions and the casework engine make the binding checks."""

import dataclasses
import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fengqiao.core.roles import STAFF_ROLES
from fengqiao.core.scoping import path_within, scope_prefixes
from fengqiao.events.actions import Report, build_report
from fengqiao.events.choices import Channel, EventKind, Status
from fengqiao.events.models import Category
from fengqiao.events.selectors import EventFilter
from fengqiao.geo.models import Grid, PoliceUnit
from fengqiao.web.selectors import grid_filter_choices

# ---------------------------------------------------------------------------------------------
# shared pieces


def category_label(category: Category) -> str:
    english = (get_language() or "").startswith("en")
    return (category.name_en if english and category.name_en else category.name) or category.code


def category_choices(*, public_only: bool = False) -> list[tuple[str, str]]:
    """The active categories as an indented tree (codes nest: a child's code extends its parent's)."""
    categories = Category.objects.filter(active=True).order_by("code")
    if public_only:
        categories = categories.filter(public=True)
    rows = list(categories)
    codes = {c.code for c in rows}
    choices = []
    for category in rows:
        depth = sum(1 for other in codes if other != category.code and category.code.startswith(other))
        choices.append((category.code, "\u2003" * depth + f"{category.code} {category_label(category)}"))
    return choices


class FlagInput(forms.CheckboxInput):
    """A check box that sends "1", the value the shared filter vocabulary understands."""

    def format_value(self, value):
        return "1"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files at once; what each really is, is for ``events.actions.attach`` to check."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        return [super(PhotosField, self).clean(f, initial) for f in files]


class ActionErrorsMixin:
    def add_action_errors(self, error: ValidationError) -> None:
        """Show an action's ValidationError on the fields it names; the rest above the form."""
        if hasattr(error, "error_dict"):
            for name, errors in error.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, error)


def point_fields(form: forms.Form) -> None:
    for name, label in (("lon", _("Longitude")), ("lat", _("Latitude"))):
        form.fields[name] = forms.FloatField(
            label=label,
            required=False,
            widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        )


# ---------------------------------------------------------------------------------------------
# the list's filters


class EventFilterForm(forms.Form):
    """The list's GET form over ``EventFilter``'s vocabulary. It shows and keeps the values; the
    filtering itself is ``EventFilter.apply`` (the same for the API and the indicators' links)."""

    FLAGS = ("overdue", "escalated", "reworked", "reopened")

    q = forms.CharField(label=_("Number or words"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    grid = forms.ChoiceField(label=_("Grid"), required=False)
    opened_from = forms.DateField(
        label=_("Reported from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    opened_to = forms.DateField(
        label=_("Reported until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    overdue = forms.BooleanField(label=_("Overdue"), required=False, widget=FlagInput)
    escalated = forms.BooleanField(label=_("Escalated"), required=False, widget=FlagInput)
    reworked = forms.BooleanField(label=_("Reworked"), required=False, widget=FlagInput)
    reopened = forms.BooleanField(label=_("Reopened"), required=False, widget=FlagInput)

    def __init__(self, user, data=None):
        super().__init__(data)
        any_ = [("", _("Any"))]
        self.fields["status"].choices = (
            any_ + [("open", _("open")), ("done", _("finished"))] + list(Status.choices)
        )
        self.fields["kind"].choices = any_ + list(EventKind.choices)
        self.fields["category"].choices = any_ + category_choices()
        self.fields["channel"].choices = any_ + list(Channel.choices)
        grids = grid_filter_choices(user)
        if grids is None:  # the city's thousands of grids: the code is typed in
            self.fields["grid"] = forms.CharField(label=_("Grid"), required=False, max_length=32)
        else:
            self.fields["grid"].choices = any_ + grids

    def passed_through(self) -> list[tuple[str, str]]:
        """Parameters of the vocabulary the form has no input for (unit, holder, within, ...), kept
        as hidden fields so a link from an indicator keeps its meaning while the user narrows it."""
        data = self.data or {}
        names = [f.name for f in dataclasses.fields(EventFilter) if f.name not in self.fields]
        return [(name, data.get(name)) for name in names if data.get(name)]

    def flags(self):
        return [self[name] for name in self.FLAGS]

    def selects(self):
        return [self[name] for name in ("status", "kind", "category", "channel", "grid")]


# ---------------------------------------------------------------------------------------------
# intake: the staff's form and the portal's


class ReportForm(ActionErrorsMixin, forms.Form):
    """A form that says a report; ``events.actions.build_report`` checks what it says."""

    public_only = False
    user = None

    def report(self) -> Report | None:
        """The report of the valid form, or None with the builder's errors on the form."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in ("channel", "photos")}
        try:
            return build_report(**data, public_only=self.public_only, actor=self.user)
        except ValidationError as error:
            self.add_action_errors(error)
            return None


class EventIntakeForm(ReportForm):
    """Staff take in an event, their own or on a caller's behalf."""

    category = forms.ChoiceField(label=_("Category"))
    title = forms.CharField(label=_("What happened (in a few words)"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    channel = forms.ChoiceField(
        label=_("Came in by"),
        choices=[(Channel.STAFF, Channel.STAFF.label), (Channel.PHONE, Channel.PHONE.label)],
        initial=Channel.STAFF,
    )
    address_text = forms.CharField(label=_("Place (as described)"), max_length=400, required=False)
    reporter_name = forms.CharField(label=_("Caller's name"), max_length=64, required=False)
    reporter_phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    photos = PhotosField(label=_("Photos or documents"), required=False)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].choices = [("", "---------")] + category_choices()
        point_fields(self)
        self.fields["address"] = forms.CharField(
            label=_("Registry address"),
            required=False,
            max_length=64,
            help_text=_("Type part of the address or its code and pick it; or click the place on the map."),
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "hx-get": reverse("event_address_options"),
                    "hx-trigger": "input changed delay:300ms, search",
                    "hx-target": "#id_address-suggestions",
                    "hx-sync": "this:replace",
                }
            ),
        )
        self.fields["address"].lookup = True
        self.order_fields(
            [
                "category",
                "title",
                "description",
                "lon",
                "lat",
                "address",
                "address_text",
                "channel",
                "reporter_name",
                "reporter_phone",
                "photos",
            ]
        )


# ---------------------------------------------------------------------------------------------
# the resident portal


class PortalReportForm(ReportForm):
    """A resident reports a problem, with or without an account (no title: its first line is one)."""

    public_only = True

    category = forms.ChoiceField(label=_("What is it about?"))
    description = forms.CharField(
        label=_("What happened?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    address_text = forms.CharField(
        label=_("Address or description of the place"),
        max_length=400,
        required=False,
        help_text=_("Tap the place on the map, or type the address."),
    )
    reporter_name = forms.CharField(label=_("Your name (optional)"), max_length=64, required=False)
    reporter_phone = forms.CharField(
        label=_("Your phone (optional)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    photos = PhotosField(
        label=_("Photos (optional)"), required=False, help_text=_("JPEG, PNG or PDF, up to %(mb)s MB each.")
    )

    def __init__(self, *args, max_mb: int = 10, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "---------")] + category_choices(public_only=True)
        self.fields["photos"].help_text = self.fields["photos"].help_text % {"mb": max_mb}
        point_fields(self)
        self.order_fields(["category", "description", "lon", "lat", "address_text"])


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self):
        return re.sub(r"[\s-]+", "", self.cleaned_data["code"]).upper()


class RateForm(ActionErrorsMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How well was it handled?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )


class ReopenForm(ActionErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Why is it not solved?"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# ---------------------------------------------------------------------------------------------
# the moves of an event


def staff_under(path: str):
    """Active staff posted at ``path`` or anywhere under it: who may be given the event."""
    User = get_user_model()
    below = path + "/"
    at = (
        Q(postings__grid__scope_path=path)
        | Q(postings__grid__scope_path__startswith=below)
        | Q(postings__unit__path=path)
        | Q(postings__unit__path__startswith=below)
    )
    return (
        User.objects.filter(at, is_active=True, role__in=list(STAFF_ROLES))
        .distinct()
        .order_by("full_name", "username")
    )


def holder_choices(event, user) -> list[tuple[str, str]]:
    """Where the user may send the event: up the ladder from its grid, and the grids of its
    police district, as far as the user reaches."""
    prefixes = scope_prefixes(user)
    parts = event.grid.scope_path.split("/")
    ladder = ["/".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]
    units = {u.path: u.name for u in PoliceUnit.objects.filter(path__in=ladder)}
    grids = Grid.objects.visible_to(user).filter(district_id=event.grid.district_id, is_active=True)
    choices = [(g.scope_path, f"{g.name} ({g.code})") for g in grids.only("scope_path", "name", "code")]
    if not any(p == event.grid.scope_path for p, _label in choices):
        choices.insert(0, (event.grid.scope_path, f"{event.grid.name} ({event.grid.code})"))
    choices += [(p, units[p]) for p in ladder if p in units]
    return [(p, label) for p, label in choices if path_within(p, prefixes)]


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.full_name or obj.username} · {obj.get_role_display()}"


class TransitionForm(ActionErrorsMixin, forms.Form):
    """One transition of the event's workflow: the version the user saw, a note, and the data
    the transition needs. Its fields are prefixed with the transition's name (several forms on a page)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, event, transition, user, *args, candidates=(), **kwargs):
        kwargs.setdefault("prefix", transition.name)
        kwargs.setdefault("initial", {"version": event.version})
        super().__init__(*args, **kwargs)
        self.event, self.transition, self.user = event, transition, user
        self.candidates = list(candidates)
        name = transition.name
        if transition.needs_note:
            self.fields["note"].label = _("Note (required)")
        if name in ("dispatch", "reassign"):
            self.fields["holder_path"] = forms.ChoiceField(
                label=_("Held by"),
                choices=holder_choices(event, user),
                initial=event.holder_path,
                required=False,
            )
            self.fields["assignee"] = StaffChoiceField(
                label=_("Assignee"),
                queryset=staff_under(event.holder_path),
                required=False,
                empty_label=_("— nobody in particular —"),
                initial=event.assignee_id,
            )
        elif name == "request_extension":
            self.fields["hours"] = forms.IntegerField(
                label=_("Extra hours"), min_value=1, max_value=24 * 30, widget=forms.NumberInput
            )
        elif name == "rate":
            self.fields["rating"] = RateForm.base_fields["rating"]
        elif name == "merge":
            self.fields["into"] = forms.CharField(
                label=_("Number of the original event"),
                max_length=32,
                widget=forms.TextInput(attrs={"list": f"{self.prefix}-candidates", "autocomplete": "off"}),
            )
        elif name == "recategorise":
            self.fields["category"] = forms.ChoiceField(
                label=_("New category"), choices=category_choices(), initial=event.category.code
            )
        # The note goes last, after what the step is about.
        self.order_fields([f for f in self.fields if f != "note"] + ["note"])

    def data_for_move(self) -> dict:
        data = {}
        cleaned = self.cleaned_data
        # Only a change of holder is sent: sending the same one would drop the assignee.
        if cleaned.get("holder_path") and cleaned["holder_path"] != self.event.holder_path:
            data["holder_path"] = cleaned["holder_path"]
        if cleaned.get("assignee") is not None:
            data["assignee"] = cleaned["assignee"].pk
        for name in ("hours", "rating", "into", "category"):
            if name in self.fields and cleaned.get(name) not in (None, ""):
                data[name] = cleaned[name]
        return data

    @property
    def danger(self) -> bool:
        return self.transition.name in ("reject", "rework", "escalate", "merge", "refuse_extension")
