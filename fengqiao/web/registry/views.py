"""The registry's pages (一标三实): lists, record pages, forms, reveal, duties, statistics.

Thin, like every view here: read through the registry's selectors (always scoped), change through
its actions (which check the role, audit and keep history), render. A record outside the user's
scope is a 404 like a missing one; a record in scope that the role may not change is a 403.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.scoping import OutOfScope, get_visible_or_404
from fengqiao.registry import access, actions, selectors
from fengqiao.registry import stats as registry_stats
from fengqiao.registry.choices import RevealField
from fengqiao.registry.models import Address, CareTag, Employment, House, Organisation, Person, Residence
from fengqiao.registry.validators import InvalidValue
from fengqiao.web.registry import forms, rules
from fengqiao.web.registry import selectors as reads

PER_PAGE = 50
SUGGESTIONS = 10


def _require_registry(user) -> None:
    if not rules.may_use_registry(user):
        raise PermissionDenied


def _require_collector(user) -> None:
    if not rules.may_collect(user):
        raise PermissionDenied


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# ---------------------------------------------------------------------------------------------
# the record kinds


@dataclass(frozen=True)
class Kind:
    """What differs between the four record kinds' pages."""

    slug: str  # "person": url names registry_<slug>, registry_<slug>_new, …
    model: type
    plural: str
    create_label: str
    list_name: str
    filter_form: type
    form: type
    record: object  # the record action: record_<slug>(*, actor, data, <slug>=None)
    retire: object  # retire_<slug>(record, *, actor, reason)
    detail_related: tuple

    def list_url(self) -> str:
        return reverse(self.list_name)

    def detail_url(self, record) -> str:
        return reverse(f"registry_{self.slug}", args=[record.pk])


PERSON = Kind(
    slug="person",
    model=Person,
    plural=gettext_lazy("people"),
    create_label=gettext_lazy("Record a person"),
    list_name="registry_people",
    filter_form=forms.PersonFilterForm,
    form=forms.PersonForm,
    record=actions.record_person,
    retire=actions.retire_person,
    detail_related=("grid", "current_address", "collected_by"),
)
ADDRESS = Kind(
    slug="address",
    model=Address,
    plural=gettext_lazy("addresses"),
    create_label=gettext_lazy("Record an address"),
    list_name="registry_addresses",
    filter_form=forms.AddressFilterForm,
    form=forms.AddressForm,
    record=actions.record_address,
    retire=actions.retire_address,
    detail_related=("grid", "community__parent", "collected_by"),
)
HOUSE = Kind(
    slug="house",
    model=House,
    plural=gettext_lazy("houses"),
    create_label=gettext_lazy("Record a house"),
    list_name="registry_houses",
    filter_form=forms.HouseFilterForm,
    form=forms.HouseForm,
    record=actions.record_house,
    retire=actions.retire_house,
    detail_related=("grid", "address", "owner", "landlord", "collected_by"),
)
ORGANISATION = Kind(
    slug="organisation",
    model=Organisation,
    plural=gettext_lazy("organisations"),
    create_label=gettext_lazy("Record an organisation"),
    list_name="registry_organisations",
    filter_form=forms.OrganisationFilterForm,
    form=forms.OrganisationForm,
    record=actions.record_organisation,
    retire=actions.retire_organisation,
    detail_related=("grid", "address", "collected_by"),
)
KINDS = {kind.slug: kind for kind in (PERSON, ADDRESS, HOUSE, ORGANISATION)}


def _record(kind: Kind, user, pk: int):
    return get_visible_or_404(kind.model.objects.select_related(*kind.detail_related), user, pk=pk)


def _common(request, kind: Kind) -> dict:
    return {
        "kind": kind,
        "kind_plural": kind.plural,
        "list_url": kind.list_url(),
        "can_collect": rules.may_collect(request.user),
    }


# ---------------------------------------------------------------------------------------------
# the registry's front page: one search box over every kind


@require_GET
@login_required
def registry_home(request):
    _require_registry(request.user)
    query = request.GET.get("q", "").strip()[:100]
    results = reads.search_everything(request.user, query, limit=SUGGESTIONS) if query else None
    return render(
        request,
        "web/registry/home.html",
        {
            "query": query,
            "results": results,
            "can_collect": rules.may_collect(request.user),
        },
    )


# ---------------------------------------------------------------------------------------------
# lists


@require_GET
@login_required
def record_list(request, kind: str):
    kind = KINDS[kind]
    user = request.user
    _require_registry(user)
    form_kwargs = {"may_filter_tags": rules.may_view_care_tags(user)} if kind is PERSON else {}
    form = kind.filter_form(user, request.GET or None, **form_kwargs)
    filters = form.filters() if form.is_bound else {}
    listing = reads.filtered(kind.slug, user, filters)
    page = Paginator(listing.records, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        f"web/registry/{kind.slug}_list.html",
        {
            **_common(request, kind),
            "form": form,
            "page": page,
            "notice": listing.notice,
            "query": query.urlencode(),
            "filtered": any(name != "q" for name in filters),
            "create_url": reverse(f"registry_{kind.slug}_new"),
            "create_label": kind.create_label,
            "exports": reads.export_links(user, kind.slug, filters.get("grid")),
        },
    )


# ---------------------------------------------------------------------------------------------
# record pages


@require_GET
@login_required
def record_detail(request, kind: str, pk: int):
    kind = KINDS[kind]
    user = request.user
    record = _record(kind, user, pk)
    _require_registry(user)
    context = {
        **_common(request, kind),
        "record": record,
        kind.slug: record,
        "history": reads.history(user, record),
    }
    context.update(reads.detail_context(kind.slug, user, record))
    if kind is PERSON and access.may_see_access_history(user, record):
        context["access_history"] = access.access_history(user, record)
    return render(request, f"web/registry/{kind.slug}_detail.html", context)


# ---------------------------------------------------------------------------------------------
# create, edit, retire


def _save(request, kind: Kind, form, record=None):
    """Call the record action with the form's data; its refusals go on the form."""
    try:
        data = form.data_for_action()
        if record is not None and not data:
            messages.info(request, _("Nothing changed."))
            return record
        saved = kind.record(actor=request.user, data=data, **({kind.slug: record} if record else {}))
    except (ValidationError, InvalidValue) as error:
        form.add_action_errors(error)
    except OutOfScope:
        form.add_error(None, _("That would put the record outside your scope."))
    else:
        if record is None:
            messages.success(request, _("%(record)s recorded.") % {"record": saved})
        else:
            messages.success(request, _("%(record)s saved.") % {"record": saved})
        return saved
    return None


@require_http_methods(["GET", "POST"])
@login_required
def record_create(request, kind: str):
    kind = KINDS[kind]
    _require_collector(request.user)
    form = kind.form(request.user, request.POST or None, initial=reads.create_initial(kind.slug, request))
    if form.is_valid():
        saved = _save(request, kind, form)
        if saved is not None:
            return redirect(kind.detail_url(saved))
    return render(
        request,
        "web/registry/form.html",
        {
            **_common(request, kind),
            "form": form,
            "record": None,
            "title": kind.create_label,
            "cancel_url": kind.list_url(),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def record_edit(request, kind: str, pk: int):
    kind = KINDS[kind]
    record = _record(kind, request.user, pk)
    _require_collector(request.user)
    if record.retired_at is not None:
        messages.error(request, _("A retired record cannot be edited."))
        return redirect(kind.detail_url(record))
    form = kind.form(request.user, request.POST or None, record=record)
    if form.is_valid():
        saved = _save(request, kind, form, record)
        if saved is not None:
            return redirect(kind.detail_url(saved))
    return render(
        request,
        "web/registry/form.html",
        {
            **_common(request, kind),
            "form": form,
            "record": record,
            "title": _("Edit %(record)s") % {"record": record},
            "cancel_url": kind.detail_url(record),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def record_retire(request, kind: str, pk: int):
    kind = KINDS[kind]
    record = _record(kind, request.user, pk)
    _require_collector(request.user)
    if record.retired_at is not None:
        messages.info(request, _("This record is already retired."))
        return redirect(kind.detail_url(record))
    form = forms.RetireForm(request.POST or None)
    if form.is_valid():
        try:
            kind.retire(record, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("%(record)s retired.") % {"record": record})
            return redirect(kind.detail_url(record))
    return render(
        request,
        "web/registry/retire.html",
        {**_common(request, kind), "form": form, "record": record, "detail_url": kind.detail_url(record)},
    )


# ---------------------------------------------------------------------------------------------
# reveal an ID number or a phone, with a reason, audited


@require_http_methods(["GET", "POST"])
@login_required
def person_reveal(request, pk: int, field: str):
    if field not in RevealField.values:
        raise Http404
    person = get_visible_or_404(Person.objects, request.user, pk=pk)
    _require_registry(request.user)
    if not selectors.may_reveal(request.user, person):  # said before the reason is asked for
        raise PermissionDenied(_("Your role sees personal numbers masked only."))
    form = forms.RevealForm(request.POST or None)
    value = None
    if form.is_valid():
        try:
            value = actions.reveal_person_field(
                person, field, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
    context = {
        "person": person,
        "field": field,
        "field_label": RevealField(field).label,
        "masked": selectors.REVEALABLE[field](getattr(person, field)),
        "form": form,
        "value": value,
    }
    if _is_htmx(request):
        template = "web/registry/_revealed.html" if value else "web/registry/_reveal_form.html"
        return render(request, template, context)
    return render(request, "web/registry/reveal.html", context)


# ---------------------------------------------------------------------------------------------
# relations: residences, employments, care tags


def _relation_page(request, form, *, title, cancel_url, kind: Kind):
    return render(
        request,
        "web/registry/form.html",
        {**_common(request, kind), "form": form, "record": None, "title": title, "cancel_url": cancel_url},
    )


@require_http_methods(["GET", "POST"])
@login_required
def residence_create(request):
    user = request.user
    person = house = None
    if request.GET.get("person"):
        person = get_visible_or_404(Person.objects, user, pk=request.GET["person"])
    if request.GET.get("house"):
        house = get_visible_or_404(House.objects.select_related("address"), user, pk=request.GET["house"])
    if person is None and house is None:
        raise Http404
    _require_collector(user)
    form = forms.ResidenceForm(user, request.POST or None, person=person, house=house)
    back = _back(request, PERSON.detail_url(person) if person is not None else HOUSE.detail_url(house))
    if form.is_valid():
        try:
            actions.record_residence(actor=user, data=form.cleaned_data)
        except (ValidationError, InvalidValue) as error:
            form.add_action_errors(error)
        except OutOfScope:
            form.add_error(None, _("That would put the record outside your scope."))
        else:
            messages.success(request, _("Residence recorded."))
            return redirect(back)
    title = (
        _("Add a residence for %(person)s") % {"person": person}
        if person is not None
        else _("Add a resident to %(house)s") % {"house": house}
    )
    return _relation_page(request, form, title=title, cancel_url=back, kind=PERSON if person else HOUSE)


def _back(request, default: str) -> str:
    """Where to go after a relation form: the page it was opened from, if it is one of ours."""
    back = request.GET.get("next", "")
    return back if back.startswith("/") and not back.startswith("//") else default


@require_http_methods(["GET", "POST"])
@login_required
def relation_end(request, relation: str, pk: int):
    """End a residence (moved out) or an employment (left the organisation) on a date."""
    user = request.user
    if relation == "residence":
        record = get_visible_or_404(Residence.objects.select_related("person", "house__address"), user, pk=pk)
        end, default_back, title = actions.end_residence, HOUSE.detail_url(record.house), _("Moved out")
    else:
        record = get_visible_or_404(Employment.objects.select_related("person", "organisation"), user, pk=pk)
        end, default_back = actions.end_employment, ORGANISATION.detail_url(record.organisation)
        title = _("Left the organisation")
    _require_collector(user)
    back = _back(request, default_back)
    form = forms.EndRelationForm(request.POST or None, initial={"end_date": dt.date.today()})
    if form.is_valid():
        try:
            end(record, actor=user, end_date=form.cleaned_data["end_date"])
        except (ValidationError, InvalidValue) as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("%(relation)s ended.") % {"relation": record})
            return redirect(back)
    form.legend = str(record)
    return _relation_page(request, form, title=title, cancel_url=back, kind=PERSON)


@require_http_methods(["GET", "POST"])
@login_required
def employment_create(request):
    user = request.user
    person = organisation = None
    if request.GET.get("person"):
        person = get_visible_or_404(Person.objects, user, pk=request.GET["person"])
    if request.GET.get("organisation"):
        organisation = get_visible_or_404(Organisation.objects, user, pk=request.GET["organisation"])
    if person is None and organisation is None:
        raise Http404
    _require_collector(user)
    form = forms.EmploymentForm(user, request.POST or None, person=person, organisation=organisation)
    back = _back(
        request, PERSON.detail_url(person) if person is not None else ORGANISATION.detail_url(organisation)
    )
    if form.is_valid():
        try:
            actions.record_employment(actor=user, data=form.cleaned_data)
        except (ValidationError, InvalidValue) as error:
            form.add_action_errors(error)
        except OutOfScope:
            form.add_error(None, _("That would put the record outside your scope."))
        else:
            messages.success(request, _("Employment recorded."))
            return redirect(back)
    title = (
        _("Add a workplace for %(person)s") % {"person": person}
        if person is not None
        else _("Add staff to %(organisation)s") % {"organisation": organisation}
    )
    return _relation_page(
        request, form, title=title, cancel_url=back, kind=PERSON if person else ORGANISATION
    )


@require_http_methods(["GET", "POST"])
@login_required
def care_tag_create(request, pk: int):
    user = request.user
    person = get_visible_or_404(Person.objects, user, pk=pk)
    if not rules.may_view_care_tags(user):
        raise PermissionDenied
    form = forms.CareTagForm(request.POST or None)
    if form.is_valid():
        try:
            actions.tag_person(person, actor=user, **form.cleaned_data)
        except (ValidationError, InvalidValue) as error:
            form.add_action_errors(error)
        else:
            messages.success(request, _("Care tag added."))
            return redirect(PERSON.detail_url(person))
    return _relation_page(
        request,
        form,
        title=_("Add a care tag to %(person)s") % {"person": person},
        cancel_url=PERSON.detail_url(person),
        kind=PERSON,
    )


@require_POST
@login_required
def care_tag_remove(request, pk: int):
    user = request.user
    tag = get_visible_or_404(CareTag.objects.select_related("person"), user, pk=pk)
    if not rules.may_view_care_tags(user):
        raise PermissionDenied
    form = forms.RetireForm(request.POST)
    if form.is_valid():
        actions.untag_person(tag, actor=user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Care tag removed."))
    else:
        messages.error(request, _("Say why the tag is removed."))
    return redirect(PERSON.detail_url(tag.person))


# ---------------------------------------------------------------------------------------------
# floating-population duties and collection statistics


@require_GET
@login_required
def duties(request):
    _require_registry(request.user)
    return render(
        request,
        "web/registry/duties.html",
        {"duties": selectors.floating_duties(request.user)},
    )


@require_GET
@login_required
def statistics(request):
    user = request.user
    _require_registry(user)
    # Unasked, the page counts the last twelve months by the level under the user's posting.
    form = forms.StatisticsForm(request.GET or None, initial=reads.statistics_defaults(user))
    valid = form.is_valid() if form.is_bound else True
    choice = (form.cleaned_data if form.is_bound else form.initial) if valid else None
    result = None
    if choice is not None:
        try:
            result = reads.statistics(user, **{k: choice[k] for k in ("period", "start", "end", "by")})
        except ValueError as error:
            form.add_error(None, str(error))
    return render(
        request,
        "web/registry/statistics.html",
        {"form": form, "stats": result, "better": registry_stats.BETTER},
    )


# ---------------------------------------------------------------------------------------------
# the purpose of the work, and who read what


@require_http_methods(["GET", "POST"])
@login_required
def purpose(request):
    """State (or change) the purpose of the work: kept for the session, on every read's record."""
    _require_registry(request.user)
    current = access.session_purpose(request.session)
    initial = {"purpose": current.code, "note": current.note} if current else {}
    form = forms.PurposeForm(request.POST or None, initial=initial)
    asked = request.POST.get("next") or request.GET.get("next", "")
    next_url = asked if asked.startswith("/") and not asked.startswith("//") else reverse("registry_home")
    if form.is_valid():
        access.keep_purpose(request.session, form.cleaned_data["chosen"])
        return redirect(next_url)
    return render(request, "web/registry/purpose.html", {"form": form, "next": next_url, "current": current})


@require_GET
@login_required
def staff_reads_index(request):
    """For a station chief (county, city): the staff under them who read people this week."""
    _require_registry(request.user)
    if not access.may_review_reads(request.user, None):
        raise PermissionDenied
    return render(
        request, "web/registry/staff_reads_index.html", {"staff": access.staff_to_review(request.user)}
    )


@require_GET
@login_required
def staff_reads(request, pk: int):
    """Whom one member of staff read and why (their superiors only; anyone else: 404)."""
    staff = access.reviewable_staff_or_404(request.user, pk)  # 404 before 403, as for any record
    return render(
        request,
        "web/registry/staff_reads.html",
        {"staff": staff, "reads": access.staff_reads(request.user, staff)},
    )
