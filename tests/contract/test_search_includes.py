"""_include and _revinclude, with :iterate over partOf trees, cycles included."""

from __future__ import annotations

from typing import Any

from tests.contract.conftest import FhirPeer
from tests.contract.resources import put_resource, put_task, ref


async def search(fhir: FhirPeer, resource_type: str, params: Any) -> dict[str, set[str]]:
    """Matches and included resources of a search, as 'Type/id' sets by search mode."""
    response = await fhir.client.get(resource_type, params=params)
    assert response.status_code == 200, response.text
    modes: dict[str, set[str]] = {"match": set(), "include": set()}
    for entry in response.json().get("entry", []):
        resource = entry["resource"]
        if resource["resourceType"] == "OperationOutcome":
            continue
        modes[entry["search"]["mode"]].add(f"{resource['resourceType']}/{resource['id']}")
        if fhir.caps.entry_full_urls:
            assert entry["fullUrl"].endswith(f"{resource['resourceType']}/{resource['id']}")
    return modes


async def tree(fhir: FhirPeer) -> None:
    """root -> a -> a1 -> a1x, root -> b; plus an unrelated task."""
    await put_task(fhir, "root", owner=ref("Practitioner/ama"))
    await put_task(fhir, "a", partOf=[ref("Task/root")], owner=ref("Practitioner/kofi"))
    await put_task(fhir, "b", partOf=[ref("Task/root")])
    await put_task(fhir, "a1", partOf=[ref("Task/a")])
    await put_task(fhir, "a1x", partOf=[ref("Task/a1")])
    await put_task(fhir, "unrelated")


async def test_include_owner(fhir: FhirPeer) -> None:
    await put_resource(
        fhir, {"resourceType": "Practitioner", "id": "ama", "name": [{"family": "Osei"}]}
    )
    await put_resource(
        fhir, {"resourceType": "Patient", "id": "pat", "name": [{"family": "Mensah"}]}
    )
    await put_task(fhir, "t1", owner=ref("Practitioner/ama"), **{"for": ref("Patient/pat")})
    await put_task(fhir, "t2", owner=ref("Practitioner/missing-one"))

    found = await search(fhir, "Task", {"_include": ["Task:owner", "Task:patient"]})

    assert found["match"] == {"Task/t1", "Task/t2"}
    assert found["include"] == {"Practitioner/ama", "Patient/pat"}


async def test_revinclude_children(fhir: FhirPeer) -> None:
    await tree(fhir)

    found = await search(fhir, "Task", {"_id": "root", "_revinclude": "Task:part-of"})

    assert found == {"match": {"Task/root"}, "include": {"Task/a", "Task/b"}}


async def test_revinclude_iterate_walks_the_whole_tree(fhir: FhirPeer) -> None:
    await tree(fhir)

    found = await search(fhir, "Task", {"_id": "root", "_revinclude:iterate": "Task:part-of"})

    assert found["match"] == {"Task/root"}
    assert found["include"] == {"Task/a", "Task/b", "Task/a1", "Task/a1x"}


async def test_include_iterate_walks_up_to_the_root(fhir: FhirPeer) -> None:
    await tree(fhir)

    found = await search(fhir, "Task", {"_id": "a1x", "_include:iterate": "Task:part-of"})

    assert found["include"] == {"Task/a1", "Task/a", "Task/root"}


async def test_iterate_over_a_part_of_cycle_ends(fhir: FhirPeer) -> None:
    await put_task(fhir, "x", partOf=[ref("Task/y")])
    await put_task(fhir, "y", partOf=[ref("Task/z")])
    await put_task(fhir, "z", partOf=[ref("Task/x")])

    if not fhir.caps.iterate_survives_cycles:
        refused = await fhir.client.get(
            "Task", params={"_id": "x", "_include:iterate": "Task:part-of"}
        )
        assert refused.status_code == 400
        return
    down = await search(fhir, "Task", {"_id": "x", "_revinclude:iterate": "Task:part-of"})
    up = await search(fhir, "Task", {"_id": "x", "_include:iterate": "Task:part-of"})

    assert down == {"match": {"Task/x"}, "include": {"Task/y", "Task/z"}}
    assert up == {"match": {"Task/x"}, "include": {"Task/y", "Task/z"}}


async def test_includes_of_several_matches_and_other_types(fhir: FhirPeer) -> None:
    await tree(fhir)
    await put_resource(fhir, {"resourceType": "Practitioner", "id": "kofi"})
    await put_resource(
        fhir,
        {
            "resourceType": "PractitionerRole",
            "id": "kofi-nurse",
            "practitioner": ref("Practitioner/kofi"),
        },
    )

    tasks = await search(
        fhir, "Task", {"_id": "a,b", "_revinclude": "Task:part-of", "_include": "Task:owner"}
    )
    roles = await search(
        fhir, "Practitioner", {"_id": "kofi", "_revinclude": "PractitionerRole:practitioner"}
    )

    assert tasks == {"match": {"Task/a", "Task/b"}, "include": {"Task/a1", "Practitioner/kofi"}}
    assert roles == {"match": {"Practitioner/kofi"}, "include": {"PractitionerRole/kofi-nurse"}}
