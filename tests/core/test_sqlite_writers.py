"""Write transactions on an SQLite file queue on the writer lock instead of polling and failing."""

import threading
import time

import pytest
from django.db import OperationalError
from django.db.utils import ConnectionHandler

from fengqiao.env import sqlite_database

BUSY_TIMEOUT = 0.05  # seconds SQLite's own busy handler waits before "database is locked"


@pytest.fixture(autouse=True)
def own_databases(django_db_blocker):
    """These tests open SQLite files of their own, not the suite's test database."""
    with django_db_blocker.unblock():
        yield


def handler(path, engine: str | None = None) -> ConnectionHandler:
    settings = sqlite_database(path)
    settings["OPTIONS"]["timeout"] = BUSY_TIMEOUT
    if engine:
        settings["ENGINE"] = engine
    return ConnectionHandler({"default": settings})


def begin(connection):
    connection.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)  # as atomic does


def end(connection):
    connection.commit()
    connection.set_autocommit(True)


def second_writer_while_first_holds(path, engine=None) -> tuple[list, int]:
    """A writer holds its transaction for 0.3 s; another one starts meanwhile. Returns what the
    second one raised, and the rows written."""
    connections = handler(path, engine)
    first = connections["default"]
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS t (n integer)")
    raised = []
    starting = threading.Event()

    def second_writer():
        other = connections["default"]  # a connection of this thread's own
        try:
            other.ensure_connection()
            starting.set()
            begin(other)
            with other.cursor() as cursor:
                cursor.execute("INSERT INTO t VALUES (2)")
            end(other)
        except OperationalError as exc:
            raised.append(exc)
        finally:
            other.close()

    begin(first)
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    thread = threading.Thread(target=second_writer)
    thread.start()
    starting.wait(10)
    time.sleep(0.3)  # six times the busy timeout, from when the second writer begins
    end(first)
    thread.join(10)
    with first.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM t")
        (rows,) = cursor.fetchone()
    first.close()
    return raised, rows


def test_a_second_writer_waits_for_the_first_and_gets_in(tmp_path):
    # given an SQLite file whose busy timeout (0.05 s) is far shorter than the first writer's 0.3 s
    # when a second write transaction starts while the first holds the database
    raised, rows = second_writer_while_first_holds(tmp_path / "db.sqlite3")
    # then it queued on the writer lock and wrote once the first committed
    assert raised == []
    assert rows == 2
    assert (tmp_path / "db.sqlite3-writer.lock").exists()


def test_django_s_own_backend_gives_up_in_the_same_race(tmp_path):
    # the control: SQLite's polling busy handler fails the second writer after its timeout
    raised, rows = second_writer_while_first_holds(tmp_path / "db.sqlite3", "django.db.backends.sqlite3")
    assert len(raised) == 1 and "locked" in str(raised[0])
    assert rows == 1


@pytest.mark.parametrize("outcome", ["commit", "rollback"])
def test_the_lock_is_given_back_at_the_end_of_every_transaction(tmp_path, outcome):
    connections = handler(tmp_path / "db.sqlite3")
    connection = connections["default"]
    begin(connection)
    assert connection._holds_writer_lock
    connection.commit() if outcome == "commit" else connection.rollback()
    connection.set_autocommit(True)
    assert not connection._holds_writer_lock
    connection.close()
