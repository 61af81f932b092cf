"""SQLite, with write transactions taking turns through a file lock instead of SQLite's busy wait.

SQLite lets one writer in at a time. A second one waits in SQLite's busy handler, which sleeps and
retries at growing intervals (1, 2, 5 … up to 100 ms): whoever retries at the right moment gets in,
and the one that just committed usually gets in again first. Under 50 people signing up or checking
in at once, most writes took a few milliseconds and some several seconds, and under the surge
benchmark a few waited out the 30 s timeout and failed with "database is locked".

Here every write transaction (Django's ``atomic``, which ``transaction_mode: IMMEDIATE`` makes a
``BEGIN IMMEDIATE``) first takes an exclusive ``flock`` on a file beside the database. The kernel
wakes a waiter the moment the lock is released, so writers follow each other at once, in about the
order they came, and SQLite's own lock is always free when they reach it. Readers take no lock (WAL).
The flock is released when the transaction commits or rolls back, or the connection closes; the
kernel releases it when a process dies, so a killed worker never leaves it held.

Within one process the writers first take turns on a thread lock, so that only one thread per
process waits on the file: releasing a file lock wakes every process waiting on it, and with a
server's every thread waiting there each commit woke a dozen threads to find it taken again.

The wait has no timeout of its own: it lasts as long as the transaction before it, and a write
transaction here never waits on anything outside the database. A write outside ``atomic`` (an
autocommit statement) does not queue here; it still has SQLite's busy timeout. Services that write
under contention do so inside ``atomic``.
"""

from __future__ import annotations

import fcntl
import os
import threading

from django.db.backends.sqlite3 import base


# One thread per process waits on the file lock; the process's other writers wait here (above).
_PROCESS_WRITERS = threading.Lock()


class DatabaseWrapper(base.DatabaseWrapper):
    _queue_fd: int | None = None
    _queue_path: str | None = None
    _queue_held = False

    def _queue_file(self) -> str | None:
        if self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}-writers"

    def _queue_enter(self) -> None:
        path = self._queue_file()
        if path is None:
            return
        if path != self._queue_path:  # the test runner renames the database between connections
            self._queue_close()
            self._queue_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._queue_path = path
        _PROCESS_WRITERS.acquire()
        try:
            fcntl.flock(self._queue_fd, fcntl.LOCK_EX)
        except BaseException:
            _PROCESS_WRITERS.release()
            raise
        self._queue_held = True

    def _queue_leave(self) -> None:
        if self._queue_held:
            self._queue_held = False
            try:
                fcntl.flock(self._queue_fd, fcntl.LOCK_UN)
            finally:
                _PROCESS_WRITERS.release()

    def _queue_close(self) -> None:
        self._queue_leave()
        if self._queue_fd is not None:
            os.close(self._queue_fd)
            self._queue_fd = self._queue_path = None

    def _start_transaction_under_autocommit(self):
        self._queue_enter()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._queue_leave()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._queue_leave()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._queue_leave()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._queue_close()
