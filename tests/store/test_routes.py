"""The store's HTTP surface where only the embedded store is the reference: URLs built from
the request, headers, and the edges of the REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.store import FhirStore, create_store_app
from gateway.store import includes as includes_module
from gateway.store import routes as routes_module


def task(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Task", "status": "requested", "intent": "order", **fields}


@pytest.fixture
async def client() -> AsyncIterator[httpx2.AsyncClient]:
    store = FhirStore.open(":memory:")
    app = Starlette(routes=[Mount("/api/fhir", app=create_store_app(store))])
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(
        transport=transport, base_url="https://fhir.example.test:8443/api/fhir/"
    ) as client:
        yield client
    store.close()


async def test_urls_follow_the_host_port_and_mount(client: httpx2.AsyncClient) -> None:
    for n in range(3):
        await client.put(f"Task/t{n}", json=task(id=f"t{n}"))

    created = await client.post("Task", json=task())
    bundle = (await client.get("Task", params={"_count": "2"})).json()

    base = "https://fhir.example.test:8443/api/fhir"
    assert created.headers["location"].startswith(f"{base}/Task/")
    assert bundle["entry"][0]["fullUrl"] == f"{base}/Task/{bundle['entry'][0]['resource']['id']}"
    links = {link["relation"]: link["url"] for link in bundle["link"]}
    assert links["self"] == f"{base}/Task?_count=2"
    assert links["next"].startswith(f"{base}/Task?_count=2&_page_token=")


async def test_headers_of_a_read(client: httpx2.AsyncClient) -> None:
    await client.put("Task/t1", json=task(id="t1"))

    response = await client.get("Task/t1")
    head = await client.head("Task/t1")

    assert response.headers["etag"] == 'W/"1"'
    assert response.headers["last-modified"].endswith(" GMT")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["etag"] == 'W/"1"'


async def test_prefer_return_minimal(client: httpx2.AsyncClient) -> None:
    response = await client.post("Task", json=task(), headers={"Prefer": "return=minimal"})

    assert response.status_code == 201
    assert response.content == b""
    assert response.headers["location"]


async def test_unknown_endpoints_and_methods(client: httpx2.AsyncClient) -> None:
    not_found = await client.get("Task/t1/_history/1/extra")
    wrong_method = await client.patch("Task/t1", json=[])

    assert not_found.status_code == 404
    assert not_found.json()["resourceType"] == "OperationOutcome"
    assert wrong_method.status_code == 405
    assert "PUT" in wrong_method.headers["allow"]


async def test_batch_entry_with_an_absolute_url(client: httpx2.AsyncClient) -> None:
    await client.put("Task/t1", json=task(id="t1"))
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {
                "request": {
                    "method": "GET",
                    "url": "https://fhir.example.test:8443/api/fhir/Task/t1",
                }
            },
            {"request": {"method": "GET", "url": "https://elsewhere.test/Task/t1"}},
            {"request": {"method": "PATCH", "url": "Task/t1"}},
        ],
    }

    entries = (await client.post("", json=bundle)).json()["entry"]

    assert [e["response"]["status"][:3] for e in entries] == ["200", "400", "400"]


async def test_elements_and_summary_count(client: httpx2.AsyncClient) -> None:
    await client.put("Task/t1", json=task(id="t1", description="long text"))

    subset = (await client.get("Task", params={"_elements": "status"})).json()
    counted = (await client.get("Task", params={"_summary": "count"})).json()

    resource = subset["entry"][0]["resource"]
    assert set(resource) == {"resourceType", "id", "meta", "status"}
    assert resource["meta"]["tag"][-1]["code"] == "SUBSETTED"
    assert counted["total"] == 1
    assert "entry" not in counted


async def test_oversized_count_is_clamped_with_a_warning(client: httpx2.AsyncClient) -> None:
    await client.put("Task/t1", json=task(id="t1"))

    bundle = (await client.get("Task", params={"_count": "5000"})).json()

    outcome = bundle["entry"][-1]
    assert outcome["search"]["mode"] == "outcome"
    assert "1000" in outcome["resource"]["issue"][0]["diagnostics"]


async def test_included_resources_are_bounded(
    client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(includes_module, "MAX_INCLUDED", 3)
    await client.put("Task/root", json=task(id="root"))
    for n in range(6):
        await client.put(f"Task/c{n}", json=task(id=f"c{n}", partOf=[{"reference": "Task/root"}]))

    bundle = (
        await client.get("Task", params={"_id": "root", "_revinclude": "Task:part-of"})
    ).json()

    modes = [e["search"]["mode"] for e in bundle["entry"]]
    assert modes == ["match", "include", "include", "include", "outcome"]


async def test_oversized_bodies_are_refused(
    client: httpx2.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes_module, "MAX_BODY_BYTES", 100)

    response = await client.post("Task", json=task(description="x" * 200))

    assert response.status_code == 413


@pytest.mark.parametrize("body", [b'{"resourceType": "Task", "n": NaN}', b"\xff\xfe"])
async def test_bodies_that_are_not_json(client: httpx2.AsyncClient, body: bytes) -> None:
    response = await client.post(
        "Task", content=body, headers={"Content-Type": "application/fhir+json"}
    )

    assert response.status_code == 400


async def test_bad_page_token(client: httpx2.AsyncClient) -> None:
    tampered = await client.get("Task", params={"_page_token": "WzEsMl0"})
    garbage = await client.get("Task", params={"_page_token": "%%%"})

    assert tampered.status_code == 400
    assert garbage.status_code == 400
