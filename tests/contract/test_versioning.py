"""Versions, ETags and If-Match: a stale version is refused, concurrent writers cannot both win."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.contract.conftest import FhirPeer
from tests.contract.resources import task


async def _create(fhir: FhirPeer, **fields: Any) -> dict[str, Any]:
    response = await fhir.client.post("Task", json=task(**fields))
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


async def test_each_update_makes_a_new_version(fhir: FhirPeer) -> None:
    first = await _create(fhir)
    second = await fhir.client.put(f"Task/{first['id']}", json={**first, "status": "received"})
    third = await fhir.client.put(f"Task/{first['id']}", json={**first, "status": "accepted"})

    versions = [first["meta"]["versionId"], second.json()["meta"]["versionId"]]
    versions.append(third.json()["meta"]["versionId"])
    if fhir.caps.sequential_version_ids:
        assert versions == ["1", "2", "3"]
    else:
        assert len(set(versions)) == 3
    assert third.headers["etag"] in (f'W/"{versions[2]}"', f'"{versions[2]}"')


async def test_last_updated_moves_forward(fhir: FhirPeer) -> None:
    first = await _create(fhir)
    second = (
        await fhir.client.put(f"Task/{first['id']}", json={**first, "status": "received"})
    ).json()

    assert second["meta"]["lastUpdated"] > first["meta"]["lastUpdated"]


async def test_update_with_the_current_version_succeeds(fhir: FhirPeer) -> None:
    created = await _create(fhir)
    etag = f'W/"{created["meta"]["versionId"]}"'

    response = await fhir.client.put(
        f"Task/{created['id']}", json={**created, "status": "received"}, headers={"If-Match": etag}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "received"


async def test_strong_etag_form_is_accepted(fhir: FhirPeer) -> None:
    created = await _create(fhir)

    response = await fhir.client.put(
        f"Task/{created['id']}",
        json={**created, "status": "received"},
        headers={"If-Match": f'"{created["meta"]["versionId"]}"'},
    )

    assert response.status_code == 200


async def test_update_with_a_stale_version_is_412_and_changes_nothing(fhir: FhirPeer) -> None:
    created = await _create(fhir)
    stale = f'W/"{created["meta"]["versionId"]}"'
    await fhir.client.put(f"Task/{created['id']}", json={**created, "status": "received"})

    response = await fhir.client.put(
        f"Task/{created['id']}", json={**created, "status": "rejected"}, headers={"If-Match": stale}
    )

    assert response.status_code == 412
    assert response.json()["resourceType"] == "OperationOutcome"
    assert (await fhir.client.get(f"Task/{created['id']}")).json()["status"] == "received"


async def test_if_match_on_a_missing_resource_fails(fhir: FhirPeer) -> None:
    response = await fhir.client.put(
        "Task/never-created", json=task(id="never-created"), headers={"If-Match": 'W/"1"'}
    )

    assert response.status_code in (404, 412)
    assert (await fhir.client.get("Task/never-created")).status_code == 404


async def test_concurrent_writers_with_one_version_exactly_one_wins(fhir: FhirPeer) -> None:
    created = await _create(fhir)
    etag = f'W/"{created["meta"]["versionId"]}"'

    async def claim(n: int) -> tuple[int, int]:
        body = {**created, "owner": {"reference": f"Practitioner/p{n}"}}
        response = await fhir.client.put(
            f"Task/{created['id']}", json=body, headers={"If-Match": etag}
        )
        return n, response.status_code

    results = await asyncio.gather(*(claim(n) for n in range(10)))

    winners = [n for n, status in results if status == 200]
    assert len(winners) == 1
    assert sorted(status for _, status in results) == [200] + [412] * 9
    stored = (await fhir.client.get(f"Task/{created['id']}")).json()
    assert stored["owner"] == {"reference": f"Practitioner/p{winners[0]}"}
    history = (await fhir.client.get(f"Task/{created['id']}/_history")).json()
    assert len(history["entry"]) == 2


async def test_vread_returns_an_old_version(fhir: FhirPeer) -> None:
    created = await _create(fhir)
    await fhir.client.put(f"Task/{created['id']}", json={**created, "status": "received"})

    response = await fhir.client.get(
        f"Task/{created['id']}/_history/{created['meta']['versionId']}"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "requested"
    assert response.json()["meta"]["versionId"] == created["meta"]["versionId"]


async def test_vread_of_an_unknown_version_is_404(fhir: FhirPeer) -> None:
    created = await _create(fhir)

    response = await fhir.client.get(f"Task/{created['id']}/_history/999")

    assert response.status_code == 404


async def test_update_with_unchanged_content(fhir: FhirPeer) -> None:
    created = await _create(fhir)

    response = await fhir.client.put(f"Task/{created['id']}", json=created)

    assert response.status_code == 200
    version = response.json()["meta"]["versionId"]
    if fhir.caps.skips_unchanged_updates:
        assert version == created["meta"]["versionId"]
        assert response.json() == created
    else:
        assert version != created["meta"]["versionId"]
