"""Reads on a store file never queue behind a write that waits for another process."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from gateway.store import FhirStore
from gateway.store import database as database_module
from tests.store.resources import task


def test_reads_do_not_wait_behind_a_write_waiting_for_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 10_000)
    path = str(tmp_path / "store.sqlite3")
    store = FhirStore.open(path)
    store.update("Task", "a", task(id="a"))
    other = sqlite3.connect(path, isolation_level=None)  # another process's writer
    other.execute("BEGIN IMMEDIATE")
    writer = threading.Thread(
        target=lambda: store.update("Task", "a", task(id="a", priority="stat"))
    )
    try:
        writer.start()
        time.sleep(0.3)  # the update now waits for the file's write lock, holding the store's

        started = time.monotonic()
        read = store.read("Task", "a")
        waited = time.monotonic() - started
        found = store.search("Task", [("_id", "a")]).matches
    finally:
        other.execute("ROLLBACK")
        other.close()
        writer.join(timeout=30)

    assert waited < 2
    assert read.version == 1
    assert [m.id for m in found] == ["a"]
    assert store.read("Task", "a").version == 2  # the write went through once the lock freed
    store.close()
