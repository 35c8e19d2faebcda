"""Notifications: in-app messages, and real deliveries through each channel adapter.

Every adapter talks to a server the test starts on loopback: an http.server for the WeCom group
bot and the SMS gateway, aiosmtpd for e-mail. Deliveries go through django-tasks' database
backend and are run by its worker code, the way ``fengqiao db_worker`` runs them.
"""

import datetime as dt
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from django.urls import include, path, reverse
from django.utils import timezone, translation
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

import fengqiao.urls
from fengqiao.core.models import AuditEntry
from fengqiao.core.notifications import tasks
from fengqiao.core.notifications.actions import mark_read, notify, retry_delivery
from fengqiao.core.notifications.choices import ChannelKind, DeliveryStatus
from fengqiao.core.notifications.models import Channel, Delivery, Notification

# The project's URLs plus the notification pages, whether or not web/urls.py includes them yet.
urlpatterns = [
    path("notifications/", include("fengqiao.web.notifications.urls")),
    *fengqiao.urls.urlpatterns,
]

WECOM_OK = {"errcode": 0, "errmsg": "ok"}


# --- local servers ---------------------------------------------------------------------------


class HttpEndpoint:
    """A local HTTP server that answers from a script and records what it was sent."""

    def __init__(self):
        self.requests = []
        self.script = []  # (status, json body, delay in s), one per request; the last one repeats
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                endpoint.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(raw)}
                )
                index = min(len(endpoint.requests), len(endpoint.script)) - 1
                status, body, delay = endpoint.script[index] if endpoint.script else (200, {}, 0)
                if delay:
                    time.sleep(delay)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, *script):
        self.script = [(s[0], s[1], s[2] if len(s) > 2 else 0) for s in script]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_endpoint():
    endpoint = HttpEndpoint()
    yield endpoint
    endpoint.stop()


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", errors="replace"),
                "login": session.auth_data,
            }
        )
        return "250 Message accepted for delivery"


def _check_login(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"notifier" and auth_data.password == b"s3cret"
    return AuthResult(success=ok, handled=False, auth_data=auth_data.login.decode() if ok else None)


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=closed_port(),  # a free port; aiosmtpd's start-up probe cannot use port 0
        authenticator=_check_login,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    controller.stop()


def closed_port() -> int:
    """A loopback port with nothing listening on it (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- running the queue -----------------------------------------------------------------------


def run_worker() -> int:
    """Run every task that is due, as the database backend's worker does; returns how many."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = 0
    while (result := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        result.claim(worker.worker_id)
        worker.run_task(result)
        ran += 1
    assert not DBTaskResult.objects.failed().exists(), DBTaskResult.objects.failed().first().traceback
    return ran


def fast_forward() -> None:
    """Let the retry back-off pass: what is due later is due now."""
    past = timezone.now() - dt.timedelta(seconds=1)
    DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after__gt=past).update(run_after=past)
    Delivery.objects.filter(status__in=tasks.OPEN).update(next_attempt_at=past)


def queued_retry() -> DBTaskResult:
    (task,) = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    return task


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def people(personas):
    personas.grid_a.phone = "13800000001"
    personas.grid_a.email = "grid_a@example.org"
    personas.grid_a.save()
    personas.officer.phone = "13800000002"
    personas.officer.save()
    return personas


def grid_a_path(people) -> str:
    return people.territory.grid_a.scope_path


def wecom(url, scope_path="", **extra) -> Channel:
    return Channel.objects.create(
        kind=ChannelKind.WECOM, name="group", url=url, scope_path=scope_path, **extra
    )


def sms(url, **extra) -> Channel:
    return Channel.objects.create(kind=ChannelKind.SMS, name="sms", url=url, token="tok-123", **extra)


def send_now(people, recipients=None, **kwargs):
    """notify() inside an action's transaction, with its on-commit work run at the commit."""
    kwargs.setdefault("kind", "event_dispatched")
    kwargs.setdefault("title", "事件已派遣")
    kwargs.setdefault("body", "金积村第一网格: 噪音扰民")
    kwargs.setdefault("link", "/events/640302-20260101-0001/")
    kwargs.setdefault("scope_path", grid_a_path(people))
    with transaction.atomic():
        return notify(recipients if recipients is not None else [people.grid_a], **kwargs)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks when the (test-wrapped) transaction would commit."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


# --- the WeCom group bot ---------------------------------------------------------------------


def test_wecom_group_bot_gets_a_text_message(people, http_endpoint, commit):
    # given the group bot of grid A's police district
    http_endpoint.answer((200, WECOM_OK))
    district = people.territory.district_a.path
    channel = wecom(f"{http_endpoint.url}/cgi-bin/webhook/send?key=abc", scope_path=district)

    # when an event in grid A is dispatched
    (note,) = commit(send_now, people)
    assert run_worker() == 1

    # then the group got one text message and the delivery is recorded as sent
    (request,) = http_endpoint.requests
    assert request["path"] == "/cgi-bin/webhook/send?key=abc"
    assert request["json"]["msgtype"] == "text"
    assert request["json"]["text"]["content"] == "事件已派遣\n金积村第一网格: 噪音扰民"
    delivery = Delivery.objects.get(channel=channel)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert delivery.address == ""
    # and the in-app notification was there from the start
    assert note.recipient == people.grid_a
    assert note.read_at is None


def test_wecom_errcode_is_a_failure_and_is_retried_with_back_off(people, http_endpoint, commit):
    http_endpoint.answer((200, {"errcode": 93000, "errmsg": "invalid webhook url"}))
    wecom(f"{http_endpoint.url}/send?key=wrong")

    commit(send_now, people)
    before = timezone.now()
    run_worker()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "WeCom errcode 93000: invalid webhook url"
    assert "key=wrong" not in delivery.last_error
    # the next attempt is queued one minute on, as a task that waits until then
    assert before + dt.timedelta(seconds=59) < delivery.next_attempt_at < before + dt.timedelta(seconds=65)
    assert queued_retry().run_after == delivery.next_attempt_at
    assert run_worker() == 0  # not yet due


def test_group_bots_only_hear_of_their_own_territory(people, http_endpoint, commit):
    http_endpoint.answer((200, WECOM_OK))
    t = people.territory
    ours = wecom(f"{http_endpoint.url}/station", scope_path=t.station.path)
    wecom(f"{http_endpoint.url}/district-b", scope_path=t.district_b.path)
    wecom(f"{http_endpoint.url}/off", scope_path=t.station.path, is_active=False)
    wecom(f"{http_endpoint.url}/other-kind", kinds=["safety_alert"])

    commit(send_now, people)
    run_worker()

    assert [r["path"] for r in http_endpoint.requests] == ["/station"]
    assert Delivery.objects.get().channel == ours


def test_no_group_message_for_a_notification_without_a_place(people, http_endpoint, commit):
    http_endpoint.answer((200, WECOM_OK))
    wecom(http_endpoint.url)

    commit(send_now, people, scope_path="")
    run_worker()

    assert http_endpoint.requests == []
    assert not Delivery.objects.exists()


# --- the SMS gateway -------------------------------------------------------------------------


def test_sms_goes_to_each_recipients_phone_with_the_token(people, http_endpoint, commit, settings):
    settings.SITE_URL = "https://fq.example.org/"
    http_endpoint.answer((202, {"id": "m1"}))
    channel = sms(f"{http_endpoint.url}/sms")

    # the resident has no phone: no SMS for them
    commit(send_now, people, [people.grid_a, people.officer, people.resident, people.grid_a])
    assert run_worker() == 2

    phones = sorted(r["json"]["phone"] for r in http_endpoint.requests)
    assert phones == ["13800000001", "13800000002"]
    request = http_endpoint.requests[0]
    assert request["headers"]["Authorization"] == "Bearer tok-123"
    assert request["json"]["text"] == (
        "事件已派遣\n金积村第一网格: 噪音扰民\nhttps://fq.example.org/events/640302-20260101-0001/"
    )
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert Delivery.objects.filter(channel=channel).count() == 2
    # three people, three in-app notifications (grid_a named twice counts once)
    assert Notification.objects.count() == 3


def test_the_sms_channel_closest_to_the_place_is_used_once(people, http_endpoint, commit):
    http_endpoint.answer((200, {}))
    sms(f"{http_endpoint.url}/city")
    county = sms(f"{http_endpoint.url}/county", scope_path=people.territory.county.path)
    sms(f"{http_endpoint.url}/county2", scope_path=people.territory.county2.path)

    commit(send_now, people)
    run_worker()

    assert [r["path"] for r in http_endpoint.requests] == ["/county"]
    assert Delivery.objects.get().channel == county


def test_sms_gateway_error_status_is_recorded(people, http_endpoint, commit):
    http_endpoint.answer((503, {"error": "quota exceeded"}))
    sms(http_endpoint.url)

    commit(send_now, people)
    run_worker()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("HTTP 503 from 127.0.0.1:")
    assert "quota exceeded" in delivery.last_error


def test_a_gateway_that_does_not_answer_in_time_fails_the_attempt(people, http_endpoint, commit):
    http_endpoint.answer((200, {}, 2.5))
    sms(http_endpoint.url, timeout=1)

    commit(send_now, people)
    started = time.monotonic()
    run_worker()

    assert time.monotonic() - started < 2.4
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.endswith("within 1 s")


def test_a_gateway_that_refuses_connections_fails_the_attempt(people, commit):
    sms(f"http://127.0.0.1:{closed_port()}/sms")

    commit(send_now, people)
    run_worker()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("cannot reach 127.0.0.1:")


# --- retries ---------------------------------------------------------------------------------


def test_retries_back_off_then_give_up(people, http_endpoint, commit):
    http_endpoint.answer((500, {}))
    sms(http_endpoint.url, max_attempts=3)
    commit(send_now, people)

    waits = []
    for _ in range(3):
        before = timezone.now()
        assert run_worker() == 1
        delivery = Delivery.objects.get()
        if delivery.next_attempt_at:
            waits.append(round((delivery.next_attempt_at - before).total_seconds() / 60))
        fast_forward()

    assert waits == [1, 5]
    assert delivery.status == DeliveryStatus.GIVEN_UP
    assert delivery.attempts == 3
    assert delivery.next_attempt_at is None
    assert len(http_endpoint.requests) == 3
    assert run_worker() == 0  # nothing more is queued


def test_a_retry_that_gets_through_is_sent(people, http_endpoint, commit):
    http_endpoint.answer((502, {}), (200, WECOM_OK))
    wecom(http_endpoint.url)
    commit(send_now, people)

    run_worker()
    fast_forward()
    run_worker()

    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.SENT, 2, "")
    assert len(http_endpoint.requests) == 2


def test_a_delivery_queued_twice_is_sent_once(people, http_endpoint, commit):
    http_endpoint.answer((200, WECOM_OK))
    wecom(http_endpoint.url)
    commit(send_now, people)
    tasks.enqueue(Delivery.objects.get().pk)

    assert run_worker() == 2
    assert len(http_endpoint.requests) == 1


def test_a_delivery_that_lost_its_task_is_queued_again(people, http_endpoint, commit):
    http_endpoint.answer((200, WECOM_OK))
    wecom(http_endpoint.url)
    commit(send_now, people)
    DBTaskResult.objects.all().delete()  # the worker died with it
    Delivery.objects.update(next_attempt_at=timezone.now() - dt.timedelta(minutes=10))

    assert tasks.requeue_stale() == 1
    run_worker()

    assert Delivery.objects.get().status == DeliveryStatus.SENT
    assert tasks.requeue_stale() == 0


def test_switching_a_channel_off_gives_its_open_deliveries_up(people, http_endpoint, commit):
    http_endpoint.answer((500, {}))
    channel = wecom(http_endpoint.url)
    commit(send_now, people)
    run_worker()
    Channel.objects.filter(pk=channel.pk).update(is_active=False)
    fast_forward()

    run_worker()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.GIVEN_UP
    assert delivery.last_error == "the channel has been switched off"
    assert len(http_endpoint.requests) == 1


def test_an_administrator_retries_a_given_up_delivery(people, http_endpoint, commit):
    http_endpoint.answer((500, {}), (200, WECOM_OK))
    wecom(http_endpoint.url, max_attempts=1)
    commit(send_now, people)
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.GIVEN_UP

    commit(retry_delivery, delivery, actor=people.admin)
    run_worker()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    entry = AuditEntry.objects.get(action="delivery_retry")
    assert entry.before["status"] == "given_up"
    with translation.override("en"), pytest.raises(PermissionDenied, match="administrators"):
        retry_delivery(delivery, actor=people.station)


# --- e-mail ----------------------------------------------------------------------------------


def test_email_through_the_channels_smtp_server_with_login(people, smtp_server, commit):
    Channel.objects.create(
        kind=ChannelKind.EMAIL,
        name="mail",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_user="notifier",
        smtp_password="s3cret",
        from_email="fengqiao@example.org",
    )

    commit(send_now, people, [people.grid_a, people.officer])  # the officer has no address
    run_worker()

    (message,) = smtp_server.messages
    assert message["to"] == ["grid_a@example.org"]
    assert message["from"] == "fengqiao@example.org"
    assert message["login"] == "notifier"
    assert "Subject: =?utf-8?b?" in message["data"]  # the Chinese title, encoded
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.address) == (DeliveryStatus.SENT, "grid_a@example.org")


def test_email_with_a_wrong_smtp_password_fails(people, smtp_server, commit):
    Channel.objects.create(
        kind=ChannelKind.EMAIL,
        name="mail",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_user="notifier",
        smtp_password="wrong",
    )

    commit(send_now, people)
    run_worker()

    assert smtp_server.messages == []
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == "SMTP login refused: 535"


def test_email_through_the_servers_email_settings(people, smtp_server, commit, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.DEFAULT_FROM_EMAIL = "noreply@example.org"
    Channel.objects.create(kind=ChannelKind.EMAIL, name="mail")

    commit(send_now, people)
    run_worker()

    (message,) = smtp_server.messages
    assert (message["from"], message["to"]) == ("noreply@example.org", ["grid_a@example.org"])
    assert Delivery.objects.get().status == DeliveryStatus.SENT


def test_email_to_an_smtp_server_that_is_down_fails(people, commit):
    Channel.objects.create(
        kind=ChannelKind.EMAIL, name="mail", smtp_host="127.0.0.1", smtp_port=closed_port()
    )

    commit(send_now, people)
    run_worker()

    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error.startswith("cannot reach the SMTP server")


# --- the caller's transaction ----------------------------------------------------------------


class Boom(Exception):
    pass


@pytest.mark.django_db(transaction=True)
def test_notify_in_a_transaction_that_rolls_back_sends_nothing(people, http_endpoint):
    http_endpoint.answer((200, WECOM_OK))
    wecom(http_endpoint.url)
    sms(http_endpoint.url)

    with pytest.raises(Boom), transaction.atomic():
        notify([people.grid_a], kind="event_dispatched", title="t", scope_path=grid_a_path(people))
        raise Boom

    call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay", verbosity=0)
    assert not Notification.objects.exists()
    assert not Delivery.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert http_endpoint.requests == []


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_worker_command_delivers(people, http_endpoint):
    http_endpoint.answer((200, WECOM_OK))
    wecom(http_endpoint.url)
    sms(http_endpoint.url)

    with transaction.atomic():
        notify([people.grid_a], kind="event_dispatched", title="派遣", scope_path=grid_a_path(people))
        # nothing leaves before the commit
        assert not Delivery.objects.exists()

    assert Delivery.objects.count() == 2
    call_command("db_worker", "--batch", "--interval", "0", "--no-startup-delay", verbosity=0)
    assert len(http_endpoint.requests) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


@pytest.mark.django_db(transaction=True)
def test_a_failing_channel_never_breaks_the_caller(people, caplog):
    # given a channel whose stored configuration is broken (bypassing the admin's validation)
    sms(f"http://127.0.0.1:{closed_port()}/")
    Channel.objects.filter(kind=ChannelKind.SMS).update(kinds=7)

    # when an action notifies and commits
    with transaction.atomic():
        grid = people.territory.grid_a
        notify([people.grid_a], kind="event_dispatched", title="t", scope_path=grid.scope_path)
        grid.name = "改名"
        grid.save()

    # then the action's change and the in-app message stand, and the failure is only logged
    grid.refresh_from_db()
    assert grid.name == "改名"
    assert Notification.objects.filter(recipient=people.grid_a).count() == 1
    assert not Delivery.objects.exists()
    assert "could not queue the deliveries" in caplog.text


def test_an_unreachable_channel_does_not_delay_the_caller(people, commit):
    sms(f"http://127.0.0.1:{closed_port()}/")
    wecom("http://10.255.255.1/unroutable", timeout=5)

    started = time.monotonic()
    notes = commit(send_now, people)
    assert time.monotonic() - started < 1  # sending waits for the worker
    assert len(notes) == 1
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING).count() == 2


def test_notify_requires_a_kind_and_a_title(people):
    with pytest.raises(Exception, match="kind"):
        notify([people.grid_a], kind="", title="t")
    with pytest.raises(Exception, match="title"):
        notify([people.grid_a], kind="k", title="")


# --- reading ---------------------------------------------------------------------------------


def test_mark_read_touches_only_the_actors_own(people, commit):
    mine = commit(send_now, people, [people.grid_a])[0]
    theirs = commit(send_now, people, [people.grid_b])[0]

    assert mark_read([mine.pk, theirs.pk], actor=people.grid_a) == 1

    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None
    assert theirs.read_at is None
    entry = AuditEntry.objects.get(action="notifications_read")
    assert entry.actor == people.grid_a
    assert entry.after["count"] == 1


@pytest.mark.urls(__name__)
def test_my_notifications_page(people, client, commit):
    commit(send_now, people, [people.grid_a], title="给张三")
    commit(send_now, people, [people.grid_a], title="第二条", link="/grids/")
    other = commit(send_now, people, [people.grid_b], title="给李四")[0]
    client.force_login(people.grid_a)

    page = client.get(reverse("notification_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "给张三" in html and "第二条" in html
    assert "给李四" not in html

    # someone else's notification is a 404 and stays unread
    assert client.post(reverse("notification_read", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.read_at is None

    # opening one marks it read and follows its link
    second = Notification.objects.get(title="第二条")
    response = client.post(reverse("notification_read", args=[second.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/grids/"
    unread = client.get(reverse("notification_list"), {"show": "unread"}).content.decode()
    assert "给张三" in unread and "第二条" not in unread

    # mark all read
    response = client.post(reverse("notification_read_all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=people.grid_a, read_at__isnull=True).exists()


@pytest.mark.urls(__name__)
def test_notifications_page_needs_a_login(client, db):
    response = client.get(reverse("notification_list"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.urls(__name__)
def test_channel_secrets_stay_out_of_the_audit_log_and_the_form(people, client):
    client.force_login(people.admin)
    response = client.post(
        reverse("admin:core_channel_add"),
        {
            "kind": "sms",
            "name": "网关",
            "is_active": "on",
            "scope_path": "",
            "kinds": "[]",
            "url": "http://127.0.0.1:9/sms",
            "token": "top-secret-token",
            "timeout": "10",
            "max_attempts": "6",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    channel = Channel.objects.get()
    assert channel.token == "top-secret-token"
    entry = AuditEntry.objects.get(action="create", object_type="core.channel")
    assert entry.after["token"] == "********"

    # the form never shows the token, and leaving it empty keeps it
    form = client.get(reverse("admin:core_channel_change", args=[channel.pk])).content.decode()
    assert "top-secret-token" not in form
    data = {
        "kind": "sms",
        "name": "网关2",
        "is_active": "on",
        "kinds": "[]",
        "url": "http://127.0.0.1:9/sms",
        "token": "",
        "timeout": "10",
        "max_attempts": "6",
    }
    assert client.post(reverse("admin:core_channel_change", args=[channel.pk]), data).status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.token) == ("网关2", "top-secret-token")

    # a WeCom channel without its webhook URL is refused, naming the field
    data.update(kind="wecom", url="")
    response = client.post(reverse("admin:core_channel_change", args=[channel.pk]), data)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["url"]

    assert client.get(reverse("admin:core_delivery_changelist")).status_code == 200
