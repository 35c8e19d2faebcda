"""Household visits (百万警进千万家) and the officer at the scene (发案必到现场): the week's quota
counts distinct homes and businesses, the must-visit list comes from the registry (elderly living
alone, care groups, rented homes, special trades) and its read is audited with its purpose, a
visit's finding reaches the grid's inbox, only the district's officer records arrival at a criminal
case, and late arrivals are listed for the station, each page through the scoping matrix."""

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.core import casework
from fengqiao.core.models import AuditEntry
from fengqiao.core.roles import Role
from fengqiao.core.scoping import OutOfScope
from fengqiao.events.models import Event
from fengqiao.patrols import actions, indicators, selectors
from fengqiao.patrols.actions import VisitData
from fengqiao.patrols.models import Arrival, Visit
from fengqiao.registry.choices import CareTagKind
from fengqiao.registry.models import CareTag, House, ReadLog
from tests.conftest import make_user
from tests.fixtures.matrix import VISIBLE, ScopedRoutes, ScopingMatrix
from tests.fixtures.registry import (
    make_address,
    make_house,
    make_organisation,
    make_person,
    make_residence,
    valid_id_number,
)

pytestmark = pytest.mark.django_db


def with_care_permission(user) -> User:
    user.user_permissions.add(
        Permission.objects.get(codename="view_caretag", content_type__app_label="registry")
    )
    return User.objects.get(pk=user.pk)


def household(actor, house, met="户主", **extra) -> Visit:
    return actions.record_visit(VisitData(target="household", house=house, met=met, **extra), actor=actor)


@pytest.fixture
def homes(personas):
    """In grid A: an elderly woman living alone, a home of someone in a care group, a rented home,
    an ordinary family's home and a hotel; in grid B a rented home."""
    t = personas.territory
    h = {}
    h["elderly"] = make_house(make_address(t.grid_a), occupant_count=1)
    old = make_person(
        h["elderly"].address, id_number=valid_id_number(birth=dt.date(1940, 5, 1)), name="马奶奶"
    )
    make_residence(old, h["elderly"], "owner")
    h["care"] = make_house(make_address(t.grid_a), occupant_count=2)
    tagged = make_person(h["care"].address, name="丁某")
    CareTag.objects.create(person=tagged, kind=CareTagKind.COMMUNITY_CORRECTION, grid=tagged.grid)
    h["rented"] = make_house(make_address(t.grid_a), is_rented=True)
    h["family"] = make_house(make_address(t.grid_a), occupant_count=1)  # young, alone, untagged
    make_person(h["family"].address, name="青年")
    h["b_rented"] = make_house(make_address(t.grid_b), is_rented=True)
    h["hotel"] = make_organisation(make_address(t.grid_a), name="金积宾馆", hotel=True)
    h["shop"] = make_organisation(make_address(t.grid_a), name="金积小卖部")
    return h


def test_the_weeks_quota_counts_distinct_homes_and_businesses_and_coverage_per_district(
    personas, homes, settings
):
    settings.FENGQIAO_VISIT_QUOTA_HOUSEHOLDS = 2
    settings.FENGQIAO_VISIT_QUOTA_BUSINESSES = 1
    officer = personas.officer
    last_week = timezone.now() - dt.timedelta(days=8)
    household(officer, homes["family"], visited_at=last_week)  # a past week counts for nothing now
    household(officer, homes["elderly"])
    household(officer, homes["elderly"])  # twice the same home: once against the quota
    before = {row.target: (row.done, row.met) for row in selectors.week_progress(officer)}
    assert before == {"household": (1, False), "business": (0, False)}
    household(officer, homes["rented"], card_given=True)
    actions.record_visit(VisitData(target="business", organisation=homes["hotel"], met="经理"), actor=officer)
    after = {row.target: (row.done, row.quota, row.met) for row in selectors.week_progress(officer)}
    assert after == {"household": (2, 2, True), "business": (1, 1, True)}

    city = personas.city
    week = Visit.objects.visible_to(city).filter(visited_at__gte=timezone.now() - dt.timedelta(days=7))
    (district,) = indicators.visit_coverage(week, House.objects.visible_to(city), by=indicators.BY_DISTRICT)
    # district d01 holds 4 homes; 2 distinct visited this week
    assert (district.label, district.visits, district.households_visited, district.households) == (
        "金积第一警务区",
        4,
        2,
        4,
    )
    assert district.share == 0.5
    (per_officer,) = indicators.visit_coverage(week, by=indicators.BY_OFFICER)
    assert (per_officer.label, per_officer.households_visited, per_officer.businesses_visited) == (
        "王五",
        2,
        1,
    )


def test_a_visit_outside_scope_or_by_a_grid_worker_is_refused_and_leaves_nothing(personas, homes):
    with pytest.raises(OutOfScope):
        household(personas.officer, homes["b_rented"])
    with pytest.raises(PermissionDenied):
        household(personas.grid_a, homes["rented"])
    with pytest.raises(ValidationError) as error:
        household(personas.officer, homes["rented"], visited_at=timezone.now() + dt.timedelta(hours=2))
    assert "visited_at" in error.value.error_dict
    assert not Visit.objects.unscoped(reason="test").exists()


def test_must_visit_lists_elderly_alone_care_groups_rented_homes_and_special_trades(personas, homes):
    officer = with_care_permission(personas.officer)
    rows = {(r.house or r.organisation).pk: r.reasons for r in selectors.must_visit(officer)}
    expected = {
        homes["elderly"].pk: ["elderly living alone"],
        homes["care"].pk: ["care group"],
        homes["rented"].pk: ["rented home"],
        homes["hotel"].pk: ["hotel"],
    }
    assert {pk: [str(r) for r in reasons] for pk, reasons in rows.items()} == expected
    # without the care-tag permission the care group is not inferred from the list
    plain = {(r.house or r.organisation).pk for r in selectors.must_visit(personas.station)}
    assert homes["care"].pk not in plain and homes["b_rented"].pk in plain
    household(officer, homes["rented"])
    visited = {(r.house or r.organisation).pk: r.visited for r in selectors.must_visit(officer)}
    assert visited[homes["rented"].pk] and not visited[homes["elderly"].pk]


def test_reading_the_must_visit_list_is_audited_as_a_home_visit(personas, homes):
    client = Client()  # no purpose stated in the session: the page's own is a home visit
    client.force_login(personas.officer)
    page = client.get("/patrols/visits/")
    assert page.status_code == 200
    assert homes["elderly"].address.full_text in page.content.decode()
    log = ReadLog.objects.filter(actor=personas.officer).latest("at")
    assert log.purpose == "visit"
    read = log.entry.after["records"]["house"]
    assert homes["elderly"].pk in read and homes["b_rented"].pk not in read


def test_a_visits_finding_reaches_the_grids_inbox(personas, homes, categories, client):
    client.force_login(personas.officer)
    response = client.post(
        "/patrols/visits/new/",
        {
            "target": "household",
            "place": homes["rented"].address.code,
            "met": "租客李某",
            "notes": "楼道堆放杂物，存在消防隐患",
            "card_given": "on",
            "report": "on",
            "category": categories["0401"].pk,
            "title": "出租房楼道堆放杂物",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    visit = Visit.objects.visible_to(personas.officer).get()
    event = visit.finding
    assert (
        visit.card_given and event.grid == personas.territory.grid_a and event.title == "出租房楼道堆放杂物"
    )
    assert event.pk in {case.pk for case in casework.inbox(personas.grid_a) if isinstance(case, Event)}
    assert AuditEntry.objects.filter(action="patrol_visit", object_id=str(visit.pk)).exists()
    # a bad finding (no category) leaves neither a visit nor an event
    again = client.post(
        "/patrols/visits/new/",
        {"target": "household", "place": homes["rented"].address.code, "met": "租客", "report": "on"},
    )
    assert again.status_code == 200 and Visit.objects.visible_to(personas.officer).count() == 1


def test_only_the_districts_officer_records_arrival_at_a_criminal_case(personas, report, client):
    t = personas.territory
    case = report("020105", title="持刀抢劫案")
    social = report("0401")
    with pytest.raises(PermissionDenied):
        actions.record_arrival(case, actor=personas.grid_a)  # sees it, is no officer
    with pytest.raises(PermissionDenied):
        actions.record_arrival(case, actor=personas.station)  # the station, not the district's officer
    other = make_user("officer_b", Role.COMMUNITY_OFFICER, unit=t.district_b)
    with pytest.raises(OutOfScope):
        actions.record_arrival(case, actor=other)
    with pytest.raises(ValidationError):
        actions.record_arrival(social, actor=personas.officer)
    with pytest.raises(ValidationError):
        actions.record_arrival(case, actor=personas.officer, lon=200.0, lat=37.9)
    assert not Arrival.objects.unscoped(reason="test").exists()

    client.force_login(personas.officer)
    page = client.get(f"/events/{case.number}/").content.decode()
    assert f"/patrols/arrivals/{case.number}/" in page and "我已到达现场" in page and "arrival.js" in page
    response = client.post(f"/patrols/arrivals/{case.number}/", {"lon": "106.105", "lat": "37.905"})
    assert response.status_code == 302
    arrival = Arrival.objects.visible_to(personas.officer).get(event=case)
    assert (arrival.officer, arrival.lon, arrival.lat) == (personas.officer, 106.105, 37.905)
    with pytest.raises(ValidationError):  # once per case
        actions.record_arrival(case, actor=personas.officer)
    client.force_login(personas.grid_a)
    assert client.post(f"/patrols/arrivals/{case.number}/").status_code == 403
    client.force_login(other)
    assert client.post(f"/patrols/arrivals/{case.number}/").status_code == 404


@pytest.fixture
def cases(personas, report):
    """Criminal cases opened two hours ago in grids A, B and C with no arrival, one in A reached
    in time and one in A reached late, and one just opened (its time not yet up)."""
    t = personas.territory
    ago = timezone.now() - dt.timedelta(hours=2)
    places = {"A": (106.105, 37.905, personas.grid_a), "B": (106.115, 37.905, personas.grid_b)}
    places["C"] = (106.005, 38.005, personas.city)
    c = {}
    for place, (lon, lat, actor) in places.items():
        c[place] = report("020105", title=f"抢劫案{place}", lon=lon, lat=lat, actor=actor)
    c["in_time"] = report("020105", title="准时到场", actor=personas.grid_a)
    c["late"] = report("020105", title="迟到现场", actor=personas.grid_a)
    c["fresh"] = report("020105", title="刚发生", actor=personas.grid_a)
    Event.objects.unscoped(reason="test: opened two hours ago").exclude(pk=c["fresh"].pk).update(
        opened_at=ago
    )
    for name, minutes in (("in_time", 30), ("late", 90)):
        actions.record_arrival(c[name], actor=personas.officer)
        arrivals = Arrival.objects.unscoped(reason="test: when they arrived").filter(event=c[name])
        arrivals.update(arrived_at=ago + dt.timedelta(minutes=minutes))
    t.cases = c
    return c


def test_late_arrivals_are_listed_and_counted_for_the_command_room(personas, cases, settings):
    settings.FENGQIAO_ARRIVAL_MINUTES = 60
    late = {e.title for e in selectors.late_arrivals(personas.station)}
    assert late == {"抢劫案A", "抢劫案B", "迟到现场"}
    due = Event.objects.visible_to(personas.station).filter(
        offence="criminal", opened_at__lte=timezone.now() - selectors.arrival_deadline()
    )
    figures = indicators.arrival_figures(due, limit=selectors.arrival_deadline())
    assert (figures.cases, figures.on_time, figures.late, figures.missing) == (4, 1, 1, 2)
    settings.FENGQIAO_ARRIVAL_MINUTES = 120  # a longer limit: the late one came in time
    assert "迟到现场" not in {e.title for e in selectors.late_arrivals(personas.station)}


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_the_late_arrivals_page_shows_exactly_what_is_in_scope(persona, personas, cases, client):
    client.force_login(getattr(personas, persona))
    response = client.get("/patrols/arrivals/")
    may = actions.may_watch_arrivals(getattr(personas, persona))
    assert response.status_code == (200 if may else 403)
    body = response.content.decode()
    for place in ("A", "B", "C"):
        assert (cases[place].number in body) == (may and place in VISIBLE[persona]), place


@pytest.fixture
def visit_places(personas):
    t = personas.territory
    t.visit_houses, t.visits = {}, {}
    for place, grid in (("A", t.grid_a), ("B", t.grid_b), ("C", t.grid_c)):
        t.visit_houses[place] = make_house(make_address(grid))
        t.visits[place] = household(personas.admin, t.visit_houses[place], met=f"矩阵{place}")
    return t


VISITS = ScopedRoutes(
    name="visit pages",
    model=Visit,
    door="web",
    objects=lambda t: t.visits,
    key=lambda visit: f'href="/patrols/visits/{visit.pk}/"',
    list_url="/patrols/visits/",
    detail_url=lambda visit: f"/patrols/visits/{visit.pk}/",
    create_url="/patrols/visits/new/",
    create_payload=lambda t, place: {
        "target": "household",
        "place": t.visit_houses[place].address.code,
        "met": f"新建{place}",
    },
    created=lambda t, place: Visit.objects.unscoped(reason="test").filter(met=f"新建{place}"),
    may_change=actions.may_visit,
)


VISITS_API = ScopedRoutes(
    name="visit API",
    model=Visit,
    door="api",
    objects=lambda t: t.visits,
    key=lambda visit: f'"code": "{visit.house.address.code}"',
    list_url="/api/v1/patrols/visits",
    detail_url=lambda visit: f"/api/v1/patrols/visits/{visit.pk}",
    create_url="/api/v1/patrols/visits",
    create_payload=lambda t, place: {
        "target": "household",
        "place": t.visit_houses[place].address.code,
        "met": f"接口{place}",
    },
    created=lambda t, place: Visit.objects.unscoped(reason="test").filter(met=f"接口{place}"),
    may_change=actions.may_visit,
)


@pytest.mark.usefixtures("visit_places")
class TestVisitRoutes(ScopingMatrix):
    ROUTES = [VISITS, VISITS_API]
