"""Personal numbers kept outside the registry are encrypted at rest as the registry's are
(docs/adr/0010): dispute parties' ID numbers and phones (through the action and the demo's bulk
``COPY`` path), event reporters' phones and private cameras' owners' phones are in neither the
SQLite file nor a ``pg_dump``; a party is still found by its whole number through the keyed hash."""

import pytest
from django.db import connection

from fengqiao.demo.disputes import generate_demo_disputes
from fengqiao.disputes import actions as disputes
from fengqiao.disputes.actions import PartyData
from fengqiao.disputes.models import DisputeParty
from fengqiao.events.models import Event
from fengqiao.video.actions import CameraData, register_camera
from fengqiao.video.models import Camera
from tests.fixtures.registry import make_address, make_person, valid_id_number
from tests.registry.test_encryption import database_bytes, stored
from tests.video.conftest import code


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit")  # pg_dump reads what is committed
def test_no_party_reporter_or_camera_owner_number_is_in_the_database_files(
    personas, register, report, tmp_path
):
    # given disputes from the demo's bulk path, and two registered through the action (parties
    # entered freely, and a person of the registry)
    generate_demo_disputes(actor=personas.admin, scale=0.002, seed=3)
    demo_numbers = [p.id_number for p in DisputeParty.objects.all()]
    assert len(demo_numbers) > 6  # the demo's parties load decrypted through the model
    numbers = [valid_id_number() for _ in range(3)]
    phones = ["13912340001", "13912340002", "13912340003"]
    known = make_person(make_address(personas.territory.grid_a), id_number=numbers[2], phone=phones[2])
    for applicant, respondent in ((0, 1), (1, 0)):
        register(
            parties=[
                PartyData(
                    role="applicant", name="甲某", id_number=numbers[applicant], phone=phones[applicant]
                ),
                PartyData(
                    role="respondent", name="乙某", id_number=numbers[respondent], phone=phones[respondent]
                ),
                PartyData(role="respondent", name="", person=known),
            ]
        )
    # an event reported with a phone, a private camera registered with its owner's phone
    report(reporter_name="马丽", reporter_phone="13800002222")
    phones.append("13800002222")
    register_camera(
        CameraData(
            device_code=code(91, "132"),
            name="金积超市门口",
            kind="shop",
            lon=106.105,
            lat=37.905,
            owner_name="马老板",
            owner_phone="13700003333",
        )
    )
    phones.append("13700003333")
    control = valid_id_number()
    make_person(make_address(personas.territory.grid_a), hukou_address=f"身份证 {control}")  # plain column

    # when the database's bytes are read
    raw = database_bytes(tmp_path)

    # then the plain-text control is found, so the scan sees a number, and none of theirs is
    assert control.encode() in raw
    found = [v for v in numbers + phones + demo_numbers if v.encode() in raw]
    assert found == []
    # and the columns hold ciphertext that reads back as it was written
    assert all(v.startswith(("aes:", "sm4:")) for v in stored("disputes_disputeparty", "id_number"))
    assert Event.objects.unscoped(reason="test").get(reporter_name="马丽").reporter_phone == "13800002222"
    assert Camera.objects.unscoped(reason="test").get(owner_name="马老板").owner_phone == "13700003333"


@pytest.mark.django_db
def test_parties_are_found_and_repeats_counted_by_the_keyed_hash(personas, register):
    # given disputes between the same two people
    a, b = valid_id_number(), valid_id_number()
    for _ in range(3):
        last = register(applicant=a, respondent=b)
    # then an exact look-up finds them by their hash, and the repeats are counted by it
    assert DisputeParty.objects.filter(id_number=a).count() == 3
    assert DisputeParty.objects.filter(phone="13912345678").count() == 3
    assert disputes.repeats(last) == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM disputes_disputeparty WHERE id_number = %s", [a])
        assert cursor.fetchone()[0] == 0  # not in plain
