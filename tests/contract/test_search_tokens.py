"""Token search on every Task token parameter: codes, systems, :not, :missing, OR and AND."""

from __future__ import annotations

import pytest

from tests.contract.conftest import FhirPeer
from tests.contract.resources import SNOMED, concept, ids, put_task


@pytest.fixture
async def tasks(fhir: FhirPeer) -> FhirPeer:
    await put_task(
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
    await put_task(
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
    await put_task(fhir, "bare", status="completed")
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
