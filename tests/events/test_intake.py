"""One intake: every door builds its report with ``build_report``; ``report_event`` checks the channel."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fengqiao.events.actions import Report, build_report, report_event
from fengqiao.events.choices import Channel
from fengqiao.events.models import Event

pytestmark = pytest.mark.django_db


def errors_of(**data) -> dict:
    with pytest.raises(ValidationError) as caught:
        build_report(**data)
    return caught.value.message_dict


def test_the_builder_names_every_bad_field_at_once(personas, categories):
    found = errors_of(category="9999", public_only=False, title="x", lon=106.1, reporter_phone="abc")
    assert set(found) == {"category", "lat", "reporter_phone"}
    assert set(errors_of(category="0401", public_only=False, lon=200.0, lat=37.9)) == {"lon", "title"}


def test_a_report_without_a_title_takes_the_first_line_of_its_description(personas, categories):
    report = build_report(
        category="0401", public_only=True, description="路灯坏了\n晚上很黑", lon=106.1, lat=37.9
    )
    assert report.title == "路灯坏了" and report.category == categories["0401"]
    # a public door offers only public categories
    assert set(errors_of(category="0101", public_only=True, description="x", lon=106.1, lat=37.9)) == {
        "category"
    }


def test_staff_place_by_an_address_code_of_their_own_area_only(personas, categories):
    from tests.fixtures.registry import make_address

    address = make_address(personas.territory.grid_b)
    found = errors_of(
        category="0401", public_only=False, actor=personas.grid_a, title="x", address=address.code
    )
    assert set(found) == {"address"}
    report = build_report(
        category="0401", public_only=False, actor=personas.grid_b, title="x", address=address.code
    )
    assert report.address == address


@pytest.mark.parametrize("channel", [Channel.STAFF, Channel.PHONE, Channel.API, Channel.DISPATCH_110])
def test_the_action_refuses_staff_channels_to_everyone_else(personas, categories, channel):
    report = Report(category=categories["0401"], title="x", lon=106.105, lat=37.905)
    for actor in (None, personas.resident):
        with pytest.raises(PermissionDenied):
            report_event(report, actor=actor, channel=channel)
    assert not Event.objects.unscoped(reason="test").exists()


def test_the_action_refuses_a_staff_only_category_through_a_public_channel(personas, categories):
    report = Report(category=categories["0101"], title="x", lon=106.105, lat=37.905)
    with pytest.raises(ValidationError) as caught:
        report_event(report, actor=None, channel=Channel.PORTAL)
    assert set(caught.value.message_dict) == {"category"}
    assert report_event(report, actor=personas.grid_a, channel=Channel.STAFF).category == categories["0101"]
