import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from fengqiao import env


@pytest.mark.parametrize(
    ("helper", "value", "message"),
    [
        (lambda: env.env_bool("FENGQIAO_DEBUG", False), "maybe", "FENGQIAO_DEBUG must be a boolean"),
        (lambda: env.env_int("FENGQIAO_X", 1), "ten", "FENGQIAO_X must be an integer"),
        (lambda: env.env_list("FENGQIAO_ALLOWED_HOSTS", []), " , ", "FENGQIAO_ALLOWED_HOSTS must be"),
        (lambda: env.env_database("FENGQIAO_DATABASE_URL", None), "mysql://x/y", "sqlite:// or postgres://"),
        (
            lambda: env.env_database("FENGQIAO_DATABASE_URL", None),
            "postgres://host:5432",
            "must name a database",
        ),
    ],
)
def test_bad_values_are_refused_naming_the_variable(monkeypatch, helper, value, message):
    for name in ("FENGQIAO_DEBUG", "FENGQIAO_X", "FENGQIAO_ALLOWED_HOSTS", "FENGQIAO_DATABASE_URL"):
        monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=message):
        helper()


def test_good_values_are_read(monkeypatch, tmp_path):
    monkeypatch.setenv("FENGQIAO_DEBUG", "yes")
    monkeypatch.setenv("FENGQIAO_ALLOWED_HOSTS", "a.example, b.example")
    monkeypatch.setenv("FENGQIAO_DATABASE_URL", "postgres://fq@db.example:5433/fengqiao")
    assert env.env_bool("FENGQIAO_DEBUG", False) is True
    assert env.env_list("FENGQIAO_ALLOWED_HOSTS", []) == ["a.example", "b.example"]
    database = env.env_database("FENGQIAO_DATABASE_URL", tmp_path / "x.sqlite3")
    assert (database["ENGINE"], database["HOST"], database["PORT"], database["NAME"]) == (
        "django.db.backends.postgresql",
        "db.example",
        5433,
        "fengqiao",
    )


def test_the_default_database_is_an_sqlite_file_in_wal_mode(monkeypatch, tmp_path):
    monkeypatch.delenv("FENGQIAO_DATABASE_URL", raising=False)
    database = env.env_database("FENGQIAO_DATABASE_URL", tmp_path / "fengqiao.sqlite3")
    assert database["NAME"] == str(tmp_path / "fengqiao.sqlite3")
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]


def _start(environment: dict) -> subprocess.CompletedProcess:
    clean = {"PATH": "/usr/bin:/bin", **environment}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='fengqiao.settings'; django.setup(); "
            "from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE)",
        ],
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _start({"FENGQIAO_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "FENGQIAO_SECRET_KEY must be set" in result.stderr


def test_production_is_safe_by_default(tmp_path):
    result = _start({"FENGQIAO_DATA_DIR": str(tmp_path), "FENGQIAO_SECRET_KEY": "k" * 50})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_a_bad_boolean_stops_start_up(tmp_path):
    result = _start({"FENGQIAO_DATA_DIR": str(tmp_path), "FENGQIAO_DEBUG": "perhaps"})
    assert result.returncode != 0
    assert "FENGQIAO_DEBUG must be a boolean" in result.stderr


def test_the_rules_of_the_work_come_from_the_environment():
    # given a deployment that sets its own working hours, dispute grades and upload limit
    variables = {
        "FENGQIAO_WORKING_HOURS": "09:00-12:00,14:00-18:00",
        "FENGQIAO_DISPUTE_GRADES": "red:1,yellow:48",
        "FENGQIAO_MAX_UPLOAD_MB": "20",
        "FENGQIAO_REGISTRY_WHOLE_NUMBER_ROLES": "station,county",
    }
    code = (
        "import django; django.setup();"
        "from fengqiao.core import workcalendar, uploads; from fengqiao.disputes import conf;"
        "print(workcalendar.working_periods()[1][0], conf.grades(), uploads.max_upload_bytes(),"
        " sorted(__import__('django.conf').conf.settings.FENGQIAO_REGISTRY_WHOLE_NUMBER_ROLES))"
    )
    # when the project starts
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **variables},
        capture_output=True,
        text=True,
        check=True,
    )
    # then the apps work by them
    assert result.stdout.split(None, 1)[0] == "14:00:00"
    assert "{'red': 1.0, 'yellow': 48.0}" in result.stdout
    assert "20971520" in result.stdout
    assert "['county', 'station']" in result.stdout


def test_a_bad_rule_stops_start_up_naming_the_variable(monkeypatch):
    monkeypatch.setenv("FENGQIAO_WORKING_HOURS", "nine to five")
    with pytest.raises(ImproperlyConfigured, match="FENGQIAO_WORKING_HOURS must read like"):
        env.env_periods("FENGQIAO_WORKING_HOURS", None)
    monkeypatch.setenv("FENGQIAO_DISPUTE_GRADES", "red")
    with pytest.raises(ImproperlyConfigured, match="FENGQIAO_DISPUTE_GRADES must read like"):
        env.env_hours("FENGQIAO_DISPUTE_GRADES", None)


def test_the_production_settings_pass_djangos_deployment_checks(tmp_path):
    # given the settings a deployment runs with: a real key, HTTPS, its host name
    variables = {
        "FENGQIAO_SECRET_KEY": "k" * 20 + "-a-long-random-production-key-0123456789",
        "FENGQIAO_HTTPS": "1",
        "FENGQIAO_DEBUG": "0",
        "FENGQIAO_ALLOWED_HOSTS": "fq.example.gov.cn",
        "FENGQIAO_DATA_DIR": str(tmp_path),
    }
    environ = {
        k: v
        for k, v in __import__("os").environ.items()
        if not k.startswith("FENGQIAO_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"  # the browser tests' own
    }
    environ.pop("DJANGO_SETTINGS_MODULE", None)
    # when Django's deployment checks run
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env={**environ, **variables, "DJANGO_SETTINGS_MODULE": "fengqiao.settings"},
        capture_output=True,
        text=True,
    )
    # then they find nothing
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
