"""The outreach tests' world: a WeCom group with a bot in grid A, a WeChat group in grid B and a
QQ group in grid C, all registered through the actions; local servers stand in for WeCom, the SMS
gateway and a browser's push service."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import translation

from fengqiao.outreach import actions
from fengqiao.outreach.choices import Platform
from tests.core.test_notifications import smtp_server  # noqa: F401 (the local SMTP server, a fixture)


@pytest.fixture(autouse=True)
def english():
    """These tests read messages in their English source form; zh-hans is the site default."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def vapid_key(settings, tmp_path):
    settings.FENGQIAO_VAPID_KEY_FILE = str(tmp_path / "vapid.pem")
    settings.MEDIA_ROOT = tmp_path / "media"


class World:
    """Handles to the outreach rows by place."""


def build_world(personas, bot_url="") -> World:
    t, city = personas.territory, personas.city
    w = World()
    w.groups = {
        "A": actions.register_group(
            actor=city,
            platform=Platform.WECOM,
            name="金积村警民群",
            grid=t.grid_a,
            members=180,
            webhook_url=bot_url,
        ),
        "B": actions.register_group(
            actor=city, platform=Platform.WECHAT, name="关渠村平安群", grid=t.grid_b, members=95
        ),
        "C": actions.register_group(
            actor=city, platform=Platform.QQ, name="小坝村联防群", grid=t.grid_c, members=60
        ),
    }
    return w


class PushService:
    """A local server that takes what is POSTed to it (JSON or not) and answers from a script."""

    def __init__(self):
        self.requests = []
        self.statuses = []  # one per request; the last one repeats; 201 when empty
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                index = min(len(service.requests), len(service.statuses)) - 1
                status = service.statuses[index] if service.statuses else 201
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.stop()
