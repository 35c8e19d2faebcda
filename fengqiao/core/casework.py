"""The casework kernel: numbered cases moved through declared workflows by one engine.

Events, disputes and self-service applications are all cases: a record with a number, a status,
a holder (the grid or unit whose inbox has it), an optional assignee, a due time and an escalation
level. Each case type declares one :class:`Workflow` (its states, its transitions, who may take
each, the deadline of each step); :func:`apply` is the only way a case changes status. It checks
the move, writes the timeline entry and the audit entry, moves the deadline, and notifies (the
messages leave after commit). :func:`sweep` reminds cases nearing their limit and escalates the
overdue ones one rung up the police tree (grid → police district → station → county → city): the
holder's path loses its last segment.

Concurrency is optimistic: every case carries a version, the client says which version it saw,
and a move against an older one raises :class:`Conflict`; the row is locked while it moves, so two
moves never interleave.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connections, models, transaction
from django.db.models import F, Q, Value
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from fengqiao.core import audit, workcalendar
from fengqiao.core.models import CaseCounter, TimelineEntry
from fengqiao.core.notifications.actions import notify
from fengqiao.core.scoping import ScopedModel, is_below, is_under

TRANSITION = audit.register("case_transition", "moved a case")
PUBLIC_TRANSITION = audit.register(
    "case_transition_public", "moved a case by its tracking code", needs_actor=False
)
SWEEP = audit.register("case_sweep", "reminded and escalated overdue cases", needs_actor=False)

UNSCOPED_MOVE = "casework: the engine re-reads the case it moves under a lock"
UNSCOPED_SWEEP = "casework: the deadline sweep covers every open case"

# Levels of the ladder by the depth of the holder's path.
LEVELS = {1: "city", 2: "county", 3: "station", 4: "community", 5: "grid"}


class Conflict(Exception):
    """Someone else moved the case since the version the client saw."""

    def __init__(self, case, seen: int | None):
        self.case, self.seen = case, seen
        super().__init__(
            _("Case %(number)s was changed by someone else (version %(seen)s, now %(now)s): reload it.")
            % {"number": case.number, "seen": seen, "now": case.version}
        )


class NotAvailable(ValidationError):
    """The transition does not start from the case's status."""


Guard = Callable[[Any, "Case"], bool]  # (a user, the case)


@dataclass(frozen=True)
class State:
    name: str
    label: StrOrPromise
    open: bool = True


@dataclass(frozen=True)
class Move:
    """What an effect sees: who moves the case, when, with which note and the transition's parsed
    input. An effect that changes a row beside the case (an agreement, a session) says what it
    changed in ``before`` / ``after``: the move's audit entry carries it with the case's own change."""

    actor: object | None
    at: dt.datetime
    note: str
    data: dict
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)


class Input(forms.Form):
    """What a transition asks for beyond its note, declared once per transition (its typed schema).
    The engine parses every door's ``data`` with it; the pages render it as the step's fields.
    ``case`` and ``user`` let it offer choices (where the case may go, who may take it)."""

    def __init__(self, data=None, *, case=None, user=None, **kwargs):
        super().__init__(data, **kwargs)
        self.case, self.user = case, user

    def suggestions(self) -> list:
        """Cases to offer beside the fields (e.g. the originals a duplicate may be merged into)."""
        return []


@dataclass(frozen=True)
class Transition:
    name: str
    label: StrOrPromise
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (a note, a reassignment, an extension)
    allowed: Guard
    needs_note: bool = False
    public: bool = False  # may be taken without an account (a resident with a tracking code)
    effect: Callable[["Case", Move], object] | None = None
    input: type[Input] | None = None  # what the step asks for; None: nothing beyond the note
    restarts_clock: bool | None = None  # default: when the status changes
    # Separation of duties: not by whoever took the latest of these steps on the case (the one
    # who reported the work back does not pass its check).
    not_by: tuple[str, ...] = ()
    # Why the step cannot be taken on the case as it stands (None: it can), beyond its sources:
    # e.g. approving an extension nobody asked for. The step is not offered while it cannot be.
    possible: Callable[["Case"], StrOrPromise | None] | None = None


@dataclass
class Workflow:
    """The declaration of one case type's life."""

    case_type: str
    prefix: str
    model: type["Case"]
    states: list[State]
    transitions: list[Transition]
    initial: str
    # deadline(case, status, start) -> the due time of the step the case enters, or None
    deadline: Callable[["Case", str, dt.datetime], dt.datetime | None] = lambda case, status, start: None
    # recipients(case, transition) -> users told about the move
    recipients: Callable[["Case", Transition | None], Iterable] = lambda case, transition: ()
    # tell(case, transition, from_status, actor): what the case type says beyond the recipients'
    # message, in its own words (a reporter's, say), after a move the engine applied
    tell: Callable[["Case", Transition, str, Any], None] | None = None
    # How long a rung of the ladder gets after an escalation, and how early a reminder comes.
    escalation_limit: dt.timedelta = dt.timedelta(hours=24)
    # The cases whose limits count working hours on the calendar (a condition on the case row, or
    # all / none); the sweep gives an escalated case its new limit the way ``deadline`` does.
    working_hours: Q | bool = False
    remind_share: float = 0.2  # remind when this share of the step's time is left
    _by_name: dict = field(init=False, repr=False)

    def __post_init__(self):
        names = {s.name for s in self.states}
        self._by_name = {}
        for t in self.transitions:
            unknown = set(t.sources) - names | ({t.target} - names if t.target else set())
            if unknown:
                raise ValueError(f"{self.case_type}: transition {t.name} names unknown states {unknown}")
            if t.name in self._by_name:
                raise ValueError(f"{self.case_type}: transition {t.name} declared twice")
            self._by_name[t.name] = t
        if self.initial not in names:
            raise ValueError(f"{self.case_type}: unknown initial state {self.initial}")

    def reminder(self, start: dt.datetime, due: dt.datetime) -> dt.datetime:
        """When to remind of a limit running from ``start`` to ``due``: with ``remind_share`` of it left."""
        return due - (due - start) * self.remind_share

    def transition(self, name: str) -> Transition:
        try:
            return self._by_name[name]
        except KeyError:
            raise NotAvailable({"transition": [_("Unknown step: %(name)s.") % {"name": name}]}) from None

    def state(self, name: str) -> State:
        return next(s for s in self.states if s.name == name)

    @property
    def open_states(self) -> list[str]:
        return [s.name for s in self.states if s.open]

    def available(self, case: "Case", user) -> list[Transition]:
        """The transitions this user may take on this case now: from its status, allowed to the
        user (separation of duties included) and possible as the case stands."""
        return [
            t
            for t in self.transitions
            if case.status in t.sources
            and user is not None
            and refusal(t, user, case) is None
            and (t.possible is None or t.possible(case) is None)
        ]


_WORKFLOWS: dict[str, Workflow] = {}


def register(workflow: Workflow) -> None:
    """Make ``workflow`` its model's, and the sweep's and the inbox's: each app's ``ready()`` calls it."""
    known = _WORKFLOWS.get(workflow.case_type)
    if known is not None and known is not workflow:
        raise ValueError(f"{workflow.case_type}: a workflow is registered already")
    _WORKFLOWS[workflow.case_type] = workflow
    workflow.model.workflow = workflow


def workflows() -> dict[str, Workflow]:
    return dict(_WORKFLOWS)


class Case(ScopedModel):
    """What every case type shares. Its :class:`Workflow` names the model and sets ``workflow``."""

    workflow: Workflow

    number = models.CharField(gettext_lazy("number"), max_length=32, unique=True)
    status = models.CharField(gettext_lazy("status"), max_length=24, db_index=True)
    version = models.PositiveIntegerField(gettext_lazy("version"), default=1)
    holder_path = models.CharField(gettext_lazy("held by"), max_length=255, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("assignee"),
    )
    level = models.PositiveSmallIntegerField(gettext_lazy("escalations"), default=0)
    opened_at = models.DateTimeField(gettext_lazy("opened"), db_index=True)
    step_started_at = models.DateTimeField(gettext_lazy("step started"))
    due_at = models.DateTimeField(gettext_lazy("due"), null=True, blank=True, db_index=True)
    remind_at = models.DateTimeField(gettext_lazy("reminder due"), null=True, blank=True)
    reminded = models.BooleanField(gettext_lazy("reminded"), default=False)
    missed_deadlines = models.PositiveSmallIntegerField(gettext_lazy("deadlines missed"), default=0)
    closed_at = models.DateTimeField(gettext_lazy("closed"), null=True, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.workflow.state(self.status).open

    @property
    def status_label(self) -> str:
        return str(self.workflow.state(self.status).label)

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due_at is not None and self.due_at <= timezone.now()

    @property
    def holder_level(self) -> str:
        return LEVELS.get(self.holder_path.count("/") + 1, "")

    def timeline(self):
        return TimelineEntry.objects.filter(case_type=self.workflow.case_type, case_id=self.pk).order_by("id")


def case_models() -> list[type[Case]]:
    return [w.model for w in _WORKFLOWS.values()]


# ---------------------------------------------------------------------------------------------
# guards: who may take a transition


def roles(*names: str) -> Guard:
    """Users of these roles whose scope covers the case."""
    allowed = set(names)
    return lambda user, case: user.is_superuser or (user.role in allowed and case.is_visible_to(user))


def holder(*, also: Iterable[str] = ()) -> Guard:
    """The assignee, anyone posted where the case is held or above it, and roles in ``also``."""
    extra = set(also)

    def guard(user, case):
        if user.is_superuser or case.assignee_id == user.pk or user.role in extra:
            return True
        return any(is_under(case.holder_path, p) for p in user.scope_paths())

    return guard


def above_holder(user, case) -> bool:
    """Someone posted strictly above the holder: who approves what the holder asks for."""
    if user.is_superuser:
        return True
    return any(is_below(case.holder_path, p) for p in user.scope_paths())


def either(*guards: Guard) -> Guard:
    return lambda user, case: any(g(user, case) for g in guards)


# ---------------------------------------------------------------------------------------------
# steps every case type shares


def extension_steps(
    sources: tuple[str, ...],
    *,
    allowed: Guard,
    asks: str,
    pending: str,
    unit: dt.timedelta,
    most: int,
    label,
    granted: Callable[["Case", int], None] | None = None,
) -> list[Transition]:
    """Request, approve and refuse more time for the step a case is in, the same for every case
    type. Whoever may work on the case asks for ``asks`` more ``unit``s (kept in its ``pending``
    field) with a reason; someone above the holder approves it (the limit moves by that much, and
    ``granted(case, amount)`` hears of it) or refuses it with a reason."""
    field_ = forms.IntegerField(label=label, min_value=1, max_value=most)
    ask = type("ExtensionInput", (Input,), {asks: field_})

    def request(case, move: Move) -> None:
        setattr(case, pending, move.data[asks])

    def requested(case) -> StrOrPromise | None:
        return None if getattr(case, pending) else gettext_lazy("No extension has been requested.")

    def decided(case) -> int:
        amount = getattr(case, pending)
        if not amount:
            raise ValidationError({"transition": [_("No extension has been requested.")]})
        setattr(case, pending, None)
        return amount

    def approve(case, move: Move) -> None:
        amount = decided(case)
        if granted is not None:
            granted(case, amount)
        if case.due_at is not None:
            case.due_at += unit * amount
            case.remind_at = case.workflow.reminder(case.step_started_at, case.due_at)
            case.reminded = False

    T = Transition
    return [
        T(
            "request_extension",
            gettext_lazy("request an extension"),
            sources,
            None,
            allowed,
            needs_note=True,
            effect=request,
            input=ask,
        ),
        T(
            "approve_extension",
            gettext_lazy("approve the extension"),
            sources,
            None,
            above_holder,
            effect=approve,
            possible=requested,
        ),
        T(
            "refuse_extension",
            gettext_lazy("refuse the extension"),
            sources,
            None,
            above_holder,
            needs_note=True,
            effect=lambda case, move: decided(case),
            possible=requested,
        ),
    ]


def _permitted(t: Transition, user, case) -> bool:
    """Guards decide scope themselves: a reporter may rate a case they cannot otherwise see."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return t.allowed(user, case)


def refusal(t: Transition, user, case: "Case") -> str | None:
    """Why ``user`` may not take ``t`` on ``case`` (None: they may): the transition's guard, then
    its separation of duties (``not_by``). The one permission check of the pages, the API and
    the engine, so a step refused here is neither offered nor taken."""
    if not _permitted(t, user, case):
        return _("You may not %(step)s this case.") % {"step": t.label}
    return duty_refusal(t, user, case)


def duty_refusal(t: Transition, user, case: "Case") -> str | None:
    """Why ``t`` is someone else's because ``user`` took the latest of its ``not_by`` steps on
    ``case`` (None: it is not)."""
    if not t.not_by or user is None:
        return None
    last = (
        case.timeline()
        .filter(transition__in=t.not_by)
        .order_by("-id")
        .values_list("actor_id", "transition")
        .first()
    )
    if last is None or last[0] != user.pk:
        return None
    done = case.workflow.transition(last[1]).label
    return _("You took the step “%(done)s” yourself, so someone else must take “%(step)s”.") % {
        "done": done,
        "step": t.label,
    }


# ---------------------------------------------------------------------------------------------
# numbers


def number(prefix: str, county: str, day: dt.date, n: int) -> str:
    """The ``n``-th number of a case type, county and day: ``E-640302-20261129-0007``."""
    return f"{prefix}-{county}-{day:%Y%m%d}-{n:04d}"


def next_number(prefix: str, county: str, day: dt.date) -> str:
    """``E-640302-20261129-0007``: unique per case type, county and day, readable on the phone."""
    counter = CaseCounter.objects.filter(prefix=prefix, county=county, day=day)
    with transaction.atomic(savepoint=False):
        if not counter.update(last=F("last") + 1):  # the first case of this type, county and day
            try:
                with transaction.atomic():
                    CaseCounter.objects.create(prefix=prefix, county=county, day=day, last=1)
                return number(prefix, county, day, 1)
            except IntegrityError:  # another writer created it first
                counter.update(last=F("last") + 1)
        last = counter.values_list("last", flat=True).get()  # the row is ours until commit
    return number(prefix, county, day, last)


# ---------------------------------------------------------------------------------------------
# the engine


def open_case(
    case: Case,
    *,
    actor,
    county: str,
    note: str = "",
    data: dict | None = None,
    at=None,
    clock_from=None,
    quiet: bool = False,
    record: Callable[["Case"], object] | None = None,
) -> Case:
    """Number and save a new case in its workflow's initial state, with its first timeline entry,
    in one transaction; ``record(case)`` runs inside it last (the creating action's audit entry).
    Call it outside any transaction, so the reads before it hold no lock.

    ``at`` is when it happened (a past time for imported cases); its first limit runs from
    ``clock_from`` (default: ``at``), e.g. from the import for a past incident. ``quiet`` keeps a
    bulk intake from sending one message per case."""
    workflow = case.workflow
    now = at or timezone.now()
    start = clock_from or now
    case.status = workflow.initial
    case.opened_at = now
    case.step_started_at = start
    # Reads first: a busy intake holds the day's counter (and then the audit chain) only for
    # the inserts.
    _set_deadline(case, workflow, start)
    recipients = [] if quiet else _recipients(case, None, actor)
    with transaction.atomic():
        case.number = next_number(workflow.prefix, county, timezone.localdate(now))
        case.save(force_insert=True)
        _timeline(case, actor, "open", "", case.status, note, data or {}, now)
        _send(case, None, recipients)
        if record is not None:
            record(case)
    return case


def apply(
    case: Case,
    name: str,
    *,
    actor,
    version: int | None,
    note: str = "",
    data: dict | None = None,
    at: dt.datetime | None = None,
) -> Case:
    """Take transition ``name`` on ``case`` as ``actor``, against the version the client saw.

    Returns the moved case (a fresh instance). Raises PermissionDenied, NotAvailable (not from
    this status), ValidationError (a missing note, or what the effect rejects) or Conflict.
    """
    workflow = case.workflow
    t = workflow.transition(name)
    note = (note or "").strip()
    now = at or timezone.now()
    model = type(case)
    with transaction.atomic():
        fresh = model.objects.unscoped(reason=UNSCOPED_MOVE).select_for_update().get(pk=case.pk)
        if version is not None and fresh.version != version:
            raise Conflict(fresh, version)
        if actor is None and not t.public:
            raise PermissionDenied(_("Log in to do this."))
        if actor is not None and (why := refusal(t, actor, fresh)) is not None:
            raise PermissionDenied(why)
        if fresh.status not in t.sources:
            raise NotAvailable(
                {
                    "transition": [
                        _("“%(step)s” is not possible while the case is %(status)s.")
                        % {"step": t.label, "status": fresh.status_label}
                    ]
                }
            )
        if t.possible is not None and (why_not := t.possible(fresh)) is not None:
            raise NotAvailable({"transition": [str(why_not)]})
        if t.needs_note and not note:
            raise ValidationError({"note": [_("Say why: a note is required for this step.")]})
        values = parse_input(t, data, fresh, actor)
        before = audit.snapshot(fresh)
        from_status = fresh.status
        if t.target:
            fresh.status = t.target
        move = Move(actor, now, note, values)
        if t.effect:
            t.effect(fresh, move)
        restart = t.restarts_clock if t.restarts_clock is not None else fresh.status != from_status
        if restart:
            fresh.step_started_at = now
            _set_deadline(fresh, workflow, now)
        fresh.closed_at = None if workflow.state(fresh.status).open else (fresh.closed_at or now)
        fresh.version += 1
        fresh.save()
        _timeline(fresh, actor, t.name, from_status, fresh.status, note, _given(values), now)
        changed_before, changed_after = audit.diff(before, audit.snapshot(fresh))
        audit.record(
            TRANSITION if actor is not None else PUBLIC_TRANSITION,
            fresh,
            actor=actor,
            before={**changed_before, **move.before},
            after={**changed_after, **move.after, "transition": t.name},
            reason=note,
        )
        _notify(fresh, t, actor)
        if workflow.tell is not None:
            workflow.tell(fresh, t, from_status, actor)
    return fresh


def _given(values: dict) -> dict:
    """A move's input as its timeline entry keeps it: what was given, records by their ids."""
    return {k: getattr(v, "pk", v) for k, v in values.items() if v not in (None, "")}


def parse_input(t: Transition, data: dict | None, case: Case, user) -> dict:
    """The transition's input, parsed and checked by its declared schema; errors name the field."""
    if t.input is None:
        return {}
    form = t.input(data or {}, case=case, user=user)
    if not form.is_valid():
        errors = form.errors.as_data()
        errors["transition"] = errors.pop("__all__", [])
        raise ValidationError({k: v for k, v in errors.items() if v})
    return form.cleaned_data


def _set_deadline(case: Case, workflow: Workflow, start: dt.datetime) -> None:
    due = workflow.deadline(case, case.status, start) if workflow.state(case.status).open else None
    case.due_at = due
    case.reminded = False
    case.remind_at = None if due is None else workflow.reminder(start, due)


def _timeline(case, actor, transition, from_status, to_status, note, data, at) -> TimelineEntry:
    entry = timeline_entry(case, actor, transition, from_status, to_status, note, data, at)
    entry.save(force_insert=True)
    return entry


def timeline_entry(case, actor, transition, from_status, to_status, note, data, at) -> TimelineEntry:
    """The timeline row of a move (unsaved): who, when, from which status to which, the holder
    after it, the note and the move's input."""
    known = actor is not None and actor.is_authenticated
    return TimelineEntry(
        case_type=case.workflow.case_type,
        case_id=case.pk,
        at=at,
        actor_id=actor.pk if known else None,
        actor_label=actor.get_username() if known else "",
        transition=transition,
        from_status=from_status,
        to_status=to_status,
        holder_path=case.holder_path,
        note=note,
        data=(audit.to_json(data) or {}) if data else {},
    )


def _notify(case: Case, transition: Transition | None, actor) -> None:
    """Tell the recipients the workflow names, never the one who acted: the in-app messages commit
    with the move, the SMS / WeCom / e-mail deliveries are queued after commit."""
    _send(case, transition, _recipients(case, transition, actor))


def _recipients(case: Case, transition: Transition | None, actor) -> list:
    return [u for u in case.workflow.recipients(case, transition) if actor is None or u.pk != actor.pk]


def _send(case: Case, transition: Transition | None, users: list) -> None:
    if not users:
        return
    # A whole sentence in the catalogue (numbers first: lists and tests find a case's messages by it).
    if transition is None:
        title = _("%(number)s: a new %(kind)s") % {"number": case.number, "kind": case._meta.verbose_name}
    else:
        title = _("%(number)s: %(step)s") % {"number": case.number, "step": transition.label}
    notify(
        users,
        kind=case.workflow.case_type,
        title=title,
        body=str(getattr(case, "title", "") or ""),
        link=case.get_absolute_url() if hasattr(case, "get_absolute_url") else "",
        scope_path=case.holder_path,
    )


# ---------------------------------------------------------------------------------------------
# the bulk path: lives played in memory


class Numbers:
    """Numbers of one prefix handed out in memory, in :func:`next_number`'s format, for a bulk load;
    :meth:`save` then leaves the counters where the engine's next number follows them."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.last: dict[tuple[str, dt.date], int] = {}

    def next(self, county: str, day: dt.date) -> str:
        n = self.last[county, day] = self.last.get((county, day), 0) + 1
        return number(self.prefix, county, day, n)

    def save(self) -> int:
        """Write the counters (raising those of the days the load numbered); returns how many."""
        counters = [
            CaseCounter(prefix=self.prefix, county=county, day=day, last=last)
            for (county, day), last in sorted(self.last.items())
        ]
        CaseCounter.objects.bulk_create(
            counters,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=["prefix", "county", "day"],
            update_fields=["last"],
        )
        return len(counters)


class BulkLoad:
    """Cases of one workflow made in bulk (the demo city's past): their numbers, and whether each
    counts its limits in working hours, asked once per kind of case."""

    def __init__(self, workflow: Workflow):
        self.workflow = workflow
        self.numbers = Numbers(workflow.prefix)
        self._working: dict[tuple, bool] = {}

    def open(self, case: Case, *, county: str, actor, at: dt.datetime, note: str = "", data=None) -> "Life":
        """The case opened at ``at``, as :func:`open_case` opens it; its life goes on in memory."""
        case.number = self.numbers.next(county, timezone.localdate(at))
        return Life(self, case, actor=actor, at=at, note=note, data=data)

    def works_hours(self, case: Case) -> bool:
        """Whether the case's limits count working hours: ``workflow.working_hours`` asked of the
        case's own values (``Q.check``), once per combination of the values it names."""
        rule = self.workflow.working_hours
        if isinstance(rule, bool):
            return rule
        names = sorted(_fields_named(rule))
        values = {name: case.serializable_value(name) for name in names}
        key = tuple(values.values())
        if key not in self._working:
            self._working[key] = rule.check(values)
        return self._working[key]


def _fields_named(q: Q) -> set[str]:
    """The case fields a condition's lookups start from."""
    names: set[str] = set()
    for child in q.children:
        if isinstance(child, Q):
            names |= _fields_named(child)
        elif isinstance(child, tuple):
            names.add(child[0].split("__")[0])
    return names


class Life:
    """One case's life played in memory: the engine's bulk path, for cases made by the thousand
    (the demo city's two years), where a transaction per move would take hours.

    Each move is taken as :func:`apply` takes it: the transition must start from the case's
    status and have its note; the status goes to its target; the clock restarts as the
    transition declares, with the next limit from the workflow's ``deadline`` (the working
    calendar); ``closed_at`` and the version follow; the timeline row is :func:`timeline_entry`'s.
    :meth:`overdue` is the deadline sweep's escalation, one rung up. What is skipped: permission
    checks, notifications and the audit entry of each move (the caller records one entry for the
    whole load), and effects that need the database (they write rows beside the case, which the
    caller writes in bulk itself): such a move states what its effect sets on the case
    (``sets``); a move without ``sets`` runs its transition's declared effect on the case in memory.
    ``entries`` are the timeline rows, unsaved, for the case (its ``pk`` set) once it is written."""

    def __init__(self, load: BulkLoad, case: Case, *, actor, at: dt.datetime, note: str = "", data=None):
        self.load, self.case, self.workflow = load, case, load.workflow
        case.status = self.workflow.initial
        case.opened_at = case.step_started_at = at
        _set_deadline(case, self.workflow, at)
        self.at = at
        self.entries = [timeline_entry(case, actor, "open", "", case.status, note, data or {}, at)]

    @property
    def status(self) -> str:
        return self.case.status

    def move(
        self,
        name: str,
        *,
        at: dt.datetime,
        actor=None,
        note: str = "",
        data: dict | None = None,
        sets: dict | None = None,
    ) -> "Life":
        """Take transition ``name`` at ``at`` (not before the previous move)."""
        case, workflow = self.case, self.workflow
        t = workflow.transition(name)
        if case.status not in t.sources:
            raise NotAvailable({"transition": [f"{case.number}: {name} is not possible from {case.status}"]})
        if t.needs_note and not note.strip():
            raise ValidationError({"note": [f"{case.number}: {name} needs a note"]})
        if t.not_by and actor is not None:  # the separation of duties of duty_refusal
            last = next((e for e in reversed(self.entries) if e.transition in t.not_by), None)
            if last is not None and last.actor_id == actor.pk:
                raise PermissionDenied(f"{case.number}: {name} by the one who took {last.transition}")
        self._at(at)
        data = data or {}
        from_status = case.status
        if t.target:
            case.status = t.target
        if sets is not None:
            for attname, value in sets.items():
                setattr(case, attname, value)
        elif t.effect:
            t.effect(case, Move(actor, at, note.strip(), data))
        restart = t.restarts_clock if t.restarts_clock is not None else case.status != from_status
        if restart:
            case.step_started_at = at
            _set_deadline(case, workflow, at)
        case.closed_at = None if workflow.state(case.status).open else (case.closed_at or at)
        case.version += 1
        self.entries.append(
            timeline_entry(case, actor, name, from_status, case.status, note, _given(data), at)
        )
        return self

    def overdue(self, at: dt.datetime) -> "Life":
        """The deadline sweep at ``at`` finds the case past its limit: one rung up (the city keeps
        its own), a missed deadline, the escalation limit (see :func:`sweep`)."""
        case = self.case
        if not case.is_open or case.due_at is None or case.due_at > at:
            raise NotAvailable({"transition": [f"{case.number} is not overdue at {at}"]})
        self._at(at)
        below = case.holder_path
        if "/" in below:
            case.holder_path, case.level = _parent(below), case.level + 1
        case.due_at, case.remind_at = escalation_due(self.workflow, at, working=self.load.works_hours(case))
        case.reminded = False
        case.step_started_at = at
        case.missed_deadlines += 1
        case.version += 1
        self.entries.append(
            timeline_entry(case, None, "escalate", case.status, case.status, "", {"from": below}, at)
        )
        return self

    def _at(self, at: dt.datetime) -> None:
        if at < self.at:
            raise ValueError(f"{self.case.number}: a move at {at} comes before the one at {self.at}")
        self.at = at

    def rows(self) -> list[TimelineEntry]:
        """The timeline rows, pointing at the case (whose ``pk`` is set by now)."""
        for entry in self.entries:
            entry.case_id = self.case.pk
        return self.entries


# ---------------------------------------------------------------------------------------------
# inbox


def inbox_q(user) -> Q:
    """What is the user's to do: cases assigned to them, or held where they are posted."""
    paths = list(user.scope_paths())
    return Q(assignee=user) | Q(holder_path__in=paths)


def inbox(user) -> list[Case]:
    """Every open case, of every type, that is the user's to do, most urgent first."""
    cases = []
    for model in case_models():
        qs = model.objects.visible_to(user).filter(inbox_q(user), status__in=model.workflow.open_states)
        cases.extend(qs.select_related("assignee"))
    far = timezone.now() + dt.timedelta(days=3650)
    return sorted(cases, key=lambda c: (c.due_at or far, c.opened_at))


# ---------------------------------------------------------------------------------------------
# the deadline sweep


@dataclass
class SweepReport:
    reminded: int = 0
    escalated: int = 0
    cases: list = field(default_factory=list)

    def __bool__(self):
        return bool(self.reminded or self.escalated)

    def __str__(self):
        return f"{self.reminded} reminded, {self.escalated} escalated"


def parent_sql(column: str) -> str:
    """SQL (SQLite and PostgreSQL alike) for the path in ``column`` one rung up; the city's own
    path stays (there is nowhere higher). RTRIM with the set of every character but '/' strips the
    last segment, then the trailing slash goes."""
    head = f"RTRIM({column}, REPLACE({column}, '/', ''))"
    return f"CASE WHEN {head} = '' THEN {column} ELSE SUBSTR({head}, 1, LENGTH({head}) - 1) END"


def sweep(now: dt.datetime | None = None) -> SweepReport:
    """Remind the cases nearing their limit; escalate the overdue ones one rung up.

    Set-based, so it keeps up with every open case of the city each minute: one UPDATE per case
    type and kind of change, the timeline rows in bulk, one audit entry and one notification per
    holder. Cases held by the city itself stay there (there is nowhere higher), but still count
    a missed deadline and get a fresh limit.
    """
    now = now or timezone.now()
    report = SweepReport()
    with transaction.atomic():
        for model in case_models():
            _sweep_model(model, now, report)
        if report.reminded or report.escalated:
            audit.record(
                SWEEP,
                None,
                object_type="casework",
                object_repr=_("deadline sweep"),
                after={
                    "reminded": report.reminded,
                    "escalated": report.escalated,
                    "cases": report.cases[:1000],
                },
            )
    return report


def _sweep_model(model: type[Case], now: dt.datetime, report: SweepReport) -> None:
    workflow = model.workflow
    open_cases = model.objects.unscoped(reason=UNSCOPED_SWEEP).filter(status__in=workflow.open_states)
    told: dict[str, set] = {}

    # Each UPDATE repeats its condition and changes only the rows the locked read found.
    due_soon = open_cases.filter(reminded=False, remind_at__lte=now, due_at__gt=now)
    for rows in _locked_chunks(due_soon):
        ids = [r[0] for r in rows]
        insert_timeline(model, ids, "remind", now)
        due_soon.filter(pk__in=ids).update(reminded=True)
        for _pk, number, path, _status in rows:
            told.setdefault(path, set()).add(number)
            report.cases.append(number)
        report.reminded += len(rows)

    overdue = open_cases.filter(due_at__lte=now)
    due, remind = _escalation_limit(workflow, now)
    holder = connections[overdue.db].ops.quote_name("holder_path")
    # A case the city holds stays there (there is nowhere higher) but still misses a limit.
    below_top = Q(holder_path__contains="/")
    for rows in _locked_chunks(overdue):
        ids = [r[0] for r in rows]
        insert_timeline(model, ids, "escalate", now, escalate=True)
        overdue.filter(pk__in=ids).update(
            holder_path=RawSQL(parent_sql(holder), (), output_field=models.CharField()),
            level=models.Case(
                models.When(below_top, then=F("level") + 1),
                default=F("level"),
                output_field=models.PositiveSmallIntegerField(),
            ),
            due_at=due,
            remind_at=remind,
            reminded=False,
            step_started_at=now,
            missed_deadlines=F("missed_deadlines") + 1,
            version=F("version") + 1,
        )
        for _pk, number, path, _status in rows:
            told.setdefault(_parent(path), set()).add(number)
            report.cases.append(number)
        report.escalated += len(rows)

    _tell_holders(workflow, told)


def _locked_chunks(cases, size: int = 50_000):
    """The rows (pk, number, holder path, status) of ``cases``, locked until commit, in chunks
    whose id lists stay under SQLite's bound-parameter limit. A sweep running at the same time in
    another worker waits for the lock, then no longer finds the rows this one moved."""
    rows = list(cases.select_for_update().order_by("pk").values_list("pk", "number", "holder_path", "status"))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def escalation_due(workflow: Workflow, now: dt.datetime, *, working: bool) -> tuple[dt.datetime, dt.datetime]:
    """The due time and reminder of the rung a case escalated at ``now`` climbs to."""
    due = workcalendar.deadline(now, workflow.escalation_limit / dt.timedelta(hours=1), working=working)
    return due, workflow.reminder(now, due)


def _escalation_limit(workflow: Workflow, now: dt.datetime):
    """The due time and reminder of the rung an escalated case climbs to, counted as its steps'
    limits are: on the working calendar for the cases ``workflow.working_hours`` selects, in
    clock hours for the others."""

    def limit(working: bool):
        due, remind = escalation_due(workflow, now, working=working)
        return Value(due), Value(remind)

    if isinstance(workflow.working_hours, bool):
        return limit(workflow.working_hours)
    (due_working, remind_working), (due_clock, remind_clock) = limit(True), limit(False)
    return (
        models.Case(models.When(workflow.working_hours, then=due_working), default=due_clock),
        models.Case(models.When(workflow.working_hours, then=remind_working), default=remind_clock),
    )


def _parent(path: str) -> str:
    """Where an escalation takes a case held at ``path`` (the city keeps its own)."""
    return path.rsplit("/", 1)[0]


def insert_timeline(model: type[Case], ids: list, transition: str, at, *, escalate: bool = False) -> None:
    """The sweep's timeline entries, one per case of ``model`` in ``ids``, by one INSERT ... SELECT
    from the case rows: the sweep's one raw statement (docs/adr/0004-sweep-timeline-insert.md), as
    bulk_create of the same 100,000 entries costs about ten times as much on SQLite and four times
    on PostgreSQL. An escalation's entry names the holder one rung up and, in ``data``, the one it
    comes from."""
    connection = connections[model.objects.db]
    quote = connection.ops.quote_name
    field = {f.name: f for f in TimelineEntry._meta.concrete_fields}
    holder, status, pk = quote("holder_path"), quote("status"), quote(model._meta.pk.column)
    json_object = "json_object" if connection.vendor == "sqlite" else "jsonb_build_object"
    select = {
        "case_type": "%s",
        "case_id": pk,
        "at": "%s",
        "actor_label": "''",
        "transition": "%s",
        "from_status": status,
        "to_status": status,
        "holder_path": parent_sql(holder) if escalate else holder,
        "note": "''",
        "data": f"{json_object}('from', {holder})" if escalate else "%s",
    }
    params = [model.workflow.case_type, field["at"].get_db_prep_save(at, connection), transition]
    if not escalate:
        params.append(field["data"].get_db_prep_save({}, connection))
    columns = ", ".join(quote(field[name].column) for name in select)
    into = f"{quote(TimelineEntry._meta.db_table)} ({columns})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {into} SELECT {', '.join(select.values())} FROM {quote(model._meta.db_table)} "
            f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))})",
            [*params, *ids],
        )


def _tell_holders(workflow: Workflow, told: dict[str, set]) -> None:
    """One message per holder and sweep, listing its cases, not one per case."""
    if not told:
        return
    from django.contrib.auth import get_user_model

    for path, numbers in told.items():
        notify(
            list(get_user_model().posted_at(path)),
            kind=f"{workflow.case_type}_deadline",
            title=_("%(count)s cases need attention") % {"count": len(numbers)},
            body=", ".join(sorted(numbers)[:50]),
            scope_path=path,
        )
