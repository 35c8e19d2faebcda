"""Bookings at the offices: slots in the working hours of working days, the phone confirmed by its
SMS code (a local gateway), places per slot counted, the confirmation by SMS, and the officer's day
list scoped to the offices under them; the booking pages for residents and the kiosk."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fengqiao.core import workcalendar
from fengqiao.selfservice import actions, bookings
from fengqiao.selfservice.models import Booking, Kiosk, Office
from tests.core.test_notifications import run_worker
from tests.selfservice.conftest import last_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def offices(territory):
    a = Office.objects.create(kind="office", code="JWS0001", name="金积第一警务室", unit=territory.district_a)
    b = Office.objects.create(
        kind="workstation", code="JWZ0001", name="金积第二警务工作站", unit=territory.district_b
    )
    Kiosk.objects.create(office=a, code="K0001")
    return a, b


def book(office, gateway, capture, phone, slot, name="刘一"):
    with capture(execute=True):
        actions.send_phone_code(phone, scope_path=office.scope_path)
    code = last_code(gateway, phone)
    with capture(execute=True):
        return bookings.book(
            office, service="temporary_id", starts_at=slot, name=name, phone=phone, code=code
        )


def test_slots_are_in_working_hours_of_working_days():
    day = timezone.localdate()
    while not workcalendar.calendar().is_working_day(day):
        day = day.replace(day=day.day + 1) if day.day < 28 else day.replace(month=day.month % 12 + 1, day=1)
    starts = bookings.slots(day)
    assert starts and all(
        timezone.localtime(s).time() >= workcalendar.working_periods()[0][0] for s in starts
    )
    assert timezone.localtime(starts[0]).strftime("%H:%M") == "08:30"


def test_a_slot_takes_as_many_as_its_size_and_each_gets_an_sms(
    offices, gateway, django_capture_on_commit_callbacks, settings
):
    settings.FENGQIAO_BOOKING_SLOT_SIZE = 1
    office = offices[0]
    slot = bookings.free_slots(office)[0][0]
    booking = book(office, gateway, django_capture_on_commit_callbacks, "13700000001", slot)
    run_worker()
    assert any(booking.code in r["json"]["text"] for r in gateway.requests)
    assert slot not in [s for s, _left in bookings.free_slots(office)]
    with pytest.raises(ValidationError) as error:
        book(office, gateway, django_capture_on_commit_callbacks, "13700000002", slot)
    assert "starts_at" in error.value.message_dict
    assert Booking.objects.unscoped(reason="test").count() == 1


def test_a_time_that_is_no_slot_is_refused(offices, gateway, django_capture_on_commit_callbacks):
    slot = bookings.free_slots(offices[0])[0][0]
    with pytest.raises(ValidationError) as error:
        book(offices[0], gateway, django_capture_on_commit_callbacks, "13700000003", slot.replace(minute=7))
    assert "starts_at" in error.value.message_dict


def test_the_day_list_shows_the_offices_under_the_officer(
    offices, gateway, django_capture_on_commit_callbacks, personas, logged_in
):
    slot = bookings.free_slots(offices[0])[0][0]
    mine = book(offices[0], gateway, django_capture_on_commit_callbacks, "13700000004", slot)
    other = book(offices[1], gateway, django_capture_on_commit_callbacks, "13700000005", slot)
    day = timezone.localdate(slot).isoformat()
    officer = logged_in(personas.officer).get(f"/bookings/?day={day}").content.decode()
    assert mine.code in officer and other.code not in officer and "137****0004" in officer
    station = logged_in(personas.station).get(f"/bookings/?day={day}").content.decode()
    assert mine.code in station and other.code in station
    assert logged_in(personas.grid_a).get(f"/bookings/?day={day}").status_code == 403


def test_a_resident_books_on_the_office_page(client, offices, gateway, django_capture_on_commit_callbacks):
    office = offices[0]
    slot = bookings.free_slots(office)[0][0]
    data = {
        "service": "traffic",
        "starts_at": timezone.localtime(slot).isoformat(),
        "name": "刘二",
        "phone": "13700000006",
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/offices/JWS0001/book/", {**data, "send_code": "1"}).status_code == 200
    code = last_code(gateway, "13700000006")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/offices/JWS0001/book/", {**data, "code": code, "submit": "1"})
    assert response.status_code == 302
    booking = Booking.objects.unscoped(reason="test").get()
    assert booking.code in client.get(response["Location"]).content.decode()
    assert re.search(r'id="tile-booking"', client.get("/kiosk/K0001/").content.decode())
