"""Regressions from review: :missing on references, conditional create, malformed input and
the bounds of one request."""

from __future__ import annotations

import base64
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from gateway.store import FhirStore, create_store_app
from gateway.store import batch as batch_module
from gateway.store import database as database_module
from gateway.store import routes as routes_module
from gateway.store.dates import date_range
from gateway.store.indexing import extract


def task(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Task", "status": "requested", "intent": "order", **fields}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    store = FhirStore.open(":memory:")
    transport = httpx.ASGITransport(app=create_store_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://store.test/") as client:
        yield client
    store.close()


async def ids(client: httpx.AsyncClient, params: dict[str, str]) -> set[str]:
    response = await client.get("Task", params=params)
    assert response.status_code == 200, response.text
    return {e["resource"]["id"] for e in response.json().get("entry", [])}


async def test_unsearchable_references_are_not_missing(client: httpx.AsyncClient) -> None:
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


@pytest.mark.parametrize(
    "criteria",
    [
        "identifier=",
        "identifier=%20",
        "_format=json",
        "",
        "identifier=s|new&_offset=0",
        "identifier=s|other&_offset=1",
        "identifier=s|other&_summary=count",
        "identifier=s|other&_count=0",
        "identifier=s|other&_sort=_id",
        "identifier=s|other&_page_token=WyJ4Il0",
        "identifier=s|other&_include=Task:owner",
        "identifier=s|other&_revinclude=Task:part-of",
        "identifier=s|other&_elements=id",
        "identifier=s|other&_total=accurate",
    ],
)
async def test_conditional_create_refuses_criteria_that_do_not_filter(
    client: httpx.AsyncClient, criteria: str
) -> None:
    other = task(identifier=[{"system": "s", "value": "other"}])
    await client.put("Task/only-one", json={**other, "id": "only-one"})

    response = await client.post(
        "Task",
        json=task(identifier=[{"system": "s", "value": "new"}]),
        headers={"If-None-Exist": criteria},
    )

    assert response.status_code == 400, response.text
    assert await ids(client, {}) == {"only-one"}


async def test_conditional_create_still_finds_and_creates(client: httpx.AsyncClient) -> None:
    body = task(identifier=[{"system": "s", "value": "1"}])
    headers = {"If-None-Exist": "identifier=s|1"}
    first = await client.post("Task", json=body, headers=headers)
    second = await client.post("Task", json=body, headers=headers)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    statement = (await client.get("metadata")).json()
    task_rest = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Task")
    assert task_rest["conditionalCreate"] is True


@pytest.mark.parametrize("version", ["9" * 30, "\u0661", "-1", "1.0"])
async def test_vread_of_an_impossible_version_is_404(
    client: httpx.AsyncClient, version: str
) -> None:
    await client.put("Task/t", json=task(id="t"))

    response = await client.get(f"Task/t/_history/{version}")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("fields", "expression"),
    [
        ({"restriction": {"period": {"end": 20240501}}}, "restriction.period.end"),
        ({"executionPeriod": {"start": ["2024-05-01"]}}, "executionPeriod"),
        ({"authoredOn": True}, "authoredOn"),
        ({"lastModified": 5}, "lastModified"),
        ({"authoredOn": "2024-05-01T10:00:00"}, "authoredOn"),
        ({"restriction": {"period": {"end": "2024-05-01T10:00"}}}, "restriction.period.end"),
    ],
)
async def test_dates_of_the_wrong_shape_are_refused(
    client: httpx.AsyncClient, fields: dict[str, Any], expression: str
) -> None:
    response = await client.put("Task/d", json=task(id="d", **fields))

    assert response.status_code == 422, response.text
    assert response.json()["issue"][0]["expression"] == [expression]


async def test_dates_with_a_zone_or_without_a_time_are_stored(client: httpx.AsyncClient) -> None:
    for n, value in enumerate(["2024-05-01", "2024-05-01T10:00:00+02:00", "2024-05-01T08:00Z"]):
        response = await client.put(f"Task/d{n}", json=task(id=f"d{n}", authoredOn=value))
        assert response.status_code == 201, response.text


def test_reindexing_old_versions_is_lenient_about_dates() -> None:
    stored = {"status": "ready", "authoredOn": "2024-05-01T10:00:00", "lastModified": 5}

    entries = extract("Task", stored, strict=False)

    assert entries.sort["authored_on"] == date_range("2024-05-01T10:00:00Z")[0]
    assert entries.sort["modified"] is None
    assert entries.sort["status"] == "ready"


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"_count": "9" * 30},
        {"_count": "9" * 5000},
        {"_count": "\u00b2"},
        {"_count": "\u0661"},
        {"_offset": "9" * 30},
        {"_offset": "9" * 12},
        {"_offset": "\u0661"},
        {"_page_token": _token(b'[{"a":1},"x"]')},
        {"_page_token": _token(b'[[1],"x"]')},
        {"_page_token": _token(b'[true,"x"]'), "_sort": "status"},
        {"_page_token": _token(b"[" * 5000 + b"]" * 5000)},
        {"_page_token": _token(b'[99999999999999999999999999,"x"]'), "_sort": "status"},
        {"_page_token": "A" * 5000},
    ],
)
async def test_malformed_paging_is_400(client: httpx.AsyncClient, params: dict[str, str]) -> None:
    await client.put("Task/a", json=task(id="a"))

    response = await client.get("Task", params=params)

    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "body",
    [
        '{"resourceType":"Task","id":"s","status":"ready","intent":"order","note":[{"text":"\\ud800"}]}',
        '{"resourceType":"Task","id":"s","status":"ready","intent":"order","\\udfff":1}',
        '{"resourceType":"Task","id":"s","status":"ready","intent":"order","note":'
        + "[" * 100_000
        + "]" * 100_000
        + "}",
        '{"resourceType":"Task","id":"s","status":"ready","intent":"order","note":'
        + '{"a":' * 500
        + "1"
        + "}" * 500
        + "}",
    ],
    ids=["surrogate", "surrogate-key", "deep-list", "deep-object"],
)
async def test_bodies_json_cannot_store_are_400(client: httpx.AsyncClient, body: str) -> None:
    response = await client.put(
        "Task/s", content=body, headers={"Content-Type": "application/fhir+json"}
    )

    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    ("meta", "expression"),
    [
        ({"tag": 5}, "Task.meta.tag"),
        ({"tag": ["x"]}, "Task.meta.tag"),
        ({"security": {"code": "x"}}, "Task.meta.security"),
        ({"tag": [{"code": 5}]}, "Task.meta.tag.code"),
        ({"profile": "http://p"}, "Task.meta.profile"),
        ({"profile": [5]}, "Task.meta.profile"),
    ],
)
async def test_meta_of_the_wrong_shape_is_422(
    client: httpx.AsyncClient, meta: dict[str, Any], expression: str
) -> None:
    response = await client.post("Task", json=task(meta=meta))

    assert response.status_code == 422, response.text
    assert response.json()["issue"][0]["expression"] == [expression]


async def test_well_formed_meta_is_kept_and_subsetted(client: httpx.AsyncClient) -> None:
    meta = {"tag": [{"system": "urn:t", "code": "x"}], "profile": ["http://p"]}
    await client.put("Task/m", json=task(id="m", meta=meta))

    bundle = (await client.get("Task", params={"_elements": "status"})).json()

    tags = bundle["entry"][0]["resource"]["meta"]["tag"]
    assert {"system": "urn:t", "code": "x"} in tags
    assert any(t.get("code") == "SUBSETTED" for t in tags)


@pytest.mark.parametrize(
    "params",
    [
        [("owner:missing", "false")] * 31,
        [("_id", ",".join(f"t{i}" for i in range(501)))],
        [("owner", ",".join(f"Practitioner/x{i}" for i in range(501)))],
        [("_include", f"Task:{name}") for name in ("owner", "part-of", "based-on", "focus")]
        + [("_revinclude", f"Task:{name}") for name in ("owner", "part-of", "based-on", "focus")]
        + [
            ("_include:iterate", "Task:owner"),
            ("_include:iterate", "Task:part-of"),
            ("_include", "*"),
        ],
        [("_sort", "status,priority,authored-on,modified,_lastUpdated,_id")],
    ],
    ids=["filters", "id-values", "reference-values", "includes", "sort-keys"],
)
async def test_searches_beyond_the_bounds_are_400(
    client: httpx.AsyncClient, params: list[tuple[str, str]]
) -> None:
    response = await client.post(
        "Task/_search",
        content=urlencode(params),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 400, response.text


async def test_searches_at_the_bounds_run(client: httpx.AsyncClient) -> None:
    await client.put("Task/t1", json=task(id="t1", owner={"reference": "Practitioner/p"}))
    params = [
        *[("owner:missing", "false")] * 29,
        ("_id", ",".join(f"t{i}" for i in range(500))),
        *[("_include", "Task:owner")] * 5000,  # the same directive, once
        ("_sort", "status,priority,authored-on,modified,_id"),
    ]

    response = await client.post(
        "Task/_search",
        content=urlencode(params),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200, response.text
    assert [e["resource"]["id"] for e in response.json()["entry"]] == ["t1"]


async def test_chunked_bodies_stop_at_the_limit(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes_module, "MAX_BODY_BYTES", 4096)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(1000):
            sent += 1024
            yield b" " * 1024

    response = await client.post(
        "Task", content=chunks(), headers={"Content-Type": "application/fhir+json"}
    )

    assert response.status_code == 413
    assert sent <= 8 * 1024


async def test_large_bodies_are_parsed_and_stored(client: httpx.AsyncClient) -> None:
    body = task(id="big", note=[{"text": "x" * 1000} for _ in range(200)])

    response = await client.put("Task/big", json=body)

    assert response.status_code == 201
    assert len((await client.get("Task/big")).json()["note"]) == 200


async def test_batches_hold_at_most_100_entries(client: httpx.AsyncClient) -> None:
    entry = {"request": {"method": "GET", "url": "Task"}}

    at_limit = await client.post(
        "", json={"resourceType": "Bundle", "type": "batch", "entry": [entry] * 100}
    )
    beyond = await client.post(
        "", json={"resourceType": "Bundle", "type": "batch", "entry": [entry] * 101}
    )

    assert at_limit.status_code == 200
    assert beyond.status_code == 400


async def test_batch_entries_past_the_response_budget_are_not_run(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch_module, "MAX_RESPONSE_BYTES", 1000)
    for n in range(3):
        await client.put(f"Task/t{n}", json=task(id=f"t{n}", description="x" * 300))
    search = {"request": {"method": "GET", "url": "Task"}}
    create = {"request": {"method": "POST", "url": "Task"}, "resource": task()}

    response = await client.post(
        "", json={"resourceType": "Bundle", "type": "batch", "entry": [search, search, create]}
    )

    statuses = [e["response"]["status"].split()[0] for e in response.json()["entry"]]
    assert statuses == ["200", "413", "413"]
    assert len(await ids(client, {})) == 3  # the create was not run


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
