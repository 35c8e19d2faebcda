"""Residents hear back, and steps are offered only when they can succeed (issue 15, items 2 and 6):
the reply to the reporter and its SMS at closing, one word per status, separation of duties at the
check and extension decisions only when one was asked for. The SMS goes to a local HTTP gateway."""

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from fengqiao.core.casework import NotAvailable
from fengqiao.core.notifications.choices import ChannelKind, DeliveryStatus
from fengqiao.core.notifications.models import Channel, Delivery, Notification
from fengqiao.events.actions import move
from fengqiao.events.choices import PUBLIC_STATUS, Status
from fengqiao.events.models import Event
from fengqiao.events.workflow import EVENT_WORKFLOW
from tests.core.test_notifications import HttpEndpoint, run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway():
    """A local SMS gateway over HTTP, as the notification tests use."""
    endpoint = HttpEndpoint()
    yield endpoint
    endpoint.stop()


def walk(event, actor, *steps):
    for name, note, data in steps:
        event = move(event, name, actor=actor, version=event.version, note=note, data=data)
    return event


def handled(event, personas, reply=""):
    """Filed, dispatched, handled and reported back by grid A's worker."""
    return walk(
        event,
        personas.grid_a,
        ("file", "", None),
        ("dispatch", "", {"assignee": personas.grid_a.pk}),
        ("accept", "", None),
        ("report_back", "内部：找物业王经理借了梯子", {"reply": reply}),
    )


def names(event, user) -> set[str]:
    return {t.name for t in EVENT_WORKFLOW.available(event, user)}


# ---------------------------------------------------------------------------------------------
# separation of duties


def test_whoever_reported_back_cannot_pass_the_check_of_their_own_work(personas, report):
    # given an event grid A's worker handled and reported back
    event = handled(report(), personas)
    # then the check is not offered to them, and the engine refuses it with the reason
    assert "pass" not in names(event, personas.grid_a)
    assert "rework" in names(event, personas.grid_a)  # sending it back stays theirs to do
    with translation.override("zh-hans"), pytest.raises(PermissionDenied) as refused:
        move(event, "pass", actor=personas.grid_a, version=event.version)
    assert str(refused.value) == "“反馈”是您本人提交的，“核查通过”须由其他人办理。"
    assert Event.objects.unscoped(reason="test").get(pk=event.pk).status == Status.REPORTED_BACK
    # while the officer, who did not report it back, is offered it and passes it
    assert "pass" in names(event, personas.officer)
    event = move(event, "pass", actor=personas.officer, version=event.version)
    assert event.status == Status.CLOSED


def test_the_rule_follows_the_latest_report_back(personas, report):
    # given the officer reported back once, was sent back, and grid A's worker reported back after
    event = walk(
        report(),
        personas.officer,
        ("file", "", None),
        ("dispatch", "", None),
        ("accept", "", None),
        ("report_back", "初步处理", None),
    )
    event = move(event, "rework", actor=personas.station, version=event.version, note="未彻底")
    event = move(event, "report_back", actor=personas.grid_a, version=event.version, note="已彻底清理")
    # then the officer may pass the check now, the worker may not, and no superuser is exempt
    assert "pass" in names(event, personas.officer)
    assert "pass" not in names(event, personas.grid_a)


# ---------------------------------------------------------------------------------------------
# extensions: decided only once asked for


def test_extension_decisions_are_offered_only_once_one_was_asked_for(personas, report):
    event = walk(report(), personas.grid_a, ("file", "", None))
    assert not {"approve_extension", "refuse_extension"} & names(event, personas.officer)
    with translation.override("en"), pytest.raises(NotAvailable) as refused:
        move(event, "approve_extension", actor=personas.officer, version=event.version)
    assert refused.value.message_dict["transition"] == ["No extension has been requested."]
    event = move(
        event,
        "request_extension",
        actor=personas.grid_a,
        version=event.version,
        note="需协调",
        data={"hours": 4},
    )
    assert {"approve_extension", "refuse_extension"} <= names(event, personas.officer)
    event = move(event, "refuse_extension", actor=personas.officer, version=event.version, note="时限够用")
    assert not {"approve_extension", "refuse_extension"} & names(event, personas.officer)


# ---------------------------------------------------------------------------------------------
# one word per status


def test_every_status_has_one_staff_word_and_one_residents_word():
    with translation.override("zh-hans"):
        staff = {s: str(s.label) for s in Status}
        residents = {s: str(PUBLIC_STATUS[s]) for s in Status}
        # the workflow's states say the statuses' own words
        assert {s.name: str(s.label) for s in EVENT_WORKFLOW.states} == staff
    assert staff[Status.REPORTED] == "已上报" and staff[Status.CLOSED] == "已办结"
    assert residents[Status.REPORTED] == "已收到" and residents[Status.FILED] == "已受理"
    assert residents[Status.CLOSED] == "已办结"
    # residents read no police jargon
    for word in residents.values():
        for jargon in ("立案", "派遣", "反馈", "核查", "结案"):
            assert jargon not in word


# ---------------------------------------------------------------------------------------------
# the reply to the reporter


def sms_gateway(url) -> Channel:
    return Channel.objects.create(kind=ChannelKind.SMS, name="sms", url=url, token="tok-1")


def test_the_reply_goes_by_sms_to_the_reporters_phone_when_the_event_is_closed(
    personas,
    report,
    gateway,
    django_capture_on_commit_callbacks,
    settings,
):
    # given an SMS gateway and a report phoned in by someone without an account
    settings.SITE_URL = "https://fq.example.org"
    gateway.answer((200, {"id": "m1"}))
    sms_gateway(f"{gateway.url}/sms")
    event = report(reporter_name="刘一", reporter_phone="138 0000 1234")
    with django_capture_on_commit_callbacks(execute=True):
        event = handled(event, personas, reply="路灯已修好。")
    # nothing goes out while it is being checked
    run_worker()
    assert gateway.requests == []
    assert event.reply == "路灯已修好。" and event.public_reply == ""  # a draft until the check

    # when the officer passes the check, bettering the reply
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        event = move(
            event,
            "pass",
            actor=personas.officer,
            version=event.version,
            note="内部：已电话回访",
            data={"reply": "路灯已更换，感谢您的反映。"},
        )
    run_worker()

    # then the reporter's phone got the reply and the tracking link, and no internal note
    (sent,) = gateway.requests
    assert sent["json"]["phone"] == "138 0000 1234"
    assert sent["json"]["text"] == (
        f"您反映的问题：已办结\n路灯已更换，感谢您的反映。\nhttps://fq.example.org/track/{event.tracking_code}/"
    )
    assert "王经理" not in sent["json"]["text"] and "回访" not in sent["json"]["text"]
    assert Delivery.objects.get().status == DeliveryStatus.SENT
    assert event.public_reply == "路灯已更换，感谢您的反映。"


def test_no_sms_without_a_phone_and_a_resident_account_hears_in_the_app(
    personas,
    report,
    gateway,
    django_capture_on_commit_callbacks,
):
    gateway.answer((200, {}))
    sms_gateway(f"{gateway.url}/sms")
    anonymous = report(reporter_name="无名")
    from fengqiao.events.choices import Channel as EventChannel

    own = report("0502", actor=personas.resident, channel=EventChannel.PORTAL, reporter_phone="")
    with django_capture_on_commit_callbacks(execute=True):
        for event in (anonymous, own):
            event = handled(event, personas, reply="已处理")
            move(event, "pass", actor=personas.officer, version=event.version)
    run_worker()
    # the resident has no phone on their account: no SMS to anyone
    assert gateway.requests == []
    closed = (
        Notification.objects.filter(recipient=personas.resident, kind="event_reporter").order_by("id").last()
    )
    assert closed.title == "Your report: closed" and closed.body == "已处理"


def test_a_report_not_taken_up_tells_the_reporter_why_in_the_reply(
    personas,
    report,
    gateway,
    django_capture_on_commit_callbacks,
):
    gateway.answer((200, {}))
    sms_gateway(f"{gateway.url}/sms")
    event = report(reporter_phone="13900001111")
    with django_capture_on_commit_callbacks(execute=True):
        event = move(
            event,
            "reject",
            actor=personas.grid_a,
            version=event.version,
            note="内部：非本辖区",
            data={"reply": "该问题属于市政管理，请拨打12345。"},
        )
    run_worker()
    (sent,) = gateway.requests
    assert "请拨打12345" in sent["json"]["text"] and "非本辖区" not in sent["json"]["text"]
    assert event.public_status_label == "not taken up"
