"""The bounds of one request: search filters and values, body size, batch entries and size."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx2
import pytest

from gateway.store import batch as batch_module
from gateway.store import routes as routes_module
from tests.store.resources import ids, task


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
    client: httpx2.AsyncClient, params: list[tuple[str, str]]
) -> None:
    response = await client.post(
        "Task/_search",
        content=urlencode(params),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 400, response.text


async def test_searches_at_the_bounds_run(client: httpx2.AsyncClient) -> None:
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
    client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
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


async def test_large_bodies_are_parsed_and_stored(client: httpx2.AsyncClient) -> None:
    body = task(id="big", note=[{"text": "x" * 1000} for _ in range(200)])

    response = await client.put("Task/big", json=body)

    assert response.status_code == 201
    assert len((await client.get("Task/big")).json()["note"]) == 200


async def test_batches_hold_at_most_100_entries(client: httpx2.AsyncClient) -> None:
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
    client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
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
