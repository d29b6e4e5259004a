"""Group commit: concurrent writes share one SQLite transaction, so one fsync makes them durable.

Each write arrives as a function of the write connection. The first thread to find no batch
under way leads: it takes every write waiting, runs each inside its own SAVEPOINT in one
``BEGIN IMMEDIATE`` transaction, and commits once. A write that raises is rolled back to its
savepoint alone and its caller gets the exception; the others commit. No caller returns
before the COMMIT that holds its write has returned (with synchronous=FULL, after the fsync),
and the writes run one after another on the locked connection, so a version read inside one
(the If-Match compare-and-set) is still the version when it commits, also across processes:
``BEGIN IMMEDIATE`` holds the file's write lock.

Writers that committed together tend to come back together, a moment apart, so a leader
first waits until as many writes wait as its predecessor's batch held, for at most the time
of the last COMMIT (capped at MAX_GATHER_S): without it, batches alternate between one write
and the rest. A lone writer (batches of one) never waits.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Generic, TypeVar

T = TypeVar("T")
MAX_GATHER_S = 0.005


class _Write(Generic[T]):
    __slots__ = ("done", "error", "result", "work")

    def __init__(self, work: Callable[[sqlite3.Connection], T]) -> None:
        self.work = work
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit:
    """Batches writes onto ``transaction``: a context manager for one write transaction on the
    write connection (taking the process's write lock and BEGIN IMMEDIATE)."""

    def __init__(
        self, transaction: Callable[[], AbstractContextManager[sqlite3.Connection]]
    ) -> None:
        self._transaction = transaction
        self._state = threading.Condition()
        self._waiting: list[_Write[Any]] = []
        self._leading = False
        self._last_batch = 1
        self._last_commit_s = 0.0

    def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(connection)``'s result once it is committed, or the exception it raised."""
        write: _Write[T] = _Write(work)
        with self._state:
            self._waiting.append(write)
            self._state.notify_all()  # a leader may be gathering
            while not write.done and self._leading:
                self._state.wait()
            if write.done:
                return write.outcome()
            self._leading = True
            self._gather()
            batch, self._waiting = self._waiting, []
        started = time.monotonic()
        try:
            self._commit(batch)
        finally:
            with self._state:
                self._last_batch = len(batch)
                self._last_commit_s = time.monotonic() - started
                self._leading = False
                self._state.notify_all()
        return write.outcome()

    def _gather(self) -> None:
        """Wait (holding the state lock's condition) for the writers of the last batch."""
        deadline = time.monotonic() + min(self._last_commit_s, MAX_GATHER_S)
        while len(self._waiting) < self._last_batch:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._state.wait(left)

    def _commit(self, batch: list[_Write[Any]]) -> None:
        try:
            with self._transaction() as connection:
                for number, write in enumerate(batch):
                    _run_one(connection, write, f"w{number}")
        except BaseException as exc:
            # BEGIN or COMMIT failed (a lock held too long, a full disk): nothing of the batch
            # was committed, and every caller learns it.
            for write in batch:
                write.error, write.result = exc, None
            raise
        finally:
            for write in batch:
                write.done = True


def _run_one(connection: sqlite3.Connection, write: _Write[Any], savepoint: str) -> None:
    connection.execute(f"SAVEPOINT {savepoint}")
    try:
        write.result = write.work(connection)
    except Exception as exc:
        write.error = exc
        connection.execute(f"ROLLBACK TO {savepoint}")
    connection.execute(f"RELEASE {savepoint}")
