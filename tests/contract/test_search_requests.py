"""How searches are asked and answered: Bundle shape, POST _search, batches, bad parameters."""

from __future__ import annotations

import pytest

from tests.contract.conftest import FhirPeer
from tests.contract.resources import put_task, task


async def test_searchset_bundle_shape(fhir: FhirPeer) -> None:
    await put_task(fhir, "t1", status="ready")

    response = await fhir.client.get("Task", params={"status": "ready"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    [entry] = bundle["entry"]
    assert entry["search"]["mode"] == "match"
    if fhir.caps.entry_full_urls:
        assert entry["fullUrl"] == f"{fhir.client.base_url}Task/t1"
    if fhir.caps.next_links:
        self_link = next(link["url"] for link in bundle["link"] if link["relation"] == "self")
        assert self_link.startswith(str(fhir.client.base_url))


async def test_post_search_merges_form_and_query(fhir: FhirPeer) -> None:
    await put_task(fhir, "t1", status="ready", priority="urgent")
    await put_task(fhir, "t2", status="ready")
    await put_task(fhir, "t3", status="completed", priority="urgent")

    response = await fhir.client.post(
        "Task/_search?priority=urgent",
        content="status=ready",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200
    assert [e["resource"]["id"] for e in response.json()["entry"]] == ["t1"]


async def test_post_search_with_many_ids(fhir: FhirPeer) -> None:
    for n in range(60):
        await put_task(fhir, f"task-{n:03d}")
    wanted = [f"task-{n:03d}" for n in range(0, 60, 2)]

    response = await fhir.client.post(
        "Task/_search", data={"_id": ",".join(wanted), "_count": "100"}
    )

    assert response.status_code == 200
    assert sorted(e["resource"]["id"] for e in response.json()["entry"]) == wanted


async def test_batch_of_reads_and_searches(fhir: FhirPeer) -> None:
    await put_task(fhir, "t1", status="ready")
    await put_task(fhir, "t2", status="completed")
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "GET", "url": "Task/t1"}},
            {"request": {"method": "GET", "url": "Task?status=completed"}},
            {"request": {"method": "GET", "url": "Task/not-there"}},
        ],
    }

    response = await fhir.client.post("", json=bundle)

    assert response.status_code == 200
    answer = response.json()
    assert answer["type"] == "batch-response"
    read, found, missing = answer["entry"]
    assert read["response"]["status"].startswith("200")
    assert read["resource"]["id"] == "t1"
    assert found["response"]["status"].startswith("200")
    assert [e["resource"]["id"] for e in found["resource"]["entry"]] == ["t2"]
    assert missing["response"]["status"].startswith("404")


async def test_batch_with_writes(fhir: FhirPeer) -> None:
    await put_task(fhir, "old")
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "POST", "url": "Task"}, "resource": task(description="new")},
            {"request": {"method": "PUT", "url": "Task/put-1"}, "resource": task(id="put-1")},
            {"request": {"method": "DELETE", "url": "Task/old"}},
        ],
    }

    response = await fhir.client.post("", json=bundle)

    assert response.status_code == 200
    created, updated, deleted = response.json()["entry"]
    assert created["response"]["status"].startswith("201")
    assert updated["response"]["status"].startswith(("200", "201"))
    assert deleted["response"]["status"].startswith(("200", "204"))
    assert (await fhir.client.get("Task/put-1")).status_code == 200
    assert (await fhir.client.get("Task/old")).status_code in (404, 410)


async def test_batch_entry_errors_stay_in_their_entry(fhir: FhirPeer) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"request": {"method": "PUT", "url": "Task/ok"}, "resource": task(id="ok")},
            {"request": {"method": "GET", "url": "Task/missing"}},
        ],
    }

    response = await fhir.client.post("", json=bundle)

    ok, missing = response.json()["entry"]
    assert ok["response"]["status"].startswith(("200", "201"))
    assert missing["response"]["status"].startswith("404")
    outcome = missing.get("resource") or missing["response"]["outcome"]
    assert outcome["resourceType"] == "OperationOutcome"
    assert (await fhir.client.get("Task/ok")).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"not-a-parameter": "x"},
        {"owner.name": "Ama"},
        {"status:fuzzy": "ready"},
        {"_bogus": "1"},
    ],
)
async def test_unsupported_parameters_are_refused(fhir: FhirPeer, params: dict[str, str]) -> None:
    await put_task(fhir, "t1", status="ready")

    response = await fhir.client.get("Task", params=params)

    if fhir.caps.rejects_unknown_params:
        assert response.status_code == 400
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert next(iter(params)).split(":")[0].split(".")[0] in outcome["issue"][0]["diagnostics"]
    else:
        assert response.status_code in (200, 400)


async def test_harmless_format_parameters_are_ignored(fhir: FhirPeer) -> None:
    await put_task(fhir, "t1")

    response = await fhir.client.get("Task", params={"_format": "json", "_pretty": "true"})

    assert response.status_code == 200
    assert [e["resource"]["id"] for e in response.json()["entry"]] == ["t1"]


async def test_any_type_searches_by_id_and_last_updated(fhir: FhirPeer) -> None:
    for n in range(3):
        body = {"resourceType": "Observation", "id": f"o{n}", "status": "final", "code": {}}
        assert (await fhir.client.put(f"Observation/o{n}", json=body)).status_code in (200, 201)

    by_id = (await fhir.client.get("Observation", params={"_id": "o0,o2"})).json()
    recent = (
        await fhir.client.get(
            "Observation", params={"_lastUpdated": "gt2000-01-01", "_sort": "-_lastUpdated"}
        )
    ).json()

    assert sorted(e["resource"]["id"] for e in by_id["entry"]) == ["o0", "o2"]
    assert [e["resource"]["id"] for e in recent["entry"]] == ["o2", "o1", "o0"]
