"""Malformed writes are refused with an OperationOutcome and leave nothing behind."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import FhirPeer
from tests.contract.resources import task


def without(resource: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != key}


async def _count_tasks(fhir: FhirPeer) -> int:
    bundle = (await fhir.client.get("Task", params={"_count": "100"})).json()
    return len(bundle.get("entry", []))


def _names(outcome: dict[str, Any], element: str) -> bool:
    issue = outcome["issue"][0]
    text = issue.get("diagnostics", "") + " ".join(issue.get("expression", []))
    return element in text


@pytest.mark.parametrize(
    ("body", "element"),
    [
        (without(task(), "status"), "status"),
        (without(task(), "intent"), "intent"),
        (task(status="finished"), "status"),
        (task(intent="wish"), "intent"),
        (task(priority="whenever"), "priority"),
        (task(owner={"reference": "not a reference"}), "owner"),
        (task(partOf=[{"reference": "Task/"}]), "partOf"),
        (
            task(input=[{"type": {"text": "x"}, "valueReference": {"reference": "Task/.."}}]),
            "input",
        ),
        (
            task(authoredOn="2026-11-25T10:00:00Z", lastModified="2026-11-24T10:00:00Z"),
            "lastModified",
        ),
        (task(authoredOn="25/11/2026"), "authoredOn"),
    ],
)
async def test_invalid_task_is_refused_naming_the_element(
    fhir: FhirPeer, body: dict[str, Any], element: str
) -> None:
    response = await fhir.client.post("Task", json=body)

    if not fhir.caps.validates_writes:
        assert response.status_code in (201, 400, 422)
        return
    assert response.status_code == 422
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"
    assert _names(outcome, element)
    assert await _count_tasks(fhir) == 0


async def test_body_must_be_a_json_object(fhir: FhirPeer) -> None:
    response = await fhir.client.post(
        "Task", content=b"[1, 2]", headers={"Content-Type": "application/fhir+json"}
    )

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_body_must_be_json(fhir: FhirPeer) -> None:
    response = await fhir.client.post(
        "Task", content=b"{not json", headers={"Content-Type": "application/fhir+json"}
    )

    assert response.status_code == 400


async def test_resource_type_must_match_the_url(fhir: FhirPeer) -> None:
    response = await fhir.client.post("Task", json={"resourceType": "Patient"})

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_put_body_id_must_match_the_url(fhir: FhirPeer) -> None:
    response = await fhir.client.put("Task/abc", json=task(id="xyz"))

    assert response.status_code == 400
    assert (await fhir.client.get("Task/xyz")).status_code == 404


@pytest.mark.parametrize("bad_id", ["has space", "x" * 65, "under_score"])
async def test_put_with_an_invalid_id_is_refused(fhir: FhirPeer, bad_id: str) -> None:
    response = await fhir.client.put(f"Task/{bad_id}", json=task(id=bad_id))

    assert response.status_code in ((400, 404) if fhir.caps.validates_writes else (200, 201, 400))


async def test_failed_update_leaves_the_stored_version(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task())).json()

    response = await fhir.client.put(f"Task/{created['id']}", json={**created, "status": "bogus"})

    if fhir.caps.validates_writes:
        assert response.status_code == 422
        stored = (await fhir.client.get(f"Task/{created['id']}")).json()
        assert stored == created
    else:
        assert response.status_code in (200, 400, 422)


async def test_valid_reference_forms_are_accepted(fhir: FhirPeer) -> None:
    body = task(
        owner={"reference": "Practitioner/p-1"},
        focus={"reference": "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427"},
        basedOn=[{"reference": "https://example.org/fhir/ServiceRequest/7"}],
        requester={"reference": "Practitioner/p-1/_history/2"},
    )

    response = await fhir.client.post("Task", json=body)

    assert response.status_code == 201
