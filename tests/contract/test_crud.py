"""Create, read and update of resources, as a FHIR client sees them."""

from __future__ import annotations

from tests.contract.conftest import FhirPeer
from tests.contract.resources import task


async def test_create_assigns_id_and_answers_201_with_location_and_etag(fhir: FhirPeer) -> None:
    response = await fhir.client.post("Task", json=task(description="Call the patient"))

    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "Task"
    assert body["id"]
    assert body["description"] == "Call the patient"
    version = body["meta"]["versionId"]
    assert response.headers["etag"] in (f'W/"{version}"', f'"{version}"')
    assert response.headers["location"].endswith(f"Task/{body['id']}/_history/{version}")
    assert response.headers["location"].startswith("http")
    assert body["meta"]["lastUpdated"].endswith("Z") or "+" in body["meta"]["lastUpdated"]


async def test_create_ignores_a_client_id(fhir: FhirPeer) -> None:
    response = await fhir.client.post("Task", json=task(id="chosen-by-client"))

    assert response.status_code == 201
    if fhir.caps.ignores_client_id_on_create:
        assert response.json()["id"] != "chosen-by-client"
    else:
        assert response.json()["id"] == "chosen-by-client"


async def test_read_returns_what_was_stored(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task(priority="urgent"))).json()

    response = await fhir.client.get(f"Task/{created['id']}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.json() == created
    assert response.headers["etag"] in (
        f'W/"{created["meta"]["versionId"]}"',
        f'"{created["meta"]["versionId"]}"',
    )


async def test_read_of_an_unknown_id_is_404_with_an_outcome(fhir: FhirPeer) -> None:
    response = await fhir.client.get("Task/does-not-exist")

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


async def test_update_stores_the_new_content(fhir: FhirPeer) -> None:
    created = (await fhir.client.post("Task", json=task())).json()

    response = await fhir.client.put(
        f"Task/{created['id']}", json={**created, "status": "accepted"}
    )

    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    stored = (await fhir.client.get(f"Task/{created['id']}")).json()
    assert stored["status"] == "accepted"
    assert stored["meta"]["versionId"] != created["meta"]["versionId"]


async def test_update_of_a_new_id_creates_it_under_the_client_id(fhir: FhirPeer) -> None:
    response = await fhir.client.put("Task/client-chosen-1", json=task(id="client-chosen-1"))

    assert response.status_code == (201 if fhir.caps.update_create_is_201 else 200)
    assert response.json()["id"] == "client-chosen-1"
    read = await fhir.client.get("Task/client-chosen-1")
    assert read.status_code == 200
    assert read.json()["status"] == "requested"


async def test_any_resource_type_can_be_stored(fhir: FhirPeer) -> None:
    body = {"resourceType": "Practitioner", "name": [{"family": "Osei", "given": ["Ama"]}]}

    created = await fhir.client.post("Practitioner", json=body)
    read = await fhir.client.get(f"Practitioner/{created.json()['id']}")

    assert created.status_code == 201
    assert read.json()["name"] == [{"family": "Osei", "given": ["Ama"]}]


async def test_metadata_describes_the_server(fhir: FhirPeer) -> None:
    response = await fhir.client.get("metadata")

    assert response.status_code == 200
    body = response.json()
    if not fhir.caps.capability_statement:
        return
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"
    rest = body["rest"][0]
    assert rest["mode"] == "server"
    task_entry = next(r for r in rest["resource"] if r["type"] == "Task")
    names = {p["name"]: p["type"] for p in task_entry["searchParam"]}
    for name in ("status", "owner", "part-of", "performer", "patient", "due-date"):
        assert name in names
    assert names["priority-order"] == "number"
    assert {"read", "update", "create", "search-type"} <= {
        i["code"] for i in task_entry["interaction"]
    }


async def test_conditional_create_returns_the_existing_match(fhir: FhirPeer) -> None:
    first = await fhir.client.post(
        "Task",
        json=task(identifier=[{"system": "urn:orders", "value": "42"}]),
        headers={"If-None-Exist": "identifier=urn:orders|42"},
    )
    second = await fhir.client.post(
        "Task",
        json=task(identifier=[{"system": "urn:orders", "value": "42"}]),
        headers={"If-None-Exist": "identifier=urn:orders|42"},
    )

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    bundle = (await fhir.client.get("Task", params={"identifier": "urn:orders|42"})).json()
    assert len(bundle["entry"]) == 1
