"""The server's log as an operator reads it: gunicorn started the way ``make demo`` and the
README start it writes its own lines, its access log and Django's in one time zone (the settings'
TIME_ZONE, Asia/Shanghai, with its offset), and a page not found is one line, no traceback."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "TZ": "UTC",  # the machine's own zone: the server must not write in it
        "DJANGO_SETTINGS_MODULE": "fengqiao.settings",
        "FENGQIAO_SECRET_KEY": "test-server-log-key-not-secret",
        "FENGQIAO_DATA_DIR": str(tmp_path),
        "FENGQIAO_DEBUG": "0",
        "FENGQIAO_HTTPS": "0",
        "FENGQIAO_ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("FENGQIAO_DATABASE_URL", None)
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "-c",
                "python:fengqiao.gunicorn_conf",
                "fengqiao.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
            ]
            + ["--workers", "1", "--threads", "2", "--worker-class", "gthread"],
            cwd=ROOT,
            env=env,
            stdout=stdout,
            stderr=stderr,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(150):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            yield base, out, err
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_gunicorn_and_django_log_in_one_time_zone_and_a_404_is_one_line(server):
    base, out, err = server
    # when a browser asks for the favicon and a page that does not exist
    assert get(f"{base}/favicon.ico") == 200  # after the redirect to the static file
    assert get(f"{base}/no-such-page/") == 404
    time.sleep(0.5)
    errors, access = err.read_text(), out.read_text()
    # then gunicorn's lines and Django's carry the same zone, Asia/Shanghai's offset
    stamped = re.findall(r"^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ([+-]\d{4})\]", errors, re.M)
    assert "Booting worker" in errors and stamped and set(stamped) == {"+0800"}, errors
    zones = re.findall(r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d ([+-]\d{4})\]", access)
    assert 'GET /no-such-page/ HTTP/1.1" 404' in access and set(zones) == {"+0800"}, access
    # and the page not found is one warning line of Django's, with no traceback anywhere
    assert len(re.findall(r"\[WARNING\] django.request: Not Found: /no-such-page/$", errors, re.M)) == 1, (
        errors
    )
    assert "Traceback" not in errors
