"""The registry's pages through Django's test client: lists and search, record pages, masking and
the audited reveal, care tags, relations, duties, and who may see what."""

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.accounts.models import User
from fengqiao.core.models import AuditEntry
from fengqiao.registry.choices import CareTagKind, ResidenceType, ResidentType
from fengqiao.registry.models import CareTag, House, Person, RecordHistory, Residence
from tests.fixtures import registry as registry_fixtures
from tests.fixtures.registry import (
    make_address,
    make_employment,
    make_organisation,
    make_person,
    make_residence,
)

# The registry's small world (an address, a house and a person in each of grids A, B and C).
world = registry_fixtures.registry_world

pytestmark = pytest.mark.django_db


def with_care_permission(user) -> User:
    user.user_permissions.add(
        Permission.objects.get(codename="view_caretag", content_type__app_label="registry")
    )
    return User.objects.get(pk=user.pk)


def body(response) -> str:
    return response.content.decode()


def reveals(person) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="reveal", object_id=str(person.pk)))


HTMX = {"HX-Request": "true"}


# ---------------------------------------------------------------------------------------------
# who sees the registry


@pytest.mark.parametrize(
    "url",
    [
        "/registry/",
        "/registry/people/",
        "/registry/people/new/",
        "/registry/duties/",
        "/registry/statistics/",
    ],
)
def test_registry_pages_require_login(client, world, url):
    # when an anonymous visitor opens a registry page
    response = client.get(url)
    # then they are sent to log in
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_residents_get_no_registry(logged_in, world):
    client = logged_in(world.personas.resident)
    # when a resident opens the home page and, by URL, the registry
    home = body(client.get("/"))
    # then the navigation has no registry, and its pages are refused
    assert 'href="/registry/"' not in home
    for url in ("/registry/", "/registry/people/", "/registry/people/new/", "/registry/duties/"):
        assert client.get(url).status_code == 403, url
    # and a record page is the same 404 as a missing one
    assert client.get(f"/registry/people/{world.person_a.pk}/").status_code == 404


def test_staff_find_the_registry_in_the_navigation(logged_in, world):
    # when grid worker A opens the home page
    page = body(logged_in(world.personas.grid_a).get("/"))
    # then the navigation leads to the registry
    assert 'href="/registry/"' in page


# ---------------------------------------------------------------------------------------------
# lists and search


def test_the_people_list_shows_numbers_masked(logged_in, world):
    person = world.person_a
    # when the station chief lists people
    page = body(logged_in(world.personas.station).get("/registry/people/"))
    # then each ID number and phone shows masked, never whole
    assert person.id_number not in page and "13912345678" not in page
    assert f"{person.id_number[:4]}************{person.id_number[-2:]}" in page
    assert "139****5678" in page


@pytest.mark.parametrize("query", ["zs", "zhangsan", "张", "139 1234 5678"])
def test_the_search_box_finds_by_pinyin_initials_name_and_phone(logged_in, world, query):
    # given 张三 in grid A and 李四 in grid B, both with the same phone
    client = logged_in(world.personas.grid_a)
    # when grid worker A searches
    page = body(client.get("/registry/people/", {"q": query}))
    # then 张三 is found, and 李四 (outside their scope) is not
    assert f'href="/registry/people/{world.person_a.pk}/"' in page
    assert f'href="/registry/people/{world.person_b.pk}/"' not in page


def test_searching_a_whole_id_number_finds_the_person(logged_in, world):
    person = world.person_a
    page = body(logged_in(world.personas.officer).get("/registry/people/", {"q": person.id_number}))
    assert f'href="/registry/people/{person.pk}/"' in page
    # and the row found shows it masked, like any other
    results = page[page.index('id="results"') :]
    assert person.id_number not in results and f"{person.id_number[:4]}**********" in results


def test_a_mistyped_id_number_says_why_nothing_matches(logged_in, world):
    number = world.person_a.id_number
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    page = body(logged_in(world.personas.officer).get("/registry/people/", {"q": wrong}))
    assert "check character" in page or "校验" in page
    assert f'href="/registry/people/{world.person_a.pk}/"' not in page


def test_the_registry_search_box_looks_in_every_kind(logged_in, world):
    # given an organisation at A's address
    organisation = make_organisation(world.address_a, name="金积商贸有限公司")
    client = logged_in(world.personas.station)
    # when the station chief searches the address text and the company name
    by_address = body(client.get("/registry/", {"q": "滨河路"}))
    by_name = body(client.get("/registry/", {"q": "金积商贸"}))
    # then the address, its house and its residents come up, and the company by its name
    assert f'href="/registry/addresses/{world.address_a.pk}/"' in by_address
    assert f'href="/registry/people/{world.person_a.pk}/"' in by_address
    assert f'href="/registry/organisations/{organisation.pk}/"' in by_name


def test_filters_narrow_the_list_to_a_grid_and_a_resident_type(logged_in, world):
    t = world.personas.territory
    floating = make_person(
        world.address_b, name="赵流动", resident_type=ResidentType.FLOATING, reason_for_coming="务工"
    )
    client = logged_in(world.personas.station)
    # when the station chief filters by grid B and by floating residents
    by_grid = body(client.get("/registry/people/", {"grid": t.grid_b.pk}))
    by_type = body(client.get("/registry/people/", {"resident_type": "floating"}))
    # then only those match
    assert f"/registry/people/{world.person_a.pk}/" not in by_grid
    assert f"/registry/people/{world.person_b.pk}/" in by_grid
    assert f"/registry/people/{floating.pk}/" in by_type
    assert f"/registry/people/{world.person_b.pk}/" not in by_type
    # and a grid outside the scope cannot be picked
    refused = client.get("/registry/people/", {"grid": t.grid_c.pk})
    assert "grid" in refused.context["form"].errors


def test_the_list_is_paginated(logged_in, world):
    for n in range(55):
        make_person(world.address_a, name=f"甲{n:02d}")
    client = logged_in(world.personas.grid_a)
    first = client.get("/registry/people/")
    second = client.get("/registry/people/", {"page": 2})
    assert first.context["page"].paginator.count == 56
    assert len(first.context["page"].object_list) == 50 and len(second.context["page"].object_list) == 6
    assert 'rel="next"' in body(first)


def test_houses_and_organisations_filter_by_their_own_fields(logged_in, world):
    house = world.house_a
    house.is_rented = True
    house.save()
    hotel = make_organisation(world.address_a, name="金积宾馆", hotel=True)
    plain = make_organisation(world.address_a, name="金积面馆")
    client = logged_in(world.personas.grid_a)
    rented = body(client.get("/registry/houses/", {"rented": "yes"}))
    not_rented = body(client.get("/registry/houses/", {"rented": "no"}))
    hotels = body(client.get("/registry/organisations/", {"trade": "hotel"}))
    assert f"/registry/houses/{house.pk}/" in rented and f"/registry/houses/{house.pk}/" not in not_rented
    assert (
        f"/registry/organisations/{hotel.pk}/" in hotels
        and f"/registry/organisations/{plain.pk}/" not in hotels
    )


# ---------------------------------------------------------------------------------------------
# record pages


def test_a_person_page_shows_fields_relations_and_masked_numbers(logged_in, world):
    person = world.person_a
    organisation = make_organisation(world.address_a, name="金积商贸有限公司")
    make_employment(person, organisation, role="会计")
    # when grid worker A opens 张三's page
    response = logged_in(world.personas.grid_a).get(f"/registry/people/{person.pk}/")
    page = body(response)
    # then the fields are there, with the ID number and phone masked and no way to reveal them
    assert person.id_number not in page and "13912345678" not in page
    assert "139****5678" in page and f"{person.id_number[:4]}**********" in page
    assert "registry_person_reveal" not in page and "/reveal/" not in page
    # and the house they live in, and where they work
    assert f'href="/registry/houses/{world.house_a.pk}/"' in page
    assert f'href="/registry/organisations/{organisation.pk}/"' in page and "会计" in page
    # and no care tags section for a role without the permission
    assert 'id="care-tags"' not in page
    # and a person's name is labelled as one (姓名), not as a thing's (名称)
    assert "姓名" in page and "名称" not in page


def test_officers_are_offered_the_reveal_button(logged_in, world):
    person = world.person_a
    page = body(logged_in(world.personas.officer).get(f"/registry/people/{person.pk}/"))
    assert f"/registry/people/{person.pk}/reveal/id_number/" in page
    assert f"/registry/people/{person.pk}/reveal/phone/" in page
    assert person.id_number not in page


def test_a_house_page_shows_owner_landlord_and_residents(logged_in, world):
    house = world.house_a
    landlord = world.person_a
    tenant = make_person(world.address_a, name="钱租客")
    make_residence(tenant, house, ResidenceType.RENTING, start_date=dt.date(2025, 1, 6))
    house.landlord = landlord
    house.is_rented = True
    house.save()
    client = logged_in(world.personas.grid_a)
    client.cookies.load({"django_language": "en"})
    page = body(client.get(f"/registry/houses/{house.pk}/"))
    assert "钱租客" in page and "not reported to the police" in page
    assert f'href="/registry/people/{landlord.pk}/"' in page
    assert f'href="/registry/people/{tenant.pk}/"' in page


def test_an_organisation_page_shows_its_staff(logged_in, world):
    organisation = make_organisation(world.address_a, name="金积商贸有限公司", logistics=True)
    make_employment(world.person_a, organisation, role="仓管")
    page = body(logged_in(world.personas.officer).get(f"/registry/organisations/{organisation.pk}/"))
    assert organisation.credit_code in page and "仓管" in page
    assert f'href="/registry/people/{world.person_a.pk}/"' in page


def test_an_address_page_shows_its_house_people_and_units(logged_in, world):
    address = world.address_a
    page = body(logged_in(world.personas.grid_a).get(f"/registry/addresses/{address.pk}/"))
    assert address.code in page
    assert f'href="/registry/houses/{world.house_a.pk}/"' in page
    assert f'href="/registry/people/{world.person_a.pk}/"' in page


# ---------------------------------------------------------------------------------------------
# reveal


def test_an_officer_reveals_an_id_number_with_a_reason(logged_in, world):
    person = world.person_a
    officer = world.personas.officer
    client = logged_in(officer)
    url = f"/registry/people/{person.pk}/reveal/id_number/"
    # when the officer presses "reveal": a form asks for the reason, and nothing is revealed yet
    form = client.get(url, headers=HTMX)
    assert form.status_code == 200 and 'name="reason"' in body(form)
    assert person.id_number not in body(form) and reveals(person) == []
    # when they send it without a reason, it is asked again and nothing is revealed
    empty = client.post(url, {"reason": "  "}, headers=HTMX)
    assert empty.status_code == 200 and person.id_number not in body(empty)
    assert "error" in body(empty) and reveals(person) == []
    # when they give a reason
    shown = client.post(url, {"reason": "核对租客身份"}, headers=HTMX)
    # then the whole number is shown, and the audit log says who saw whose number and why
    assert shown.status_code == 200 and person.id_number in body(shown)
    assert "<html" not in body(shown)  # a fragment for htmx
    [entry] = reveals(person)
    assert entry.actor == officer and entry.reason == "核对租客身份"
    assert entry.after["field"] == "id_number"
    assert person.id_number not in str(entry.after)


def test_the_reveal_works_without_javascript_too(logged_in, world):
    person = world.person_a
    client = logged_in(world.personas.station)
    url = f"/registry/people/{person.pk}/reveal/phone/"
    page = client.get(url)
    assert "<html" in body(page) and 'name="reason"' in body(page)
    shown = client.post(url, {"reason": "联系本人"})
    assert "13912345678" in body(shown) and len(reveals(person)) == 1


def test_a_grid_worker_may_not_reveal(logged_in, world):
    person = world.person_a
    client = logged_in(world.personas.grid_a)
    # when grid worker A posts a reveal by hand
    response = client.post(f"/registry/people/{person.pk}/reveal/id_number/", {"reason": "想看"})
    # then it is refused, and nothing is revealed or logged as revealed
    assert response.status_code == 403
    assert person.id_number not in body(response) and reveals(person) == []
    # and opening the reveal page says why at once, without asking for a reason first
    opened = client.get(f"/registry/people/{person.pk}/reveal/id_number/")
    assert opened.status_code == 403
    assert "您的角色只能查看脱敏后的个人号码。" in body(opened)
    assert 'name="reason"' not in body(opened)


def test_revealing_outside_scope_is_404(logged_in, world):
    person = world.person_b
    response = logged_in(world.personas.officer).post(
        f"/registry/people/{person.pk}/reveal/id_number/", {"reason": "核对"}
    )
    assert response.status_code == 404 and reveals(person) == []


def test_only_numbers_can_be_revealed(logged_in, world):
    url = f"/registry/people/{world.person_a.pk}/reveal/name/"
    assert logged_in(world.personas.officer).post(url, {"reason": "x"}).status_code == 404


# ---------------------------------------------------------------------------------------------
# recording, editing, retiring


def test_a_grid_worker_records_an_address_and_a_person_in_it(logged_in, world):
    t = world.personas.territory
    worker = world.personas.grid_a
    client = logged_in(worker)
    # when grid worker A records an address in their grid
    response = client.post(
        "/registry/addresses/new/",
        {"grid": t.grid_a.pk, "street": "解放路", "door_plate": "12", "room": "301"},
    )
    assert response.status_code == 302
    address = client.get(response["Location"]).context["address"]
    assert address.grid == t.grid_a and address.code.startswith(t.grid_a.code)
    # and a person living there, typing the ID number with a lower-case x and spaces in the phone
    response = client.post(
        "/registry/people/new/",
        {
            "id_number": "11010519491231002x",
            "name": "单田芳",
            "current_address": address.code,
            "resident_type": "registered",
            "phone": "139 1234 5678",
        },
    )
    # then the person is recorded in grid A, sex and birth date taken from the number
    assert response.status_code == 302
    page = client.get(response["Location"])
    person = page.context["person"]
    assert person.grid == t.grid_a and person.current_address == address
    assert person.id_number == "11010519491231002X" and person.sex == "F"
    assert person.birth_date == dt.date(1949, 12, 31) and person.phone == "13912345678"
    assert person.collected_by == worker
    # and the page shows it masked, with its history and an audit entry naming the worker
    assert "1101************2X" in body(page) and "11010519491231002X" not in body(page)
    assert RecordHistory.objects.filter(record_kind="person", record_id=person.pk, actor=worker).count() == 1
    assert AuditEntry.objects.filter(action="create", object_id=str(person.pk), actor=worker).exists()


@pytest.mark.parametrize(
    ("id_number", "reason"),
    [
        ("11010519491231002", "18 characters"),
        ("110105194912310021", "check character"),
        ("1.10105E+17", "spreadsheet"),
        ("１１０１０５１９４９１２３１００２Ｘ", "full-width"),
        ("110105194913310020", "date"),
    ],
)
def test_a_bad_id_number_is_refused_on_its_field(logged_in, world, id_number, reason):
    client = logged_in(world.personas.grid_a)
    client.cookies.load({"django_language": "en"})
    response = client.post(
        "/registry/people/new/",
        {"id_number": id_number, "name": "某人", "current_address": world.address_a.code,
         "resident_type": "registered"},
    )  # fmt: skip
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["id_number"], errors
    assert reason in " ".join(errors["id_number"]).lower()


def test_the_rules_of_the_action_show_on_the_fields(logged_in, world):
    client = logged_in(world.personas.grid_a)
    client.cookies.load({"django_language": "en"})
    # when a floating resident is recorded without a reason for coming, with a sex the number contradicts
    response = client.post(
        "/registry/people/new/",
        {
            "id_number": "11010519491231002X",
            "name": "某人",
            "sex": "M",
            "current_address": world.address_a.code,
            "resident_type": "floating",
        },
    )
    # then each error is on its own field, and nothing was written
    errors = response.context["form"].errors
    assert "reason_for_coming" in errors and "sex" in errors
    assert 'id="field-reason_for_coming"' in body(response)
    assert not Person.objects.unscoped(reason="test").filter(id_number="11010519491231002X").exists()


def test_an_address_outside_scope_cannot_be_given(logged_in, world):
    client = logged_in(world.personas.grid_a)
    response = client.post(
        "/registry/people/new/",
        {"id_number": "11010519491231002X", "name": "某人", "current_address": world.address_b.code,
         "resident_type": "registered"},
    )  # fmt: skip
    assert "current_address" in response.context["form"].errors


def test_editing_keeps_the_masked_number_and_records_before_and_after(logged_in, world):
    person = world.person_a
    number = person.id_number
    client = logged_in(world.personas.grid_a)
    form = client.get(f"/registry/people/{person.pk}/edit/")
    # the form shows the number masked, never whole
    assert number not in body(form) and "13912345678" not in body(form)
    initial = form.context["form"].initial
    data = {
        "id_number": initial["id_number"],
        "name": "张三丰",
        "current_address": person.current_address.code,
        "resident_type": "registered",
        "phone": initial["phone"],
        "occupation": "教师",
    }
    # when the worker changes the name and the occupation, leaving the masked numbers as they are
    response = client.post(f"/registry/people/{person.pk}/edit/", data)
    assert response.status_code == 302
    person.refresh_from_db()
    # then the numbers are unchanged and the history says what changed, from what to what
    assert person.id_number == number and person.phone == "13912345678"
    assert person.name == "张三丰" and person.occupation == "教师"
    history = client.get(f"/registry/people/{person.pk}/").context["history"]
    newest = history[0]
    assert {(c.before, c.after) for c in newest.changes} >= {("张三", "张三丰"), ("—", "教师")}
    assert newest.who == str(world.personas.grid_a)


def test_an_edit_that_changes_nothing_says_so(logged_in, world):
    house = world.house_a
    client = logged_in(world.personas.grid_a)
    before = RecordHistory.objects.count()
    response = client.post(
        f"/registry/houses/{house.pk}/edit/", {"address": house.address.code, "use": house.use}, follow=True
    )
    assert response.status_code == 200 and RecordHistory.objects.count() == before


def test_retiring_needs_a_reason_and_keeps_the_record(logged_in, world):
    person = world.person_a
    client = logged_in(world.personas.grid_a)
    url = f"/registry/people/{person.pk}/retire/"
    # without a reason, nothing happens
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    person.refresh_from_db()
    assert person.retired_at is None
    # with one, the person is retired, leaves the list, and keeps a page with the history
    assert client.post(url, {"reason": "迁出本市"}).status_code == 302
    person.refresh_from_db()
    assert person.retired_at is not None
    assert f"/registry/people/{person.pk}/" not in body(client.get("/registry/people/"))
    assert f"/registry/people/{person.pk}/" in body(client.get("/registry/people/", {"retired": "on"}))
    page = client.get(f"/registry/people/{person.pk}/")
    assert "迁出本市" in body(page)
    # and a retired record is no longer edited
    assert client.get(f"/registry/people/{person.pk}/edit/").status_code == 302


def test_an_address_in_use_cannot_be_retired(logged_in, world):
    address = world.address_a
    response = logged_in(world.personas.grid_a).post(
        f"/registry/addresses/{address.pk}/retire/", {"reason": "拆迁"}
    )
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    address.refresh_from_db()
    assert address.retired_at is None


@pytest.mark.parametrize("persona", ["grid_a", "officer", "station"])
def test_collectors_may_retire_in_scope(logged_in, world, persona):
    organisation = make_organisation(world.address_a)
    response = logged_in(getattr(world.personas, persona)).post(
        f"/registry/organisations/{organisation.pk}/retire/", {"reason": "注销"}
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.retired_at is not None


def test_retiring_outside_scope_is_404(logged_in, world):
    response = logged_in(world.personas.grid_b).post(
        f"/registry/houses/{world.house_a.pk}/retire/", {"reason": "拆除"}
    )
    assert response.status_code == 404
    world.house_a.refresh_from_db()
    assert world.house_a.retired_at is None


def test_a_house_and_an_organisation_are_recorded_through_their_forms(logged_in, world):
    spare = make_address(world.personas.territory.grid_a, street="新华街")
    client = logged_in(world.personas.grid_a)
    client.cookies.load({"django_language": "en"})
    house = client.post(
        "/registry/houses/new/",
        {"address": spare.code, "use": "residential", "area_m2": "86.5", "rooms": "3",
         "owner": world.person_a.id_number},
    )  # fmt: skip
    assert house.status_code == 302
    recorded = client.get(house["Location"]).context["house"]
    assert recorded.owner == world.person_a and str(recorded.area_m2) == "86.50"
    # an owner outside the scope is refused on the owner field
    refused = client.post(
        "/registry/houses/new/",
        {"address": spare.code, "use": "residential", "owner": world.person_b.id_number},
    )
    assert "owner" in refused.context["form"].errors
    # an organisation with a bad credit code is refused on that field
    bad = client.post(
        "/registry/organisations/new/",
        {"credit_code": "91640302MA00000010", "name": "坏代码公司", "org_type": "enterprise",
         "address": spare.code},
    )  # fmt: skip
    assert "credit_code" in bad.context["form"].errors


# ---------------------------------------------------------------------------------------------
# relations and duties


def test_a_tenant_added_to_a_house_shows_as_an_overdue_registration(logged_in, world):
    house = world.house_a
    tenant = make_person(
        world.address_a, name="孙租客", resident_type=ResidentType.FLOATING, reason_for_coming="务工"
    )
    client = logged_in(world.personas.grid_a)
    # when the worker records that the tenant moved in two weeks ago, not yet reported
    moved_in = dt.date.today() - dt.timedelta(days=14)
    response = client.post(
        f"/registry/residences/new/?house={house.pk}",
        {"person": tenant.id_number, "kind": "renting", "start_date": moved_in.isoformat()},
    )
    assert response.status_code == 302 and response["Location"] == f"/registry/houses/{house.pk}/"
    # then the house page lists them and the duties page flags the overdue report
    assert f"/registry/people/{tenant.pk}/" in body(client.get(f"/registry/houses/{house.pk}/"))
    duties = client.get("/registry/duties/")
    assert [d.person for d in duties.context["duties"].tenants] == [tenant]
    assert "孙租客" in body(duties)


def test_moving_out_ends_the_residence(logged_in, world):
    residence = Residence.objects.unscoped(reason="test").get(person=world.person_a)
    client = logged_in(world.personas.grid_a)
    response = client.post(
        f"/registry/residences/{residence.pk}/end/?next=/registry/people/{world.person_a.pk}/",
        {"end_date": dt.date.today().isoformat()},
    )
    assert response["Location"] == f"/registry/people/{world.person_a.pk}/"
    residence.refresh_from_db()
    assert residence.end_date == dt.date.today()


def test_a_workplace_is_added_from_the_person_page(logged_in, world):
    organisation = make_organisation(world.address_a, name="金积快递")
    client = logged_in(world.personas.grid_a)
    response = client.post(
        f"/registry/employments/new/?person={world.person_a.pk}",
        {"organisation": organisation.credit_code, "role": "快递员"},
    )
    assert response.status_code == 302
    assert "快递员" in body(client.get(f"/registry/organisations/{organisation.pk}/"))


def test_expiring_residence_permits_are_listed(logged_in, world):
    soon = make_person(
        world.address_a,
        name="周暂住",
        resident_type=ResidentType.FLOATING,
        residence_permit_number="JZZ640302001",
        residence_permit_expires=dt.date.today() + dt.timedelta(days=10),
    )
    make_person(
        world.address_b,
        name="吴暂住",
        resident_type=ResidentType.FLOATING,
        residence_permit_number="JZZ640302002",
        residence_permit_expires=dt.date.today() + dt.timedelta(days=5),
    )
    duties = logged_in(world.personas.grid_a).get("/registry/duties/")
    assert [d.person for d in duties.context["duties"].permits] == [soon]
    assert "吴暂住" not in body(duties)


# ---------------------------------------------------------------------------------------------
# care tags


def test_care_tags_need_their_permission_and_every_read_is_audited(logged_in, world):
    person = world.person_a
    CareTag.objects.create(person=person, kind=CareTagKind.DRUG_USER, grid=person.grid)
    url = f"/registry/people/{person.pk}/"
    # without the permission: no tags shown, and nothing read
    plain = body(logged_in(world.personas.officer).get(url))
    assert 'id="care-tags"' not in plain
    assert not AuditEntry.objects.filter(action="view", object_type="registry.caretag").exists()
    # with it: the tags are shown, and the reading is in the audit log
    officer = with_care_permission(world.personas.officer)
    client = logged_in(officer)
    client.cookies.load({"django_language": "en"})
    page = body(client.get(url))
    assert 'id="care-tags"' in page and "drug user" in page
    assert (
        AuditEntry.objects.filter(action="view", object_type="registry.caretag", actor=officer).count() == 1
    )


def test_a_tag_is_added_and_removed_with_the_permission(logged_in, world):
    person = world.person_a
    officer = with_care_permission(world.personas.officer)
    client = logged_in(officer)
    client.cookies.load({"django_language": "en"})
    # mental illness without a risk grade is refused on that field
    refused = client.post(f"/registry/people/{person.pk}/tags/new/", {"kind": "mental_illness"})
    assert "risk_grade" in refused.context["form"].errors
    # with a grade it is recorded
    assert (
        client.post(f"/registry/people/{person.pk}/tags/new/", {"kind": "mental_illness", "risk_grade": "3"})
    ).status_code == 302
    tag = CareTag.objects.unscoped(reason="test").get(person=person)
    assert tag.risk_grade == 3
    # and removed with a reason: kept, but retired
    client.post(f"/registry/tags/{tag.pk}/remove/", {"reason": "康复"})
    tag.refresh_from_db()
    assert tag.retired_at is not None


def test_without_the_permission_tags_cannot_be_added_or_filtered(logged_in, world):
    person = world.person_a
    client = logged_in(world.personas.officer)
    assert client.get(f"/registry/people/{person.pk}/tags/new/").status_code == 403
    form = client.get("/registry/people/").context["form"]
    assert "tag" not in form.fields


def test_the_tag_filter_is_audited(logged_in, world):
    person = world.person_a
    CareTag.objects.create(person=person, kind=CareTagKind.KEY_YOUTH, grid=person.grid)
    officer = with_care_permission(world.personas.officer)
    page = body(logged_in(officer).get("/registry/people/", {"tag": "key_youth"}))
    assert f"/registry/people/{person.pk}/" in page
    assert AuditEntry.objects.filter(action="view", object_type="registry.caretag", actor=officer).exists()


# ---------------------------------------------------------------------------------------------
# phone-friendly forms


def test_the_person_form_is_made_for_a_phone(logged_in, world):
    page = body(logged_in(world.personas.grid_a).get("/registry/people/new/"))
    # numeric keypads for the ID number (with an X key) and the phone, date pickers for dates
    assert re.search(r'<input type="text" name="id_number"[^>]*inputmode="numeric"', page)
    assert 'data-append-to="id_id_number"' in page
    assert re.search(r'<input type="tel" name="phone"[^>]*inputmode="numeric"', page)
    assert re.search(r'<input type="date" name="birth_date"', page)
    assert re.search(r'<input type="date" name="residence_permit_expires"', page)
    # one column of fieldsets with large touch targets
    assert 'class="card form touch"' in page


def test_a_grid_workers_form_starts_in_their_grid(logged_in, world):
    form = logged_in(world.personas.grid_a).get("/registry/addresses/new/").context["form"]
    assert list(form.fields["grid"].queryset) == [world.personas.territory.grid_a]
    assert form.initial["grid"] == world.personas.territory.grid_a


def test_address_suggestions_stay_in_scope(logged_in, world):
    client = logged_in(world.personas.grid_a)
    page = body(client.get("/places/", {"kinds": "address", "q": "滨河路"}))
    assert world.address_a.code in page
    assert world.address_b.code not in page and world.address_c.code not in page


def test_house_suggestions_only_offer_addresses_with_a_house(logged_in, world):
    bare = make_address(world.personas.territory.grid_a, street="滨河路", door_plate="99")
    page = body(
        logged_in(world.personas.grid_a).get("/places/", {"kinds": "address", "q": "滨河路", "houses": "1"})
    )
    assert world.address_a.code in page and bare.code not in page


# ---------------------------------------------------------------------------------------------
# collection statistics


def collected_on(record, day: dt.date):
    type(record).objects.unscoped(reason="test: backdate the collection").filter(pk=record.pk).update(
        collected_at=day
    )


def test_collection_statistics_count_per_period_with_year_on_year_change(logged_in, world):
    today = dt.date.today()
    this_month = today.replace(day=1)
    a_year_ago = this_month.replace(year=this_month.year - 1)
    # given in grid A two people collected this month and one in the same month last year
    collected_on(world.person_a, this_month)
    collected_on(make_person(world.address_a, name="新来"), this_month)
    collected_on(make_person(world.address_a, name="旧人"), a_year_ago)
    collected_on(world.house_a, a_year_ago)
    # when grid worker A opens the statistics
    response = logged_in(world.personas.grid_a).get("/registry/statistics/")
    # then by default they see the last twelve months of their grid, with this month +100% on last year
    stats = response.context["stats"]
    assert [node.code for node in stats.nodes] == [world.personas.territory.grid_a.code]
    assert len(stats.totals) == 12
    latest = stats.totals[-1]
    assert (latest.people, latest.people_last_year, latest.people_yoy) == (2, 1, 1.0)
    assert (latest.houses, latest.houses_last_year, latest.houses_yoy) == (0, 1, -1.0)
    page = body(response)
    assert "+100%" in page and "−100%" in page
    # and the chart gets the same numbers
    assert stats.chart["series"][0]["current"][-1] == 2


def test_statistics_by_jurisdiction_and_period(logged_in, world):
    today = dt.date.today()
    response = logged_in(world.personas.station).get(
        "/registry/statistics/",
        {"period": "year", "start": f"{today.year}-01-01", "end": today.isoformat(), "by": "district"},
    )
    stats = response.context["stats"]
    t = world.personas.territory
    # the station's two districts, one period each, the people of each counted
    assert [node.name for node in stats.nodes] == [t.district_a.name, t.district_b.name]
    assert [t_.label for t_ in stats.totals] == [str(today.year)]
    assert stats.totals[0].people == 2  # 张三 in A and 李四 in B; 王五 is in another county


def test_statistics_refuse_an_end_before_the_start(logged_in, world):
    response = logged_in(world.personas.station).get(
        "/registry/statistics/", {"period": "month", "start": "2025-05-01", "end": "2025-01-01", "by": "grid"}
    )
    assert "end" in response.context["form"].errors and response.context["stats"] is None


# ---------------------------------------------------------------------------------------------
# import and export


def test_lists_offer_the_export_of_what_they_show(logged_in, world):
    t = world.personas.territory
    client = logged_in(world.personas.station)
    page = body(client.get("/registry/people/", {"grid": t.grid_a.pk}))
    assert f"/imports/export/?kind=people&amp;format=xlsx&amp;grid={t.grid_a.code}" in page
    assert f"/imports/export/?kind=people&amp;format=csv&amp;grid={t.grid_a.code}" in page
    # and the link gives the file
    download = client.get(f"/imports/export/?kind=people&format=csv&grid={t.grid_a.code}")
    assert download.status_code == 200 and download["X-Record-Count"] == "1"


def test_the_navigation_leads_collectors_to_the_import_pages(logged_in, world):
    assert 'href="/imports/"' in body(logged_in(world.personas.grid_a).get("/"))
    assert 'href="/imports/"' not in body(logged_in(world.personas.resident).get("/"))


def a_house(world, n):
    grid = world.address_a.grid
    return House.objects.create(address=make_address(grid), grid=grid, owner=world.person_a)


@pytest.mark.parametrize(("url", "make"), [
    ("/registry/people/", lambda w, n: make_person(w.address_a, name=f"甲{n}")),
    ("/registry/houses/", a_house),
    ("/registry/organisations/", lambda w, n: make_organisation(w.address_a)),
    ("/registry/addresses/", lambda w, n: make_address(w.address_a.grid)),
])  # fmt: skip
def test_lists_read_a_fixed_number_of_queries(logged_in, world, url, make):
    client = logged_in(world.personas.station)
    client.get(url)  # the session and the user's postings, once
    for n in range(3):
        make(world, n)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(3, 30):
        make(world, n)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
