"""Help confirmed on other apps' pages: the dispute's mediator credits the volunteer who helped
(from the dispute's page or the API); whoever recorded a lecture, or the station's staff, credit
who attended (from the lecture's page). Once per volunteer and piece of work, within the monthly
cap, on the record."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fengqiao.outreach.actions import record_lecture
from fengqiao.points import actions
from fengqiao.points.models import Transaction
from tests.points.conftest import balance

pytestmark = pytest.mark.django_db


def credits(source):
    return Transaction.objects.unscoped(reason="test").filter(source=source)


def test_the_mediator_credits_a_volunteer_from_the_dispute_page(client, world, personas, register):
    dispute = register()  # held by the district's officer
    page = f"/disputes/{dispute.number}/"
    client.force_login(personas.officer)
    body = client.get(page).content.decode()
    assert 'id="points-help-form"' in body and f'<option value="{world.member_a.pk}">' in body
    response = client.post(f"/points/mediation/{dispute.number}/", {"member": world.member_a.pk})
    assert response.status_code == 302
    assert balance(world.station, world.member_a) == world.rule.per_mediation
    txn = credits("mediation").get()
    assert txn.verified_by == personas.officer and txn.member == world.member_a
    body = client.get(page).content.decode()
    assert 'id="points-help-credited"' in body and f'<option value="{world.member_a.pk}">' not in body
    # credited once: the same post again changes nothing and says why
    again = client.post(f"/points/mediation/{dispute.number}/", {"member": world.member_a.pk}, follow=True)
    assert "已" in again.content.decode() and credits("mediation").count() == 1
    # a volunteer of another station is refused with the field named
    from fengqiao.patrols.actions import add_member
    from tests.fixtures.registry import valid_id_number

    far = add_member(world.teams["C"], actor=personas.city, name="丙", id_number=valid_id_number())
    client.post(f"/points/mediation/{dispute.number}/", {"member": far.pk})
    assert credits("mediation").count() == 1


def test_only_those_working_on_the_dispute_see_the_form_or_credit(client, world, personas, register):
    dispute = register()
    client.force_login(personas.grid_b)  # the neighbouring grid's worker: not in scope
    assert (
        client.post(f"/points/mediation/{dispute.number}/", {"member": world.member_a.pk}).status_code == 404
    )
    client.force_login(personas.grid_a)  # in scope, but neither holds nor mediates it
    assert 'id="points-help"' not in client.get(f"/disputes/{dispute.number}/").content.decode()
    assert (
        client.post(f"/points/mediation/{dispute.number}/", {"member": world.member_a.pk}).status_code == 403
    )
    client.force_login(world.vol_a)
    assert (
        client.post(f"/points/mediation/{dispute.number}/", {"member": world.member_a.pk}).status_code == 404
    )
    assert not credits("mediation").exists()


def test_the_mediator_credits_through_the_api(api, world, personas, register):
    dispute = register()
    body = {"dispute": dispute.number, "member": world.member_b.pk}
    created = api.post("/api/v1/points/mediation-help", body, as_=personas.officer)
    assert created.status_code == 201, created.content
    assert created.json()["points"] == world.rule.per_mediation
    again = api.post("/api/v1/points/mediation-help", body, as_=personas.officer)
    assert again.status_code == 422 and credits("mediation").count() == 1
    assert api.post("/api/v1/points/mediation-help", body, as_=personas.grid_b).status_code == 404
    assert api.post("/api/v1/points/mediation-help", body, as_=personas.grid_a).status_code == 403


@pytest.fixture
def lecture(personas):
    return record_lecture(
        actor=personas.officer,
        kind="lecture",
        held_on=timezone.localdate(),
        place_text="金积村委会",
        topic="防范电信诈骗",
        speaker="王五",
        grid=personas.territory.grid_a,
    )


def test_a_lecture_attended_earns_the_stations_points_once(world, personas, lecture):
    world.rule.per_lecture = 8
    world.rule.save()
    txn = actions.credit_lecture(lecture, world.member_a, actor=personas.officer)
    assert balance(world.station, world.member_a) == 8 and txn.source == "lecture"
    assert txn.verified_by == personas.officer and "防范电信诈骗" in txn.description
    with pytest.raises(ValidationError, match="already been credited"):
        actions.credit_lecture(lecture, world.member_a, actor=world.clerk)
    # the monthly cap holds for lectures as for every earning
    world.rule.monthly_cap = 10
    world.rule.save()
    actions.credit_lecture(lecture, world.member_b, actor=personas.station)
    assert balance(world.station, world.member_b) == 8
    # the neighbouring grid's worker neither recorded it nor keeps the ledger
    with pytest.raises(PermissionDenied):
        actions.credit_lecture(lecture, world.member_b, actor=personas.grid_b)


def test_the_lecture_page_credits_who_attended(client, world, personas, lecture):
    client.force_login(personas.officer)
    body = client.get(f"/outreach/lectures/{lecture.pk}/").content.decode()
    assert 'id="points-help-form"' in body and f'value="{world.member_b.pk}"' in body
    assert client.post(f"/points/lectures/{lecture.pk}/", {"member": world.member_b.pk}).status_code == 302
    assert balance(world.station, world.member_b) == world.rule.per_lecture
    # a member of staff out of the lecture's scope gets a 404, one in scope without the right a 403
    client.force_login(personas.grid_b)
    assert client.post(f"/points/lectures/{lecture.pk}/", {"member": world.member_a.pk}).status_code == 404
    client.force_login(personas.grid_a)
    assert 'id="points-help"' not in client.get(f"/outreach/lectures/{lecture.pk}/").content.decode()
    assert client.post(f"/points/lectures/{lecture.pk}/", {"member": world.member_a.pk}).status_code == 403
    assert credits("lecture").count() == 1
