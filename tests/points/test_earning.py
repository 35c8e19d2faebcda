"""Points for leads and mediation help: a lead earns once when the station has filed the event the
volunteer reported; help in a mediation earns once when the dispute's mediator confirms it; each
names who verified it, and nobody verifies their own work."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fengqiao.events.actions import move
from fengqiao.events.choices import Channel
from fengqiao.points import actions
from tests.points.conftest import balance

pytestmark = pytest.mark.django_db


def test_a_lead_earns_once_when_its_event_is_filed(world, report, personas):
    # given an event volunteer A reported on the portal, not yet taken up
    event = report(actor=world.vol_a, channel=Channel.PORTAL, title="村口有陌生人兜售假药")
    with pytest.raises(ValidationError, match="filed"):
        actions.credit_lead(event, actor=world.clerk)
    # when the station files it and verifies the lead
    event = move(event, "file", actor=personas.grid_a, version=event.version)
    txn = actions.credit_lead(event, actor=world.clerk)
    # then the volunteer earns the station's points per lead, naming the verifier, once
    assert balance(world.station, world.member_a) == world.rule.per_lead
    assert txn.verified_by == world.clerk and txn.source == "lead" and event.number in txn.description
    with pytest.raises(ValidationError, match="already been credited"):
        actions.credit_lead(event, actor=world.clerk)
    # an event a member of staff reported is no volunteer's lead
    staff_event = move(report(), "file", actor=personas.grid_a, version=1)
    with pytest.raises(ValidationError, match="not an active volunteer"):
        actions.credit_lead(staff_event, actor=world.clerk)


def test_mediation_help_earns_when_the_disputes_mediator_confirms_it(world, register, personas):
    dispute = register()
    # someone who does not work on the dispute cannot confirm; the officer holding it can
    with pytest.raises(PermissionDenied):
        actions.credit_mediation(dispute, world.member_a, actor=personas.grid_b)
    txn = actions.credit_mediation(dispute, world.member_a, actor=personas.officer)
    assert balance(world.station, world.member_a) == world.rule.per_mediation
    assert txn.verified_by == personas.officer and dispute.number in txn.description
    with pytest.raises(ValidationError, match="already been credited"):
        actions.credit_mediation(dispute, world.member_a, actor=personas.officer)


def test_the_station_verifies_a_lead_on_its_page(client, world, report, personas):
    event = report(actor=world.vol_a, channel=Channel.PORTAL, title="河边护栏松动")
    event = move(event, "file", actor=personas.grid_a, version=event.version)
    client.force_login(world.clerk)
    button = f'name="event" value="{event.pk}"'
    assert button in client.get("/points/verify/").content.decode()
    assert client.post("/points/verify/", {"event": event.pk}).status_code == 302
    assert balance(world.station, world.member_a) == world.rule.per_lead
    assert button not in client.get("/points/verify/").content.decode()
    # a volunteer may not open it; an id no database holds is a 404
    assert client.post("/points/verify/", {"event": "9" * 30}).status_code == 404
    client.force_login(world.vol_a)
    assert client.get("/points/verify/").status_code == 403
