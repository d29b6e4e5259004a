"""Reference search on every Task reference parameter: typed ids, bare ids, several values."""

from __future__ import annotations

import pytest

from tests.contract.conftest import FhirPeer
from tests.contract.resources import ids, put_resource, put_task, ref


@pytest.fixture
async def tasks(fhir: FhirPeer) -> FhirPeer:
    await put_task(
        fhir,
        "parent",
        owner=ref("Practitioner/ama"),
        requester=ref("Practitioner/kofi"),
        **{"for": ref("Patient/p1")},
        focus=ref("ServiceRequest/sr1"),
        encounter=ref("Encounter/e1"),
        basedOn=[ref("CarePlan/cp1")],
    )
    await put_task(fhir, "child-1", partOf=[ref("Task/parent")], owner=ref("CareTeam/ama"))
    await put_task(fhir, "child-2", partOf=[ref("Task/parent")], **{"for": ref("Group/g1")})
    await put_task(fhir, "other-root")
    await put_task(fhir, "other-child", partOf=[ref("Task/other-root")])
    return fhir


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"owner": "Practitioner/ama"}, ["parent"]),
        ({"owner": "CareTeam/ama"}, ["child-1"]),
        ({"requester": "Practitioner/kofi"}, ["parent"]),
        ({"subject": "Patient/p1"}, ["parent"]),
        ({"subject": "Group/g1"}, ["child-2"]),
        ({"patient": "Patient/p1"}, ["parent"]),
        ({"patient": "p1"}, ["parent"]),
        ({"focus": "ServiceRequest/sr1"}, ["parent"]),
        ({"encounter": "Encounter/e1"}, ["parent"]),
        ({"based-on": "CarePlan/cp1"}, ["parent"]),
        ({"part-of": "Task/parent"}, ["child-1", "child-2"]),
        ({"part-of": "Task/parent,Task/other-root"}, ["child-1", "child-2", "other-child"]),
        ({"part-of": "Task/nobody"}, []),
    ],
)
async def test_reference_parameters(
    tasks: FhirPeer, params: dict[str, str], expected: list[str]
) -> None:
    assert await ids(tasks, params) == expected


async def test_bare_id_matches_any_type(tasks: FhirPeer) -> None:
    found = await ids(tasks, {"owner": "ama"})

    assert found == (["child-1", "parent"] if tasks.caps.bare_reference_ids else [])


async def test_type_modifier(tasks: FhirPeer) -> None:
    found = await ids(tasks, {"owner:CareTeam": "ama"})

    assert found == (["child-1"] if tasks.caps.bare_reference_ids else [])


async def test_owner_missing_finds_unclaimed_tasks(tasks: FhirPeer) -> None:
    unclaimed = await ids(tasks, {"owner:missing": "true"})
    claimed = await ids(tasks, {"owner:missing": "false"})

    assert unclaimed == ["child-2", "other-child", "other-root"]
    assert claimed == ["child-1", "parent"]


async def test_part_of_missing_finds_roots(tasks: FhirPeer) -> None:
    assert await ids(tasks, {"part-of:missing": "true"}) == ["other-root", "parent"]


async def test_many_parents_in_one_search(fhir: FhirPeer) -> None:
    for n in range(30):
        await put_task(fhir, f"c{n}", partOf=[ref(f"Task/p{n}")])

    parents = ",".join(f"Task/p{n}" for n in range(0, 30, 2))
    found = await ids(fhir, {"part-of": parents, "_count": "100"})

    assert found == sorted(f"c{n}" for n in range(0, 30, 2))


async def test_update_moves_a_task_between_parents(tasks: FhirPeer) -> None:
    await put_task(tasks, "child-1", partOf=[ref("Task/other-root")])

    assert await ids(tasks, {"part-of": "Task/parent"}) == ["child-2"]
    assert await ids(tasks, {"part-of": "Task/other-root"}) == ["child-1", "other-child"]


async def test_chained_search_one_level_deep(fhir: FhirPeer) -> None:
    for resource in [
        {"resourceType": "Patient", "id": "in-ca", "address": [{"state": "CA"}]},
        {"resourceType": "Patient", "id": "in-ny", "address": [{"state": "NY"}]},
        {"resourceType": "Practitioner", "id": "ama", "name": [{"family": "Mensah"}]},
    ]:
        await put_resource(fhir, resource)
    await put_task(fhir, "ca-task", **{"for": ref("Patient/in-ca")})
    await put_task(fhir, "ny-task", **{"for": ref("Patient/in-ny")}, owner=ref("Practitioner/ama"))
    await put_task(fhir, "no-patient")

    assert await ids(fhir, {"patient.address-state": "CA"}) == ["ca-task"]
    assert await ids(fhir, {"patient.address-state": "CA,NY"}) == ["ca-task", "ny-task"]
    assert await ids(fhir, {"owner:Practitioner.name": "Mensah"}) == ["ny-task"]
    assert fhir.caps.chained_search
