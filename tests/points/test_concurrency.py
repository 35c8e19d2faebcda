"""1,000 redemptions at once against balances and stock that allow only some of them, on SQLite and
on PostgreSQL: exactly the allowed ones succeed, the rest are refused, nothing goes below zero, the
check finds no difference, and a request retried with its idempotency key redeems once.

The redemptions run in a process of their own (tests/points/redeem_many.py) from 16 threads, each
on its own connection: on PostgreSQL against the test database, on SQLite against a file copy of
it (the suite's SQLite database is in memory, one connection's, so its writers could not overlap)."""

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from fengqiao.patrols import actions as patrols
from fengqiao.points import actions
from tests.fixtures.registry import valid_id_number

ROOT = Path(__file__).resolve().parents[2]
PER_PAIR = 48  # redemptions of each item by each volunteer
RETRIED = 40  # requests sent a second time with their key, at the same moment
THREADS = 16


def database_url(tmp_path: Path) -> str:
    """Where the other process finds this test's committed rows."""
    db = settings.DATABASES["default"]
    if "sqlite" not in db["ENGINE"]:
        return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    path = tmp_path / "copy.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as target:
        connection.connection.backup(target)
    target.close()
    with sqlite3.connect(path) as wal:
        wal.execute("PRAGMA journal_mode=WAL")
    return f"sqlite:///{path}"


def redeem_at_once(tmp_path, clerk, requests) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    env["FENGQIAO_DATABASE_URL"] = database_url(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "tests.points.redeem_many"],
        input=json.dumps({"clerk": clerk.pk, "threads": THREADS, "requests": requests}),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("flushable_audit")
def test_a_thousand_redemptions_at_once_never_overdraw_points_or_stock(world, tmp_path):
    # given ten volunteers whose points allow 0 … 9 redemptions of a 10-point item (with 7 points
    # more each), 1,000 pieces of it on the shelf, and a 1-point item with 7 pieces
    world.rule.monthly_cap = 0
    world.rule.save()
    team = world.teams["A"]
    members = [world.member_a] + [
        patrols.add_member(team, actor=world.clerk, name=f"队员{n}", id_number=valid_id_number())
        for n in range(9)
    ]
    points = {m.pk: 10 * n for n, m in enumerate(members)}
    for member in members:
        actions.award_points(member, actor=world.clerk, points=points[member.pk] + 7, reason="测试")
    dear = actions.add_item(world.station, actor=world.clerk, name="大米", price=10)
    actions.deliver_stock(dear, actor=world.clerk, quantity=1000)
    cheap = actions.add_item(world.station, actor=world.clerk, name="毛巾", price=1)
    actions.deliver_stock(cheap, actor=world.clerk, quantity=7)
    requests = [
        (item.pk, m.pk, uuid.uuid4().hex) for _ in range(PER_PAIR) for item in (dear, cheap) for m in members
    ]
    # the last RETRIED requests go twice: a client that timed out and sent them again
    requests += requests[-RETRIED:]
    assert len(requests) == 1000
    # when they all arrive at once
    result = redeem_at_once(tmp_path, world.clerk, requests)
    outcomes = list(zip(requests, result["outcomes"], strict=True))
    # then exactly the allowed ones went through: the 7 towels, each volunteer's rice to the last
    # 10 points (their 7 points more cover any towels they got), the rest refused
    done = [r for r, outcome in outcomes if outcome == "ok"]
    assert sum(1 for item, _m, _k in done if item == cheap.pk) == 7
    for member in members:
        rice = sum(1 for item, m, _k in done if item == dear.pk and m == member.pk)
        towels = sum(1 for item, m, _k in done if item == cheap.pk and m == member.pk)
        assert rice == points[member.pk] // 10
        assert result["points"][str(member.pk)] == points[member.pk] + 7 - 10 * rice - towels >= 0
    assert result["stock"][str(cheap.pk)] == 0
    assert result["stock"][str(dear.pk)] == 1000 - sum(points.values()) // 10
    assert set(result["outcomes"]) <= {"ok", "again", "refused"}
    # and a retried key redeemed at most once: one transaction per key that went through
    keys = [k for _i, _m, k in done]
    assert len(keys) == len(set(keys))
    assert sorted(result["keys"]) == sorted(keys)
    # nothing negative, and the check recomputes every balance from the entries to the same figure
    assert result["negative"] == 0 and result["check"] == "clean"
