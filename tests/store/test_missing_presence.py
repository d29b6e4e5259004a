""":missing on references: a reference the index cannot search still counts as present."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx2

from gateway.store import FhirStore
from tests.store.resources import ids, task


async def test_unsearchable_references_are_not_missing(client: httpx2.AsyncClient) -> None:
    contained = {"resourceType": "Practitioner", "id": "p"}
    await client.put("Task/none", json=task(id="none"))
    await client.put(
        "Task/inline", json=task(id="inline", contained=[contained], owner={"reference": "#p"})
    )
    owner = {"identifier": {"system": "urn:staff", "value": "7"}, "display": "Dr X"}
    await client.put("Task/ident", json=task(id="ident", owner=owner, partOf=[{"display": "x"}]))
    await client.put("Task/local", json=task(id="local", owner={"reference": "Practitioner/1"}))

    assert await ids(client, {"owner:missing": "true"}) == {"none"}
    assert await ids(client, {"owner:missing": "false"}) == {"inline", "ident", "local"}
    assert await ids(client, {"part-of:missing": "true"}) == {"none", "inline", "local"}
    assert await ids(client, {"part-of:missing": "false"}) == {"ident"}
    # The presence row matches no search value and includes nothing.
    assert await ids(client, {"owner": "Practitioner/1"}) == {"local"}
    included = await client.get("Task", params={"_id": "ident", "_include": "Task:owner"})
    assert [e["resource"]["id"] for e in included.json()["entry"]] == ["ident"]


def test_opening_a_version_2_file_adds_presence_rows(tmp_path: Path) -> None:
    path = str(tmp_path / "v2.sqlite3")
    store = FhirStore.open(path)
    contained = [{"resourceType": "Practitioner", "id": "p"}]
    store.update("Task", "t", task(id="t", contained=contained, owner={"reference": "#p"}))
    store.close()
    with sqlite3.connect(path) as connection:  # as version 2 left it: no presence rows
        connection.execute("DELETE FROM reference_idx WHERE target_id = ''")
        connection.execute("PRAGMA user_version = 2")
    connection.close()

    store = FhirStore.open(path)
    try:
        missing = store.search("Task", [("owner:missing", "true")]).matches
        present = store.search("Task", [("owner:missing", "false")]).matches
    finally:
        store.close()

    assert ([m.id for m in missing], [m.id for m in present]) == ([], ["t"])
