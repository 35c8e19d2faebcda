"""The menu: every module of the pages, the role check that opens it, and where it lives — once.

``base.html`` draws the modules the user may use (the ``menu`` context processor); a module's own
pages refuse the others with the house's 403 page (:func:`requires`), so what the menu offers and
what the pages let in cannot drift apart; the home page asks :func:`may` which figures to show.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, wraps

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from fengqiao.analytics.dashboard import may_see_command
from fengqiao.analytics.spatial import may_analyse
from fengqiao.core.notifications.selectors import unread_count
from fengqiao.core.roles import can_manage_postings
from fengqiao.core.scoping import is_staff
from fengqiao.disputes.actions import may_register as may_use_disputes
from fengqiao.duty.actions import may_see_rosters
from fengqiao.events.actions import may_take_in
from fengqiao.events.indicators import may_see_indicators
from fengqiao.outreach.actions import may_manage as may_do_outreach
from fengqiao.patrols.actions import is_volunteer, may_manage_teams, may_visit, may_watch_arrivals
from fengqiao.points.actions import may_keep_counter
from fengqiao.selfservice.selectors import may_see_bookings, may_work_on_certificates
from fengqiao.video.actions import may_patrol, may_use_video
from fengqiao.web.registry.rules import may_collect, may_use_registry


def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def _anonymous(user) -> bool:
    return not _signed_in(user)


def _not_staff(user) -> bool:
    """Residents and volunteers: the portal's pages instead of the staff's."""
    return _signed_in(user) and not is_staff(user)


def _django_staff(user) -> bool:
    return _signed_in(user) and user.is_staff


@dataclass(frozen=True)
class Module:
    """One entry of the menu: a page (``url_name``) or a group of pages (``children``)."""

    key: str
    label: str
    may: Callable[[object], bool]
    url_name: str = ""
    children: tuple["Module", ...] = ()
    exact: bool = False  # current only on its own address (the home page), not below it


STATISTICS = (
    Module("command", _("Command room"), may_see_command, "command"),
    Module("event_indicators", _("Event indicators"), may_see_indicators, "event_indicators"),
    Module("dispute_statistics", _("Mediation statistics"), may_use_disputes, "dispute_statistics"),
    Module("registry_statistics", _("Collection statistics"), may_use_registry, "registry_statistics"),
    Module("hotspots", _("Hotspot map"), may_analyse, "hotspot_map"),
    Module("near_repeat", _("Near repeats"), may_analyse, "near_repeat"),
)

MODULES: tuple[Module, ...] = (
    Module("home", _("Home"), _signed_in, "home", exact=True),
    Module("inbox", _("Inbox"), may_take_in, "inbox"),
    Module("events", _("Events"), may_take_in, "event_list"),
    Module("disputes", _("Disputes"), may_use_disputes, "dispute_list"),
    Module("directives", _("Directives"), is_staff, "directive_list"),
    Module("certificates", _("Certificates"), may_work_on_certificates, "certificate_list"),
    Module("bookings", _("Bookings"), may_see_bookings, "booking_day"),
    Module("grids", _("Grids"), is_staff, "grid_list"),
    Module("registry", _("Registry"), may_use_registry, "registry_home"),
    Module("patrols", _("Patrols"), may_manage_teams, "patrol_home"),
    Module("visits", _("Household visits"), may_visit, "patrol_visits"),
    Module("scene_arrivals", _("Officer at the scene"), may_watch_arrivals, "scene_arrivals"),
    Module("video", _("Cameras"), may_use_video, "camera_list"),
    Module("video_patrol", _("Video patrol"), may_patrol, "video_patrol_list"),
    Module("my_shifts", _("My shifts"), may_see_rosters, "my_shifts"),
    Module("duty", _("Duty rosters"), may_see_rosters, "roster_list"),
    Module("points_counter", _("Points counter"), may_keep_counter, "points_counter"),
    Module("points_report", _("Monthly points report"), may_keep_counter, "points_report"),
    Module("outreach", _("Reaching residents"), may_do_outreach, "outreach_groups"),
    Module(
        "statistics",
        _("Statistics"),
        lambda user: any(child.may(user) for child in STATISTICS),
        children=STATISTICS,
    ),
    Module("imports", _("Import"), may_collect, "import_index"),
    Module("staff", _("Staff"), can_manage_postings, "staff_list"),
    # volunteers of a team
    Module("patrol_go", _("Patrol"), is_volunteer, "patrol_go"),
    Module("patrol_record", _("My patrols"), is_volunteer, "patrol_record"),
    Module("points_mine", _("My points"), is_volunteer, "points_mine"),
    Module("points_ranking", _("Ranking board"), is_volunteer, "points_ranking"),
    # residents and volunteers
    Module("report", _("Report a problem"), _not_staff, "portal_report"),
    Module("my_reports", _("My reports"), _not_staff, "portal_my_reports"),
    Module("record_reads", _("Who read my record"), _not_staff, "portal_my_record_reads"),
    Module("certificate_apply", _("No-criminal-record certificate"), _not_staff, "certificate_apply"),
    Module("alerts", _("Safety alerts"), _not_staff, "portal_alerts"),
    # everyone signed in
    Module("notifications", _("Notifications"), _signed_in, "notification_list"),
    Module("admin", _("Administration"), _django_staff, "admin:index"),
    # visitors
    Module("public_report", _("Report a problem"), _anonymous, "portal_report"),
    Module("track", _("Follow a report"), _anonymous, "portal_track"),
    Module("public_certificate", _("No-criminal-record certificate"), _anonymous, "certificate_apply"),
    Module("register_camera", _("Register a camera"), _anonymous, "camera_register"),
    Module("login", _("Log in"), _anonymous, "login"),
)
_BY_KEY = {m.key: m for m in MODULES} | {c.key: c for m in MODULES for c in m.children}

_STAFF_ONLY = _("This page is for police staff. The menu has what you can do here.")

# Past this many entries a phone shows a menu button instead of every link.
PHONE_LINKS = 5


def may(user, key: str) -> bool:
    """Whether the user's role may use the module named ``key`` (a key of :data:`MODULES`)."""
    return _BY_KEY[key].may(user)


def requires(key: str):
    """A view of module ``key``: whoever the menu does not offer it to gets the 403 page.

    For the module's own pages (lists, maps, boards); a page of one record answers 404 outside
    the user's scope first, as every scoped page does."""
    module = _BY_KEY[key]

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not module.may(request.user):
                raise PermissionDenied(_STAFF_ONLY if not is_staff(request.user) else "")
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@dataclass
class Entry:
    """A module as the menu draws it for one request."""

    key: str
    label: str
    url: str = ""
    current: bool = False
    count: int = 0  # a badge (unread notifications)
    exact: bool = False
    children: list["Entry"] = field(default_factory=list)


class Menu:
    """What one user's menu holds; worked out when a template first reads it (a fragment that
    draws no menu costs nothing)."""

    def __init__(self, request):
        self.request = request
        self.user = getattr(request, "user", None)

    @cached_property
    def unread(self) -> int:
        return unread_count(self.user) if _signed_in(self.user) else 0

    @cached_property
    def entries(self) -> list[Entry]:
        path = self.request.path
        entries = [self._entry(m) for m in MODULES if m.may(self.user)]
        # The current module is the one whose address is the longest beginning of this page's.
        candidates = [e for e in self._leaves(entries) if _under(path, e)]
        if candidates:
            best = max(candidates, key=lambda e: len(e.url))
            best.current = True
            for entry in entries:
                entry.current = entry.current or best in entry.children
        return entries

    @property
    def collapses(self) -> bool:
        """Whether a phone gets a menu button rather than every link at once."""
        return len(self.entries) > PHONE_LINKS

    def _entry(self, module: Module) -> Entry:
        if module.children:
            children = [self._entry(c) for c in module.children if c.may(self.user)]
            return Entry(module.key, module.label, children=children)
        entry = Entry(module.key, module.label, reverse(module.url_name), exact=module.exact)
        if module.key == "notifications":
            entry.count = self.unread
        return entry

    @staticmethod
    def _leaves(entries):
        for entry in entries:
            yield from entry.children or [entry]


def _under(path: str, entry: Entry) -> bool:
    if entry.exact:
        return path == entry.url
    return path.startswith(entry.url)


def menu(request) -> dict:
    """Context processor: ``menu`` for ``base.html``."""
    return {"menu": Menu(request)}
