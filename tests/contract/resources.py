"""Resources the contract tests write and the searches they read them back with."""

from __future__ import annotations

from typing import Any

from tests.contract.conftest import FhirPeer

SNOMED = "http://snomed.info/sct"


def task(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Task", "status": "requested", "intent": "order", **fields}


def ref(reference: str) -> dict[str, str]:
    return {"reference": reference}


def concept(code: str, system: str = SNOMED) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


async def put_resource(fhir: FhirPeer, resource: dict[str, Any]) -> None:
    url = f"{resource['resourceType']}/{resource['id']}"
    response = await fhir.client.put(url, json=resource)
    assert response.status_code in (200, 201), response.text


async def put_task(fhir: FhirPeer, task_id: str, **fields: Any) -> None:
    response = await fhir.client.put(f"Task/{task_id}", json=task(id=task_id, **fields))
    assert response.status_code in (200, 201), response.text


async def ids(fhir: FhirPeer, params: Any, *, resource_type: str = "Task") -> list[str]:
    """The sorted ids of a search's entries."""
    response = await fhir.client.get(resource_type, params=params)
    assert response.status_code == 200, response.text
    return sorted(e["resource"]["id"] for e in response.json().get("entry", []))
