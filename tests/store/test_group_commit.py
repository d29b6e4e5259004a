"""Group commit: writes that wait together commit together, each with its own outcome."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from gateway.store import FhirStore
from gateway.store.errors import PreconditionFailedError
from tests.store.resources import task

# Only guards against a hang; no assertion depends on time.
HANG_GUARD_SECONDS = 60


class Writers:
    """Store writes started on threads while another connection holds the file's write lock,
    so that they queue: the first leads a batch of its own, the rest wait for the next."""

    def __init__(self, store: FhirStore) -> None:
        self.store = store
        self.outcomes: dict[str, Any] = {}
        self._threads: list[threading.Thread] = []

    def start(self, name: str, write: Callable[[], Any]) -> None:
        def run() -> None:
            try:
                self.outcomes[name] = write()
            except Exception as exc:
                self.outcomes[name] = exc

        thread = threading.Thread(target=run)
        self._threads.append(thread)
        thread.start()

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=HANG_GUARD_SECONDS)
            assert not thread.is_alive()


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + HANG_GUARD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the writers never queued"
        time.sleep(0.01)


@contextmanager
def queued_writes(path: str, store: FhirStore) -> Iterator[tuple[Writers, list[str]]]:
    """Writers whose writes queue behind a lock held elsewhere: a first write (Task "lead")
    leads a batch of its own and waits in BEGIN; the writes started inside the block wait for
    the next batch. On exit the lock is released and every writer has finished. Also yields
    the SQL statements the store ran meanwhile."""
    statements: list[str] = []
    leader_waits = threading.Event()

    def trace(sql: str) -> None:
        statements.append(sql)
        if sql == "BEGIN IMMEDIATE":
            leader_waits.set()

    store._db._connection.set_trace_callback(trace)
    other = sqlite3.connect(path, isolation_level=None)  # another process's writer
    other.execute("BEGIN IMMEDIATE")
    writers = Writers(store)
    try:
        writers.start("leader", lambda: store.update("Task", "lead", task(id="lead")))
        assert leader_waits.wait(timeout=HANG_GUARD_SECONDS)
        yield writers, statements
    finally:
        _wait_until(lambda: len(store._db._group._waiting) == len(writers._threads) - 1)
        other.execute("COMMIT")
        other.close()
        writers.join()
        store._db._connection.set_trace_callback(None)


@pytest.fixture
def store_file(tmp_path: Path) -> Iterator[tuple[str, FhirStore]]:
    path = str(tmp_path / "store.sqlite3")
    store = FhirStore.open(path)
    yield path, store
    store.close()


def test_writes_waiting_together_commit_once_and_every_one_is_stored(
    store_file: tuple[str, FhirStore],
) -> None:
    path, store = store_file
    with queued_writes(path, store) as (writers, statements):
        for n in range(6):
            writers.start(f"c{n}", partial(store.create, "Task", task(description=f"c{n}")))
    assert statements.count("COMMIT") == 2  # the leader's batch, then the six together
    for n in range(6):
        created = writers.outcomes[f"c{n}"]
        assert store.read("Task", created.id).json == created.json
    # Committed, not merely written: a separate connection (another process) reads them.
    other = sqlite3.connect(path)
    try:
        (count,) = other.execute("SELECT count(*) FROM resources WHERE type = 'Task'").fetchone()
    finally:
        other.close()
    assert count == 7


def test_in_one_batch_the_same_if_match_wins_once(store_file: tuple[str, FhirStore]) -> None:
    path, store = store_file
    store.update("Task", "contested", task(id="contested"))
    with queued_writes(path, store) as (writers, statements):
        for n in range(4):
            body = task(id="contested", description=f"writer {n}")
            writers.start(
                f"w{n}", partial(store.update, "Task", "contested", body, if_match='W/"1"')
            )
    assert statements.count("COMMIT") == 2
    outcomes = [writers.outcomes[f"w{n}"] for n in range(4)]
    won = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(won) == 1
    assert all(isinstance(o, PreconditionFailedError) for o in outcomes if o not in won)
    history = store.history("Task", "contested")
    assert [v.version for v in history] == [2, 1]
    assert history[0].json == won[0][0].json


def test_a_failing_write_leaves_nothing_and_the_rest_of_its_batch_commits(
    store_file: tuple[str, FhirStore],
) -> None:
    path, store = store_file
    store.update("Task", "kept", task(id="kept", description="before"))
    with queued_writes(path, store) as (writers, statements):
        writers.start("before", lambda: store.create("Task", task(description="before it")))
        writers.start(
            "stale",
            lambda: store.update(
                "Task", "kept", task(id="kept", description="lost"), if_match='W/"9"'
            ),
        )
        writers.start("after", lambda: store.delete("Task", "lead"))
    assert statements.count("COMMIT") == 2
    assert isinstance(writers.outcomes["stale"], PreconditionFailedError)
    assert store.read("Task", "kept").version == 1
    assert '"before"' in (store.read("Task", "kept").json or "")
    assert store.read("Task", writers.outcomes["before"].id).version == 1
    assert writers.outcomes["after"].deleted


def test_when_the_batch_cannot_begin_every_writer_in_it_is_told(
    store_file: tuple[str, FhirStore],
) -> None:
    path, store = store_file
    store._db._connection.execute("PRAGMA busy_timeout = 200")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    writers = Writers(store)
    try:
        for n in range(3):
            writers.start(f"c{n}", partial(store.create, "Task", task(description=f"c{n}")))
        writers.join()
    finally:
        other.execute("ROLLBACK")
        other.close()
    for n in range(3):
        outcome = writers.outcomes[f"c{n}"]
        assert isinstance(outcome, sqlite3.OperationalError)
        assert "locked" in str(outcome)
    assert store.search("Task", []).matches == []
