"""Delete: the resource is gone for reads and searches, and its old versions stay readable."""

from __future__ import annotations

from tests.contract.conftest import FhirPeer
from tests.contract.resources import task


async def test_delete_then_read_is_gone(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task())).json()

    deleted = await fhir.client.delete(f"Task/{created['id']}")
    read = await fhir.client.get(f"Task/{created['id']}")

    assert deleted.status_code in (200, 204)
    assert read.status_code == (410 if fhir.caps.gone_after_delete else 404)
    assert read.json()["resourceType"] == "OperationOutcome"


async def test_deleted_resource_is_not_found_by_search(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task(description="to delete"))).json()
    kept = (await fhir.client.post("Task", json=task())).json()

    await fhir.client.delete(f"Task/{created['id']}")
    bundle = (await fhir.client.get("Task", params={"status": "requested"})).json()

    assert [e["resource"]["id"] for e in bundle.get("entry", [])] == [kept["id"]]


async def test_old_version_of_a_deleted_resource_can_be_read(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task())).json()
    await fhir.client.delete(f"Task/{created['id']}")

    response = await fhir.client.get(
        f"Task/{created['id']}/_history/{created['meta']['versionId']}"
    )

    if fhir.caps.keeps_deleted_history:
        assert response.status_code == 200
        assert response.json()["status"] == "requested"
    else:
        assert response.status_code == 404


async def test_delete_twice_is_harmless(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task())).json()
    await fhir.client.delete(f"Task/{created['id']}")

    again = await fhir.client.delete(f"Task/{created['id']}")

    assert again.status_code in ((200, 204) if fhir.caps.keeps_deleted_history else (404,))
    assert (await fhir.client.get(f"Task/{created['id']}")).status_code in (404, 410)


async def test_delete_of_an_unknown_resource(fhir: FhirPeer) -> None:
    response = await fhir.client.delete("Task/never-was")

    # The embedded store answers 404 for an id it never held (documented in the store).
    assert response.status_code in ((404,) if fhir.caps.gone_after_delete else (200, 204, 404))


async def test_update_after_delete_brings_it_back(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task())).json()
    await fhir.client.delete(f"Task/{created['id']}")

    revived = await fhir.client.put(f"Task/{created['id']}", json={**created, "status": "received"})

    assert revived.status_code in (200, 201)
    read = await fhir.client.get(f"Task/{created['id']}")
    assert read.status_code == 200
    assert read.json()["status"] == "received"
    if fhir.caps.sequential_version_ids:
        assert read.json()["meta"]["versionId"] == "3"
