"""Instance history: every version of a resource, as a history Bundle."""

from __future__ import annotations

from tests.contract.conftest import FhirPeer
from tests.contract.resources import task


async def test_history_lists_every_version(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task())).json()
    for status in ("received", "accepted"):
        await fhir.client.put(f"Task/{created['id']}", json={**created, "status": status})

    response = await fhir.client.get(f"Task/{created['id']}/_history")

    assert response.status_code == 200
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "history"
    statuses = [e["resource"]["status"] for e in bundle["entry"]]
    if fhir.caps.ordered_history:
        assert statuses == ["accepted", "received", "requested"]
        versions = [e["resource"]["meta"]["versionId"] for e in bundle["entry"]]
        assert versions == ["3", "2", "1"]
    else:
        assert sorted(statuses) == ["accepted", "received", "requested"]
    if fhir.caps.entry_full_urls:
        for entry in bundle["entry"]:
            assert entry["fullUrl"].endswith(f"Task/{created['id']}")


async def test_history_of_an_unknown_resource_is_404(fhir: FhirPeer) -> None:
    response = await fhir.client.get("Task/nobody-here/_history")

    assert response.status_code == 404


async def test_history_keeps_versions_after_delete(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task())).json()
    await fhir.client.delete(f"Task/{created['id']}")

    response = await fhir.client.get(f"Task/{created['id']}/_history")

    if not fhir.caps.keeps_deleted_history:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    entries = response.json()["entry"]
    assert [e["resource"]["status"] for e in entries if "resource" in e] == ["requested"]
    assert entries[0]["request"]["method"] == "DELETE"
