"""Django's SQLite backend, with write transactions queued on a file lock beside the database.

SQLite lets one writer in at a time. A writer that finds the database busy polls it with
growing sleeps (1, 2, 5, 10, 15, 20, 25 … 100 ms: SQLite's default busy handler, the only one
Python's driver offers), so with several server processes the write lock sits free while its
waiters sleep: a one-row insert served by four processes managed about 300 a second, most of
that time idle. Here each write transaction (``BEGIN IMMEDIATE``, which every ``atomic`` block
opens: see ``fengqiao.env``) first takes an exclusive ``flock`` on ``<database>-writer.lock``
and gives it back at commit or rollback. ``flock`` waiters sleep in the kernel and the next one
is woken the moment the lock is released; a process that dies holding it releases it.

Writes outside a transaction (autocommit) keep SQLite's own lock and busy timeout, as does an
in-memory database (the test suite's), which has no file to lock beside.

Why a backend of our own rather than a busy timeout: docs/adr/0001-sqlite-writer-queue.md.
"""

import fcntl
import os

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_lock_fd: int | None = None
    _holds_writer_lock = False

    def _queues_writers(self) -> bool:
        return self.transaction_mode == "IMMEDIATE" and not self.is_in_memory_db()

    def _start_transaction_under_autocommit(self):
        if self._queues_writers():
            self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._give_back_writer_lock()
            raise

    def _commit(self):
        try:
            super()._commit()
        finally:
            self._give_back_writer_lock()

    def _rollback(self):
        try:
            super()._rollback()
        finally:
            self._give_back_writer_lock()

    def _close(self):
        try:
            super()._close()
        finally:
            self._give_back_writer_lock()
            if self._writer_lock_fd is not None:
                os.close(self._writer_lock_fd)
                self._writer_lock_fd = None

    def _take_writer_lock(self) -> None:
        if self._writer_lock_fd is None:
            path = f"{self.settings_dict['NAME']}-writer.lock"
            self._writer_lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._writer_lock_fd, fcntl.LOCK_EX)  # releases the GIL while it waits
        self._holds_writer_lock = True

    def _give_back_writer_lock(self) -> None:
        if self._holds_writer_lock and self._writer_lock_fd is not None:
            self._holds_writer_lock = False
            fcntl.flock(self._writer_lock_fd, fcntl.LOCK_UN)
