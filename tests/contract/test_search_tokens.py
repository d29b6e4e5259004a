"""Token search on every Task token parameter: codes, systems, :not, :missing, OR and AND."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import FhirPeer

SNOMED = "http://snomed.info/sct"


def task(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Task", "status": "requested", "intent": "order", **fields}


def concept(code: str, system: str = SNOMED) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


async def put(fhir: FhirPeer, task_id: str, **fields: Any) -> None:
    response = await fhir.client.put(f"Task/{task_id}", json=task(id=task_id, **fields))
    assert response.status_code in (200, 201), response.text


async def ids(fhir: FhirPeer, params: Any) -> list[str]:
    response = await fhir.client.get("Task", params=params)
    assert response.status_code == 200, response.text
    return sorted(e["resource"]["id"] for e in response.json().get("entry", []))


@pytest.fixture
async def tasks(fhir: FhirPeer) -> FhirPeer:
    await put(
        fhir,
        "nurse-urgent",
        status="ready",
        priority="urgent",
        performerType=[concept("224535009")],
        code=concept("385763009"),
        businessStatus={"coding": [{"system": "urn:funnel", "code": "triage"}]},
        identifier=[{"system": "urn:orders", "value": "A-1"}],
        groupIdentifier={"system": "urn:groups", "value": "G-1"},
    )
    await put(
        fhir,
        "doctor-stat",
        status="in-progress",
        intent="plan",
        priority="stat",
        performerType=[concept("158965000")],
        code=concept("1234", system="urn:local"),
        identifier=[{"system": "urn:orders", "value": "A-2"}],
        groupIdentifier={"system": "urn:groups", "value": "G-1"},
    )
    await put(fhir, "bare", status="completed")
    return fhir


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "ready"}, ["nurse-urgent"]),
        ({"status": "ready,completed"}, ["bare", "nurse-urgent"]),
        ({"intent": "plan"}, ["doctor-stat"]),
        ({"priority": "stat"}, ["doctor-stat"]),
        ({"performer": f"{SNOMED}|224535009"}, ["nurse-urgent"]),
        ({"performer": "158965000"}, ["doctor-stat"]),
        ({"performer": f"{SNOMED}|"}, ["doctor-stat", "nurse-urgent"]),
        ({"code": "urn:local|1234"}, ["doctor-stat"]),
        ({"code": f"{SNOMED}|1234"}, []),
        ({"business-status": "urn:funnel|triage"}, ["nurse-urgent"]),
        ({"identifier": "urn:orders|A-2"}, ["doctor-stat"]),
        ({"identifier": "A-1"}, ["nurse-urgent"]),
        ({"group-identifier": "urn:groups|G-1"}, ["doctor-stat", "nurse-urgent"]),
    ],
)
async def test_token_parameters(
    tasks: FhirPeer, params: dict[str, str], expected: list[str]
) -> None:
    assert await ids(tasks, params) == expected


async def test_not_includes_resources_without_the_element(tasks: FhirPeer) -> None:
    assert await ids(tasks, {"priority:not": "stat"}) == ["bare", "nurse-urgent"]
    assert await ids(tasks, {"status:not": "ready,completed"}) == ["doctor-stat"]


async def test_missing(tasks: FhirPeer) -> None:
    assert await ids(tasks, {"priority:missing": "true"}) == ["bare"]
    assert await ids(tasks, {"priority:missing": "false"}) == ["doctor-stat", "nurse-urgent"]
    assert await ids(tasks, {"performer:missing": "true"}) == ["bare"]
    assert await ids(tasks, {"business-status:missing": "false"}) == ["nurse-urgent"]


async def test_repeated_parameter_means_and(tasks: FhirPeer) -> None:
    params = [("group-identifier", "G-1"), ("priority", "urgent,stat"), ("status", "ready")]

    assert await ids(tasks, params) == ["nurse-urgent"]


async def test_id_parameter(tasks: FhirPeer) -> None:
    assert await ids(tasks, {"_id": "bare,doctor-stat"}) == ["bare", "doctor-stat"]
    assert await ids(tasks, {"_id": "nobody"}) == []
