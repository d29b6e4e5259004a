"""The Task change log: every committed Task version once, in commit order, seen from any
connection to the file; nothing for a write that rolled back."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from gateway.store import FhirStore
from gateway.store.errors import PreconditionFailedError


def _task(status: str = "requested") -> dict[str, object]:
    return {"resourceType": "Task", "status": status, "intent": "order"}


def test_each_task_version_is_logged_with_its_kind_and_previous_version() -> None:
    store = FhirStore.open(":memory:")
    reader = store.change_reader()
    created = store.create("Task", _task())
    store.update("Task", created.id, {**_task("accepted"), "id": created.id})
    store.create("Patient", {"resourceType": "Patient"})
    store.delete("Task", created.id)
    store.update("Task", created.id, {**_task("ready"), "id": created.id})

    changes = reader.read_after(0)
    assert [(c.kind, c.version) for c in changes] == [
        ("CREATED", 1),
        ("UPDATED", 2),
        ("DELETED", 3),
        ("CREATED", 4),
    ]
    assert {c.task_id for c in changes} == {created.id}
    assert changes[1].json is not None and json.loads(changes[1].json)["status"] == "accepted"
    assert changes[1].previous_json is not None
    assert json.loads(changes[1].previous_json)["status"] == "requested"
    assert changes[2].json is None
    assert changes[3].previous_json is None  # the version before was the deletion
    assert reader.position() == changes[-1].seq
    assert reader.read_after(changes[-1].seq) == []
    store.close()


def test_a_write_that_rolls_back_logs_nothing() -> None:
    store = FhirStore.open(":memory:")
    reader = store.change_reader()
    created = store.create("Task", _task())
    before = reader.position()

    def both() -> None:
        with store.transaction() as writes:
            writes.update("Task", created.id, {**_task("accepted"), "id": created.id})
            writes.update("Task", created.id, {**_task("ready"), "id": created.id}, if_match="1")

    with pytest.raises(PreconditionFailedError):
        both()
    assert reader.read_after(before) == []
    store.close()


def test_a_reader_notices_commits_of_another_connection_to_the_file(tmp_path: Path) -> None:
    path = str(tmp_path / "fhir.sqlite3")
    watching, writing = FhirStore.open(path), FhirStore.open(path)
    reader = watching.change_reader()
    start = reader.position()
    reader.may_have_news()
    assert not reader.may_have_news()

    created = writing.create("Task", _task())

    assert reader.may_have_news()
    assert [(c.task_id, c.kind) for c in reader.read_after(start)] == [(created.id, "CREATED")]
    assert not reader.may_have_news()
    reader.close()
    watching.close()
    writing.close()


def test_local_commits_are_announced_to_listeners(tmp_path: Path) -> None:
    store = FhirStore.open(str(tmp_path / "fhir.sqlite3"))
    commits: list[None] = []
    store.on_commit(lambda: commits.append(None))
    store.create("Task", _task())
    store.create("Patient", {"resourceType": "Patient"})
    assert len(commits) == 2
    store.close()


def test_a_file_of_the_previous_schema_gains_the_log_and_keeps_its_data(tmp_path: Path) -> None:
    path = str(tmp_path / "fhir.sqlite3")
    store = FhirStore.open(path)
    kept = store.create("Task", _task())
    store.close()
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE task_changes")
        connection.execute("PRAGMA user_version = 5")
    connection.close()

    store = FhirStore.open(path)
    reader = store.change_reader()
    assert store.read("Task", kept.id).version == 1
    store.update("Task", kept.id, {**_task("accepted"), "id": kept.id})
    assert [(c.task_id, c.version) for c in reader.read_after(0)] == [(kept.id, 2)]
    reader.close()
    store.close()
