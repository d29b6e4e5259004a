"""Transaction Bundles: all or nothing, urn:uuid references resolved, If-Match inside."""

from __future__ import annotations

from typing import Any

import httpx2

TASK = {"resourceType": "Task", "status": "requested", "intent": "order"}


def transaction(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}


def put(url: str, resource: dict[str, Any], **request: str) -> dict[str, Any]:
    return {"resource": resource, "request": {"method": "PUT", "url": url, **request}}


def post(url: str, resource: dict[str, Any], full_url: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"resource": resource, "request": {"method": "POST", "url": url}}
    if full_url is not None:
        entry["fullUrl"] = full_url
    return entry


async def test_entries_are_written_together_and_answered_in_order(
    client: httpx2.AsyncClient,
) -> None:
    bundle = transaction(
        put("Task/t1", {**TASK, "id": "t1"}),
        post("Practitioner", {"resourceType": "Practitioner"}),
    )

    response = await client.post("", json=bundle)

    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "transaction-response"
    statuses = [entry["response"]["status"] for entry in body["entry"]]
    assert statuses == ["201 Created", "201 Created"]
    assert body["entry"][0]["resource"]["id"] == "t1"
    practitioner = body["entry"][1]["resource"]["id"]
    assert (await client.get(f"Practitioner/{practitioner}")).status_code == 200
    assert (await client.get("Task/t1")).status_code == 200


async def test_a_failing_second_entry_writes_nothing(client: httpx2.AsyncClient) -> None:
    bundle = transaction(
        put("Task/t1", {**TASK, "id": "t1"}),
        put("Task/t2", {**TASK, "id": "t2", "status": "no-such-status"}),
    )

    response = await client.post("", json=bundle)

    assert response.status_code == 422
    assert response.json()["resourceType"] == "OperationOutcome"
    assert (await client.get("Task/t1")).status_code == 404


async def test_a_stale_if_match_fails_the_whole_bundle(client: httpx2.AsyncClient) -> None:
    await client.put("Task/t1", json={**TASK, "id": "t1"})
    await client.put("Task/t1", json={**TASK, "id": "t1", "status": "ready"})
    bundle = transaction(
        post("Practitioner", {"resourceType": "Practitioner"}),
        put("Task/t1", {**TASK, "id": "t1", "status": "accepted"}, ifMatch='W/"1"'),
    )

    response = await client.post("", json=bundle)

    assert response.status_code == 412
    assert (await client.get("Task/t1")).json()["status"] == "ready"
    found = (await client.get("Practitioner")).json()
    assert found.get("entry") is None


async def test_a_current_if_match_is_applied(client: httpx2.AsyncClient) -> None:
    await client.put("Task/t1", json={**TASK, "id": "t1"})
    bundle = transaction(put("Task/t1", {**TASK, "id": "t1", "status": "ready"}, ifMatch='W/"1"'))

    response = await client.post("", json=bundle)

    assert response.status_code == 200
    assert response.json()["entry"][0]["response"]["etag"] == 'W/"2"'


async def test_urn_uuid_references_name_the_new_resources(client: httpx2.AsyncClient) -> None:
    patient, task_url = "urn:uuid:8f4a1f7e-3b84-4c4a-9a5e-4b0f3e2b1c11", "urn:uuid:1d2c"
    bundle = transaction(
        post(
            "Provenance",
            {
                "resourceType": "Provenance",
                "recorded": "2026-11-30T10:00:00Z",
                "target": [{"reference": task_url}],
                "agent": [{"who": {"reference": patient}}],
            },
        ),
        {
            **put("Task/t1", {**TASK, "id": "t1", "for": {"reference": patient}}),
            "fullUrl": task_url,
        },
        post("Patient", {"resourceType": "Patient"}, full_url=patient),
    )

    response = await client.post("", json=bundle)

    assert response.status_code == 200, response.text
    provenance, stored_task, new_patient = (e["resource"] for e in response.json()["entry"])
    # A Provenance's target names the version its entry wrote; other references the resource.
    assert provenance["target"] == [{"reference": "Task/t1/_history/1"}]
    assert provenance["agent"][0]["who"] == {"reference": f"Patient/{new_patient['id']}"}
    assert stored_task["for"] == {"reference": f"Patient/{new_patient['id']}"}


async def test_provenance_is_found_by_the_task_it_records(client: httpx2.AsyncClient) -> None:
    await client.put("Task/t1", json={**TASK, "id": "t1"})
    await client.put("Task/t1", json={**TASK, "id": "t1", "status": "ready"})
    for version in ("1", "2"):
        await client.post(
            "Provenance",
            json={
                "resourceType": "Provenance",
                "recorded": "2026-11-30T10:00:00Z",
                "target": [{"reference": f"Task/t1/_history/{version}"}],
                "agent": [{"who": {"reference": "Practitioner/p1"}}],
            },
        )

    by_task = (await client.get("Provenance", params={"target": "Task/t1"})).json()
    by_version = (await client.get("Provenance", params={"target": "Task/t1/_history/2"})).json()

    assert len(by_task["entry"]) == 2
    # A versioned search value finds the records of the resource (every version).
    assert len(by_version["entry"]) == 2
