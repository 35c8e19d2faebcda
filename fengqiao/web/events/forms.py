"""Forms of the event pages and the resident portal. They parse and offer choices within scope;
the events' actions and the casework engine make the binding checks."""

import dataclasses
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fengqiao.events import rules
from fengqiao.events.actions import Report, build_report
from fengqiao.events.choices import Channel, EventKind, Status
from fengqiao.events.inputs import RateInput, category_choices
from fengqiao.events.selectors import EventFilter
from fengqiao.web.forms import ActionErrorsMixin, AddressPlaceField, GridPlaceField, PlaceField
from fengqiao.web.selectors import grid_filter_choices

# ---------------------------------------------------------------------------------------------
# shared pieces


class FlagInput(forms.CheckboxInput):
    """A check box that sends "1", the value the shared filter vocabulary understands."""

    def format_value(self, value):
        return "1"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several files at once; what each really is, is for ``events.actions.attach`` to check.
    The files of a report (``per_report``) are held to the report's count and total size
    (``events.rules.check_files``, which the intake action applies again)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"})

    def __init__(self, *args, per_report: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.per_report = per_report

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        cleaned = [super(PhotosField, self).clean(f, initial) for f in files]
        if self.per_report:
            try:
                rules.check_files(cleaned)
            except ValidationError as error:
                raise ValidationError(error.messages) from None
        return cleaned


def limited(label, name: str, **kwargs) -> forms.CharField:
    """A title or description field held to its limit in ``events.rules``, with the rule's message."""
    return forms.CharField(
        label=label,
        max_length=rules.LIMITS[name],
        error_messages={"max_length": rules.TOO_LONG[name]},
        **kwargs,
    )


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
            any_
            + [("open", _("open")), ("done", pgettext_lazy("event filter", "finished"))]
            + list(Status.choices)
        )
        self.fields["kind"].choices = any_ + list(EventKind.choices)
        self.fields["category"].choices = any_ + category_choices()
        self.fields["channel"].choices = any_ + list(Channel.choices)
        grids = grid_filter_choices(user)
        if grids is None:  # the city's thousands of grids: found by name as one types
            self.fields["grid"] = GridPlaceField(user, label=_("Grid"), required=False)
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
    title = limited(_("What happened (in a few words)"), "title")
    description = limited(
        _("Description"), "description", required=False, widget=forms.Textarea(attrs={"rows": 4})
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
    photos = PhotosField(label=_("Photos or documents"), required=False, per_report=True)

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].choices = [("", "---------")] + category_choices()
        point_fields(self)
        self.fields["address"] = AddressPlaceField(
            user,
            label=_("Registry address"),
            required=False,
            map_id="pick-map",
            point_inputs=("id_lon", "id_lat"),
            help_text=_("Type part of the address or its code and pick it; or click the place on the map."),
        )
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
    description = limited(_("What happened?"), "description", widget=forms.Textarea(attrs={"rows": 5}))
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
        label=_("Photos (optional)"),
        required=False,
        per_report=True,
        help_text=_("JPEG, PNG or PDF: at most %(n)s files, %(mb)s MB each and %(total)s MB in all."),
    )

    def __init__(self, *args, max_mb: int = 10, **kwargs):
        super().__init__(*args, **kwargs)
        names = category_choices(public_only=True, codes=False)  # residents read names, not codes
        self.fields["category"].choices = [("", "---------")] + names
        self.fields["photos"].help_text = self.fields["photos"].help_text % {
            "n": rules.max_photos(),
            "mb": max_mb,
            "total": rules.max_report_bytes() // 2**20,
        }
        point_fields(self)
        self.fields["place"] = PlaceField(
            label=_("Find the place"),
            required=False,
            kinds=("village", "town", "grid", "address"),
            map_id="pick-map",
            point_inputs=("id_lon", "id_lat"),
            help_text=_("A village, community, grid or address: pick it and the map goes there."),
        )
        self.order_fields(["category", "description", "place", "lon", "lat", "address_text"])

    def clean(self):
        data = super().clean()
        place = data.pop("place", None)
        # The place picked names the report's place unless the resident described it themselves.
        if place and not data.get("address_text"):
            data["address_text"] = place.text
        return data


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


class ReporterProofMixin:
    """The last four digits of the phone the reporter gave: asked of whoever rates or reopens by
    tracking code (``events.actions.move_by_tracking_code`` checks them)."""

    def add_phone_digits(self, needed: bool, *, form_id: str) -> None:
        """Both forms may share a page: each field has an id of its own."""
        if needed:
            self.fields["phone_digits"] = forms.CharField(
                label=_("Last four digits of the phone you gave"),
                min_length=4,
                max_length=4,
                help_text=_("So that only you can rate or reopen your report."),
                widget=forms.TextInput(
                    attrs={
                        "id": f"{form_id}-phone-digits",
                        "inputmode": "numeric",
                        "autocomplete": "off",
                        "pattern": "[0-9]{4}",
                        "size": 4,
                    }
                ),
            )


class RateForm(ReporterProofMixin, ActionErrorsMixin, RateInput):
    def __init__(self, *args, phone_digits: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_phone_digits(phone_digits, form_id="rate")


class ReopenForm(ReporterProofMixin, ActionErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("Why is it not solved?"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, phone_digits: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_phone_digits(phone_digits, form_id="reopen")


# ---------------------------------------------------------------------------------------------
# the moves of a case


class TransitionForm(ActionErrorsMixin, forms.Form):
    """One transition of a case's workflow: the version the user saw, the input the transition
    declares (``casework.Input``), and a note. Its fields are prefixed with the transition's name
    (several forms on a page)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    # Steps that refuse, send back or end a case, of every case type: their button is marked.
    DANGER = (
        *("reject", "rework", "escalate", "merge", "refuse_extension", "fail", "terminate"),
        *("refuse", "revoke", "uphold", "send_back", "decline", "withdraw"),
    )

    def __init__(self, case, transition, user, *args, **kwargs):
        kwargs.setdefault("prefix", transition.name)
        kwargs.setdefault("initial", {"version": case.version})
        super().__init__(*args, **kwargs)
        self.case, self.transition, self.user = case, transition, user
        self.input = transition.input(case=case, user=user) if transition.input else None
        if self.input is not None:
            self.fields.update(self.input.fields)
            for name, field in self.input.fields.items():
                self.initial.setdefault(name, field.initial)
        if transition.needs_note:
            self.fields["note"].label = _("Note (required)")
        # The note goes last, after what the step is about.
        self.order_fields([f for f in self.fields if f != "note"] + ["note"])

    def data_for_move(self) -> dict:
        """The input's values, for the engine to parse with the same declaration."""
        names = self.input.fields if self.input is not None else ()
        return {name: self.cleaned_data.get(name) for name in names}

    @property
    def suggestions(self) -> list:
        return self.input.suggestions() if self.input is not None else []

    @property
    def danger(self) -> bool:
        return self.transition.name in self.DANGER
