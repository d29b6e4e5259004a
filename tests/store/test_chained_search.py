"""Chained search, one level deep on reference parameters: answers, refusals, index plans."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from gateway.store import FhirStore
from tests.store.plan_steps import full_scans, steps
from tests.store.resources import ids, task


def patient(patient_id: str, *states: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "address": [{"state": state} for state in states],
    }


def person(resource_type: str, person_id: str, family: str) -> dict[str, Any]:
    return {"resourceType": resource_type, "id": person_id, "name": [{"family": family}]}


@pytest.fixture
async def clinic(client: httpx2.AsyncClient) -> httpx2.AsyncClient:
    resources = [
        patient("ca", "CA"),
        patient("ny-tx", "NY", "tx"),
        patient("stateless"),
        person("Practitioner", "ama", "Mensah"),
        person("Patient", "mensah-patient", "Mensah"),
        task(id="for-ca", **{"for": {"reference": "Patient/ca"}}),
        task(id="for-ny-tx", **{"for": {"reference": "Patient/ny-tx"}}),
        task(id="for-stateless", **{"for": {"reference": "Patient/stateless"}}),
        task(id="for-nobody"),
        task(id="for-missing", **{"for": {"reference": "Patient/gone"}}),
        task(id="owned-by-ama", owner={"reference": "Practitioner/ama"}),
        task(id="owned-by-patient", owner={"reference": "Patient/mensah-patient"}),
    ]
    for resource in resources:
        response = await client.put(f"{resource['resourceType']}/{resource['id']}", json=resource)
        assert response.status_code in (200, 201), response.text
    return client


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"patient.address-state": "CA"}, {"for-ca"}),
        ({"patient.address-state": "tx"}, {"for-ny-tx"}),
        ({"patient.address-state": "ca,NY"}, {"for-ca", "for-ny-tx"}),
        ({"patient.address-state": "WA"}, set()),
        ({"patient:Patient.address-state": "NY"}, {"for-ny-tx"}),
        ({"subject:Patient.address-state": "CA"}, {"for-ca"}),
        ({"owner:Practitioner.name": "mensah"}, {"owned-by-ama"}),
        ({"owner:Patient.name": "mensah"}, {"owned-by-patient"}),
        ({"patient.address-state:exact": "tx"}, {"for-ny-tx"}),
        ({"patient.address-state:exact": "TX"}, set()),
        ({"patient.address-state": "CA", "status": "requested"}, {"for-ca"}),
        ({"patient.address-state": "CA", "status": "ready"}, set()),
    ],
)
async def test_a_chain_finds_what_its_target_matches(
    clinic: httpx2.AsyncClient, params: dict[str, str], expected: set[str]
) -> None:
    assert await ids(clinic, params) == expected


async def test_a_chain_follows_the_current_version_and_not_deleted_targets(
    clinic: httpx2.AsyncClient,
) -> None:
    await clinic.put("Patient/ca", json=patient("ca", "WA"))
    await clinic.delete("Patient/ny-tx")

    assert await ids(clinic, {"patient.address-state": "CA,NY"}) == set()
    assert await ids(clinic, {"patient.address-state": "WA"}) == {"for-ca"}


async def test_a_chain_counts_and_pages_like_any_filter(clinic: httpx2.AsyncClient) -> None:
    counted = await clinic.get(
        "Task", params={"patient.address-state": "CA,NY,TX", "_summary": "count"}
    )
    first = await clinic.get(
        "Task", params={"patient.address-state": "CA,NY,TX", "_count": "1", "_sort": "_id"}
    )
    next_url = next(link["url"] for link in first.json()["link"] if link["relation"] == "next")
    second = await clinic.get(next_url)

    assert counted.json()["total"] == 2
    assert [e["resource"]["id"] for e in first.json()["entry"]] == ["for-ca"]
    assert [e["resource"]["id"] for e in second.json()["entry"]] == ["for-ny-tx"]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("owner.name", "several resource types"),
        ("patient.address-state.more", "one level deep"),
        ("status.code", "reference parameter"),
        ("patient.nonsense", "Unknown search parameter"),
        ("owner:nonsense.name", "Not a resource type"),
        ("owner:Nonsense.name", "Unknown search parameter"),
    ],
)
async def test_a_chain_the_store_cannot_answer_is_refused(
    clinic: httpx2.AsyncClient, name: str, problem: str
) -> None:
    response = await clinic.get("Task", params={name: "x"})

    assert response.status_code == 400
    assert problem in response.text


@pytest.fixture(scope="module")
def big_store() -> Iterator[FhirStore]:
    store = FhirStore.open(":memory:")
    states = ["CA", "NY", "TX", "WA", "OR"]
    patients = [patient(f"p{n}", states[n % 5]) for n in range(200)]
    tasks = [task(id=f"t{n}", **{"for": {"reference": f"Patient/p{n % 200}"}}) for n in range(600)]
    store.load([*patients, *tasks])
    yield store
    store.close()


def test_a_chain_seeks_the_reference_and_string_indexes(big_store: FhirStore) -> None:
    lines = [
        line.strip()
        for line in big_store.query_plan("Task", [("patient.address-state", "CA")])
        if line.startswith(" ")
    ]

    found = steps(lines)
    assert any(
        s.table == "reference_idx" and s.primary_key and {"pid", "target_id"} <= s.keys
        for s in found
    )
    assert any(s.table == "string_idx" and "pid" in s.keys for s in found)
    assert full_scans(lines) == []
