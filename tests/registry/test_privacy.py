"""Trust II: masking that cannot be undone, every read of personal data on the record with its
purpose, the access history, the resident's right to know, and the alerts (docs/adr/0009)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fengqiao.core import periodic
from fengqiao.core.models import AuditEntry, CalendarDay
from fengqiao.core.notifications.models import Notification
from fengqiao.registry import access, actions
from fengqiao.registry.models import PersonRead, ReadLog
from fengqiao.registry.validators import id_check_char
from tests.fixtures.registry import make_address, make_house, make_person

PEOPLE = "/api/v1/registry/people"


@pytest.fixture
def grid_a_people(personas):
    """Five people of grid A with numbers no enumeration reaches early: mid-year births, high
    sequence numbers (the attacker's luck is not what the test measures)."""
    home = make_address(personas.territory.grid_a, door_plate="7")
    people = []
    for n, (born, seq) in enumerate(
        [
            ((1971, 6, 17), 517),
            ((1983, 9, 2), 638),
            ((1990, 11, 23), 745),
            ((1965, 7, 30), 861),
            ((2001, 8, 8), 972),
        ]
    ):
        first17 = f"640302{dt.date(*born):%Y%m%d}{seq:03d}"
        people.append(
            make_person(
                home, id_number=first17 + id_check_char(first17), name=f"测试{n}", phone=f"1391234{n:04d}"
            )
        )
    return people


def candidates(masked: str, birth_year: int, county: str = "640302") -> list[str]:
    """Every valid ID number that the masked form and the birth year allow (granting the attacker
    the county, which the first four characters do not give)."""
    head, tail = masked[:4], masked[-2:]
    assert county.startswith(head)
    out = []
    day = dt.date(birth_year, 1, 1)
    while day.year == birth_year:
        for middle in range(100):
            first17 = f"{county}{day:%Y%m%d}{middle:02d}{tail[0]}"
            if id_check_char(first17) == tail[1]:
                out.append(first17 + tail[1])
        day += dt.timedelta(days=1)
    return out


def lookups_of(user) -> int:
    return access.lookups_in_last_hour(user)


# --- 1. masking that cannot be undone ------------------------------------------------------------


@pytest.mark.django_db
def test_the_attack_replayed_through_the_api_recovers_no_whole_number(api, personas, grid_a_people, settings):
    # given a grid worker, who sees masked numbers, and the limit of 30 look-ups an hour
    settings.EXACT_LOOKUPS_PER_HOUR = 30
    worker = personas.grid_a
    listed = api.get(PEOPLE, as_=worker, params={"limit": 50}).json()["items"]
    assert len(listed) == 5
    recovered: set[str] = set()
    tried = 0
    for item in listed:
        # what the answer shows: the birth year, never the date; the ID number's first 4 and last 2
        assert item["birth_date"] is None and item["birth_year"]
        assert item["id_number"].count("*") == 12
        pool = candidates(item["id_number"], item["birth_year"])
        # about 3,300 numbers each could be (365 days × 100 ÷ 11): a hundred times the hourly limit
        assert len(pool) > 3000
        for guess in pool:
            if tried >= 30:
                break
            tried += 1
            answer = api.get(PEOPLE, as_=worker, params={"q": guess})
            assert answer.status_code == 200
            if answer.json()["items"]:
                recovered.add(guess)
    # when the attacker, out of look-ups, tries the right number itself
    right = grid_a_people[0].id_number
    refused = api.get(PEOPLE, as_=worker, params={"q": right})
    # then it is refused, and nothing whole was ever learnt
    assert refused.status_code == 429
    assert recovered == set()
    assert all(p.id_number not in str(listed) for p in grid_a_people)
    # every look-up is on the record and counted; the refusal too; the station chief is told once
    assert lookups_of(worker) == 30
    assert AuditEntry.objects.filter(actor=worker, action="registry_lookup").count() == 30
    assert AuditEntry.objects.filter(actor=worker, action="registry_lookup_refused").count() == 1
    api.get(PEOPLE, as_=worker, params={"q": right})
    told = Notification.objects.filter(kind="registry_lookup_limit")
    assert [n.recipient for n in told] == [personas.station]


@pytest.mark.django_db
def test_a_phone_look_up_counts_like_an_id_number(api, personas, grid_a_people, settings):
    settings.EXACT_LOOKUPS_PER_HOUR = 2
    worker = personas.grid_a
    assert api.get(PEOPLE, as_=worker, params={"q": "13912340000"}).status_code == 200
    assert api.get(PEOPLE, as_=worker, params={"q": grid_a_people[1].id_number}).status_code == 200
    answer = api.get(PEOPLE, as_=worker, params={"q": "13912340002"})
    assert answer.status_code == 429
    # a name search is no exact look-up and goes on
    assert api.get(PEOPLE, as_=worker, params={"q": "测试"}).status_code == 200


@pytest.mark.django_db
def test_whole_number_roles_are_not_limited(api, personas, grid_a_people, settings):
    settings.EXACT_LOOKUPS_PER_HOUR = 1
    settings.FENGQIAO_REGISTRY_WHOLE_NUMBER_ROLES = ["city_command"]
    for person in grid_a_people:
        found = api.get(PEOPLE, as_=personas.city, params={"q": person.id_number}).json()["items"]
        assert found[0]["id_number"] == person.id_number and found[0]["birth_date"]


@pytest.mark.django_db
def test_already_registered_is_a_counted_look_up(api, personas, grid_a_people, settings):
    # given a grid worker with one look-up left
    settings.EXACT_LOOKUPS_PER_HOUR = 1
    home = grid_a_people[0].current_address
    data = {"id_number": grid_a_people[2].id_number, "name": "冒名", "current_address": home.code}
    # when they record a person under a number that exists, it is refused as before, and counted
    first = api.post(PEOPLE, data, as_=personas.grid_a)
    assert first.status_code == 422 and lookups_of(personas.grid_a) == 1
    # then the next such answer is refused for the limit, not "already recorded"
    assert api.post(PEOPLE, data, as_=personas.grid_a).status_code == 429
    # while recording someone new is no look-up
    settings.EXACT_LOOKUPS_PER_HOUR = 2
    fresh = {**data, "id_number": "11010519491231002X"}
    assert api.post(PEOPLE, fresh, as_=personas.grid_a).status_code == 201
    assert lookups_of(personas.grid_a) == 1


@pytest.mark.django_db
def test_a_house_owner_named_by_id_number_is_a_counted_look_up(api, personas, grid_a_people, settings):
    settings.EXACT_LOOKUPS_PER_HOUR = 1
    address = make_address(personas.territory.grid_a, door_plate="9")
    other = make_address(personas.territory.grid_a, door_plate="11")
    owner = grid_a_people[3].id_number
    first = api.post(
        "/api/v1/registry/houses", {"address": address.code, "owner": owner}, as_=personas.grid_a
    )
    assert first.status_code == 201
    second = api.post("/api/v1/registry/houses", {"address": other.code, "owner": owner}, as_=personas.grid_a)
    assert second.status_code == 429


@pytest.mark.django_db
def test_pages_and_exports_show_masked_roles_the_birth_year_only(client, personas, grid_a_people, tmp_path):
    from fengqiao.registry.exporting import export_records

    person = grid_a_people[0]
    client.force_login(personas.grid_a)
    page = client.get(reverse("registry_person", args=[person.pk])).content.decode()
    assert "1971" in page and "1971-06-17" not in page
    assert person.id_number not in page and person.id_number[:4] + "*" * 12 + person.id_number[-2:] in page
    out = tmp_path / "people.csv"
    export_records(actor=personas.grid_a, kind="people", fmt="csv", path=out)
    text = out.read_text(encoding="utf-8-sig")
    assert "1971-06-17" not in text and ",1971," in text and person.id_number not in text


# --- 2. every read on the record -----------------------------------------------------------------


@pytest.mark.django_db
def test_an_api_list_is_one_audit_entry_listing_the_ids_with_purpose_and_address(
    api, personas, grid_a_people
):
    officer = personas.officer
    before = AuditEntry.objects.count()
    answer = api.get(PEOPLE, as_=officer, params={"limit": 50})
    assert answer.status_code == 200
    (entry,) = AuditEntry.objects.filter(actor=officer, action="registry_read")
    assert AuditEntry.objects.count() == before + 1 + 1  # the token's issue and the read
    assert sorted(entry.after["records"]["person"]) == sorted(p.pk for p in grid_a_people)
    assert entry.after["purpose"] == "visit" and entry.reason
    assert entry.ip == "127.0.0.1" and entry.request_id == answer["X-Request-ID"]
    log = ReadLog.objects.get(entry=entry)
    assert log.people == 5 and PersonRead.objects.filter(log=log).count() == 5


@pytest.mark.django_db
def test_a_person_page_a_house_page_and_a_search_are_each_on_the_record(client, personas, grid_a_people):
    house = make_house(grid_a_people[0].current_address, owner=grid_a_people[0])
    client.force_login(personas.officer)
    client.get(reverse("registry_person", args=[grid_a_people[1].pk]))
    client.get(reverse("registry_house", args=[house.pk]))
    client.get(reverse("registry_home"), {"q": "测试"})
    entries = list(AuditEntry.objects.filter(actor=personas.officer, action="registry_read").order_by("id"))
    assert len(entries) == 3
    assert grid_a_people[1].pk in entries[0].after["records"]["person"]
    assert entries[1].after["records"]["house"] == [house.pk]
    assert grid_a_people[0].pk in entries[1].after["records"]["person"]  # the owner shown
    assert set(entries[2].after["records"]["person"]) == {p.pk for p in grid_a_people}


@pytest.mark.django_db
def test_reading_nothing_writes_nothing(api, personas, grid_a_people):
    api.get("/api/v1/registry/statistics", as_=personas.officer)
    assert not AuditEntry.objects.filter(action="registry_read").exists()


# --- 3. purpose, access history, the right to know, alerts ---------------------------------------


@pytest.mark.django_db
def test_the_api_asks_for_a_purpose_by_name(api, personas, grid_a_people):
    headers = api.headers(personas.officer)
    del headers["X-Purpose"]
    headers["Accept-Language"] = "zh-hans"
    answer = api.client.get(PEOPLE, headers=headers)
    assert answer.status_code == 428 and "X-Purpose" in answer.json()["detail"]
    assert "用途" in answer.json()["detail"]
    headers["X-Purpose"] = "sightseeing"
    assert api.client.get(PEOPLE, headers=headers).status_code == 400
    headers["X-Purpose"] = "other"
    assert api.client.get(PEOPLE, headers=headers).status_code == 400  # "other" needs its note
    headers["X-Purpose-Note"] = "%E6%A1%88%E4%BB%B6%20123"  # 案件 123
    assert api.client.get(PEOPLE, headers=headers).status_code == 200
    entry = AuditEntry.objects.filter(action="registry_read").latest("id")
    assert (entry.after["purpose"], entry.after["note"]) == ("other", "案件 123")
    assert not AuditEntry.objects.filter(action="registry_read").exclude(pk=entry.pk).exists()


@pytest.mark.django_db
def test_the_pages_ask_for_a_purpose_once_a_session(personas, grid_a_people):
    browser = Client()
    browser.force_login(personas.grid_a)
    person_url = reverse("registry_person", args=[grid_a_people[0].pk])
    asked = browser.get(person_url)
    assert asked.status_code == 302 and asked["Location"].startswith(reverse("registry_purpose"))
    assert not AuditEntry.objects.filter(action="registry_read").exists()
    chosen = browser.post(reverse("registry_purpose"), {"purpose": "collection", "next": person_url})
    assert chosen.status_code == 302 and chosen["Location"] == person_url
    assert browser.get(person_url).status_code == 200
    entry = AuditEntry.objects.get(action="registry_read")
    assert entry.after["purpose"] == "collection"
    # "other" needs a note
    again = browser.post(reverse("registry_purpose"), {"purpose": "other", "next": person_url})
    assert again.status_code == 200


@pytest.mark.django_db
def test_the_access_history_shows_unit_role_purpose_and_time_to_officers_only(
    client, api, personas, grid_a_people
):
    person = grid_a_people[0]
    api.get(f"{PEOPLE}/{person.pk}", as_=personas.grid_a)
    client.force_login(personas.officer)
    page = client.get(reverse("registry_person", args=[person.pk])).content.decode()
    assert 'id="access-history"' in page
    assert "金积第一警务区" in page and "grid_a" in page
    client.force_login(personas.grid_a)
    page = client.get(reverse("registry_person", args=[person.pk])).content.decode()
    assert 'id="access-history"' not in page


@pytest.mark.django_db
def test_a_station_chief_sees_whom_their_staff_read_and_why(client, api, personas, grid_a_people):
    api.get(f"{PEOPLE}/{grid_a_people[2].pk}", as_=personas.grid_a)
    client.force_login(personas.station)
    index = client.get(reverse("registry_staff_reads_index")).content.decode()
    assert reverse("registry_staff_reads", args=[personas.grid_a.pk]) in index
    page = client.get(reverse("registry_staff_reads", args=[personas.grid_a.pk])).content.decode()
    assert grid_a_people[2].name in page
    # an officer is no superior of a grid worker of another district, nor of a peer: 404
    client.force_login(personas.officer)
    assert client.get(reverse("registry_staff_reads", args=[personas.grid_b.pk])).status_code == 404
    client.force_login(personas.grid_b)
    assert client.get(reverse("registry_staff_reads", args=[personas.grid_a.pk])).status_code == 404
    assert client.get(reverse("registry_staff_reads_index")).status_code == 403


@pytest.mark.django_db
def test_a_resident_sees_which_units_read_their_record_and_why_not_who(api, personas, grid_a_people):
    person = grid_a_people[4]
    actions.link_resident(personas.resident, person, actor=personas.officer)
    api.get(f"{PEOPLE}/{person.pk}", as_=personas.grid_a)
    portal = Client()
    portal.force_login(personas.resident)
    page = portal.get(reverse("portal_my_record_reads")).content.decode()
    assert "金积第一警务区" in page and "grid_a" not in page and "张三" not in page
    assert "走访核查" in page or "Home visit" in page


@pytest.mark.django_db
def test_an_unlinked_resident_is_told_how_to_link(personas):
    portal = Client()
    portal.force_login(personas.resident)
    page = portal.get(reverse("portal_my_record_reads"))
    assert page.status_code == 200 and b'id="record-reads"' not in page.content


def _working_today(working: bool, settings):
    CalendarDay.objects.update_or_create(date=timezone.localdate(), defaults={"working": working})
    settings.FENGQIAO_WORKING_HOURS = (("00:00", "23:59:59"),)


@pytest.mark.django_db
def test_reading_many_people_in_an_hour_tells_the_superior_once(api, personas, grid_a_people, settings):
    _working_today(True, settings)
    settings.READ_ALERT_PEOPLE_PER_HOUR = 3
    settings.READ_ALERT_OFF_HOURS_PEOPLE = 100
    for person in grid_a_people[:2]:
        api.get(f"{PEOPLE}/{person.pk}", as_=personas.grid_a)
        api.get(f"{PEOPLE}/{person.pk}", as_=personas.grid_a)
    # the worker's check, every minute: two people, four reads, is not three people
    assert access.watch_reading() == 0
    assert not Notification.objects.filter(kind="registry_read_alert").exists()
    for person in grid_a_people:
        api.get(f"{PEOPLE}/{person.pk}", as_=personas.grid_a)
    assert access.watch_reading() == 1
    assert access.watch_reading() == 0  # once an hour
    assert "unusual reading" in {job.name for job in periodic.jobs()}  # the worker runs it
    (told,) = Notification.objects.filter(kind="registry_read_alert")
    assert told.recipient == personas.station and "grid_a" in told.title
    assert AuditEntry.objects.get(action="registry_read_alert").after["kind"] == "volume"


@pytest.mark.django_db
def test_bulk_reading_outside_working_hours_tells_the_superior(api, personas, grid_a_people, settings):
    _working_today(False, settings)
    settings.READ_ALERT_PEOPLE_PER_HOUR = 100
    settings.READ_ALERT_OFF_HOURS_PEOPLE = 4
    api.get(PEOPLE, as_=personas.grid_a, params={"limit": 3})
    assert access.watch_reading() == 0
    api.get(PEOPLE, as_=personas.grid_a, params={"limit": 50})
    assert access.watch_reading() == 1
    (told,) = Notification.objects.filter(kind="registry_read_alert")
    assert told.recipient == personas.station
    assert AuditEntry.objects.get(action="registry_read_alert").after["kind"] == "off_hours"


@pytest.mark.django_db
def test_the_api_gives_the_access_history_to_officers_only(api, personas, grid_a_people):
    person = grid_a_people[1]
    api.get(f"{PEOPLE}/{person.pk}", as_=personas.grid_a)
    history = api.get(f"{PEOPLE}/{person.pk}/reads", as_=personas.officer)
    assert history.status_code == 200
    assert history.json()[0]["staff"] == "grid_a" and history.json()[0]["unit"] == "金积第一警务区"
    assert api.get(f"{PEOPLE}/{person.pk}/reads", as_=personas.grid_a).status_code == 403
    assert api.get(f"{PEOPLE}/{person.pk}/reads", as_=personas.grid_b).status_code == 404
