"""What is written to a store file is there after the file is closed and opened again."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from gateway.store import FhirStore
from gateway.store.database import SchemaVersionError
from gateway.store.errors import ResourceGoneError


def _task(**fields: object) -> dict[str, object]:
    return {"resourceType": "Task", "status": "requested", "intent": "order", **fields}


def test_resources_versions_and_index_survive_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "nested" / "fhir.sqlite3")
    store = FhirStore.open(path)
    created = store.create("Task", _task(owner={"reference": "Practitioner/p1"}))
    owner = {"reference": "Practitioner/p1"}
    store.update("Task", created.id, {**_task(status="accepted", owner=owner), "id": created.id})
    gone = store.create("Task", _task())
    store.delete("Task", gone.id)
    store.close()

    reopened = FhirStore.open(path)
    try:
        current = reopened.read("Task", created.id)
        assert current.version == 2
        assert json.loads(current.json or "")["status"] == "accepted"
        assert [v.version for v in reopened.history("Task", created.id)] == [2, 1]
        with pytest.raises(ResourceGoneError):
            reopened.read("Task", gone.id)
        found = reopened.search("Task", [("owner", "Practitioner/p1")])
        assert [m.id for m in found.matches] == [created.id]
        assert not reopened.is_empty()
    finally:
        reopened.close()


def test_file_store_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "fhir.sqlite3"
    FhirStore.open(str(path)).close()

    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_new_store_is_empty(tmp_path: Path) -> None:
    store = FhirStore.open(str(tmp_path / "fhir.sqlite3"))
    try:
        assert store.is_empty()
        store.create("Patient", {"resourceType": "Patient"})
        assert not store.is_empty()
    finally:
        store.close()


def test_a_file_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fhir.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 99")
    connection.close()

    with pytest.raises(SchemaVersionError):
        FhirStore.open(str(path))
