"""Reads on a store file never queue behind a write that waits for another process."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from gateway.store import FhirStore
from tests.store.resources import task

# Only guards against a hang if the writer never starts; no assertion depends on time.
HANG_GUARD_SECONDS = 60


def test_reads_do_not_wait_behind_a_write_waiting_for_another_process(tmp_path: Path) -> None:
    path = str(tmp_path / "store.sqlite3")
    store = FhirStore.open(path)
    store.update("Task", "a", task(id="a"))
    waiting = threading.Event()
    # The store's write connection reports each statement as it starts: BEGIN IMMEDIATE starts
    # inside the store's write lock and then waits there for the file's write lock.
    store._db._connection.set_trace_callback(
        lambda sql: waiting.set() if sql == "BEGIN IMMEDIATE" else None
    )
    outcome: list[int | Exception] = []

    def write() -> None:
        try:
            stored, _ = store.update("Task", "a", task(id="a", priority="stat"))
            outcome.append(stored.version)
        except Exception as exc:
            outcome.append(exc)

    other = sqlite3.connect(path, isolation_level=None)  # another process's writer
    other.execute("BEGIN IMMEDIATE")
    writer = threading.Thread(target=write)
    try:
        writer.start()
        writer_is_waiting = waiting.wait(timeout=HANG_GUARD_SECONDS)

        read = store.read("Task", "a")
        found = store.search("Task", [("_id", "a")]).matches
        # Had the read queued behind the write, the write would have failed (the other
        # process still holds the file) before the read got its turn.
        write_still_waiting = not outcome
    finally:
        other.execute("ROLLBACK")
        other.close()
        writer.join(timeout=HANG_GUARD_SECONDS)

    assert writer_is_waiting
    assert write_still_waiting
    assert read.version == 1
    assert [m.id for m in found] == ["a"]
    assert outcome == [2]  # the write went through once the other process let go
    assert store.read("Task", "a").version == 2
    store.close()
