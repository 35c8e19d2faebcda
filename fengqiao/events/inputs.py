"""What the event's steps ask for beyond a note: one typed input per transition that needs one.

The casework engine parses every door's data with these (the API's ``data``, the page's fields);
the pages render them. Unbound (for a page), they offer the choices the user has; the effects in
``events.workflow`` make the binding checks (where the event may go, who may take it).
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fengqiao.core.casework import Input
from fengqiao.core.roles import STAFF_ROLES
from fengqiao.core.scoping import path_within, scope_prefixes
from fengqiao.events.models import Category
from fengqiao.events.rules import REPLY_MAX, TOO_LONG
from fengqiao.geo.models import Grid, PoliceUnit


def category_label(category: Category) -> str:
    english = (get_language() or "").startswith("en")
    return (category.name_en if english and category.name_en else category.name) or category.code


def category_choices(*, public_only: bool = False, codes: bool = True) -> list[tuple[str, str]]:
    """The active categories as an indented tree (codes nest: a child's code extends its parent's),
    each labelled with its code for staff (``codes``) or its name alone for residents."""
    categories = Category.objects.filter(active=True).order_by("code")
    if public_only:
        categories = categories.filter(public=True)
    rows = list(categories)
    known = {c.code for c in rows}
    choices = []
    for category in rows:
        depth = sum(1 for other in known if other != category.code and category.code.startswith(other))
        label = f"{category.code} {category_label(category)}" if codes else category_label(category)
        choices.append((category.code, "\u2003" * depth + label))
    return choices


def staff_under(path: str):
    """Active staff posted at ``path`` or anywhere under it: who may be given the event."""
    below = path + "/"
    at = (
        Q(postings__grid__scope_path=path)
        | Q(postings__grid__scope_path__startswith=below)
        | Q(postings__unit__path=path)
        | Q(postings__unit__path__startswith=below)
    )
    return (
        get_user_model()
        .objects.filter(at, is_active=True, role__in=list(STAFF_ROLES))
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


class ReassignInput(Input):
    """Dispatch or reassign: another grid or unit (by path) and/or a person there."""

    holder_path = forms.CharField(label=_("Held by"), required=False, max_length=255)
    assignee = forms.IntegerField(label=_("Assignee"), required=False, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound or self.case is None:
            return
        event = self.case
        self.fields["holder_path"].widget = forms.Select(choices=holder_choices(event, self.user))
        self.fields["holder_path"].initial = event.holder_path
        people = [
            (u.pk, f"{u.full_name or u.username} · {u.get_role_display()}")
            for u in staff_under(event.holder_path)
        ]
        self.fields["assignee"].widget = forms.Select(choices=[("", _("— nobody in particular —")), *people])
        self.fields["assignee"].initial = event.assignee_id


class ReplyInput(Input):
    """The reply to the reporter, written at report-back (a draft), at the check or when the
    report is not taken up: what the reporter reads on the tracking page and in the SMS at
    closing. The step's note stays inside."""

    reply = forms.CharField(
        label=_("Reply to the reporter"),
        required=False,
        max_length=REPLY_MAX,
        error_messages={"max_length": TOO_LONG["reply"]},
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The reporter reads this. Internal notes go in the note below."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.case is not None:
            self.fields["reply"].initial = self.case.reply


class RateInput(Input):
    rating = forms.TypedChoiceField(
        label=_("How well was it handled?"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )


class MergeInput(Input):
    into = forms.CharField(
        label=_("Number of the original event"),
        max_length=32,
        widget=forms.TextInput(attrs={"list": "merge-candidates", "autocomplete": "off"}),
    )

    def suggestions(self) -> list:
        from fengqiao.events.actions import duplicate_candidates

        event = self.case
        return duplicate_candidates(event.category, event.lon, event.lat, user=self.user, exclude=event)


class RecategoriseInput(Input):
    category = forms.ChoiceField(label=_("New category"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        if self.case is not None:
            self.fields["category"].initial = self.case.category.code
