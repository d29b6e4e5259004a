"""Routing on the seeded demo clinic, as the README shows it: licensure in the queue, suggestions,
routeTask's winner and its refusal when nobody is licensed."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.demo_clinic import demo_clinic
from gateway.fhir import Ref
from gateway.routing import patient_states
from gateway.seed import seed_demo_clinic
from tests.conftest import Gateway

QUEUE = """query($p: ID!, $ignore: Boolean!) {
  taskQueue(practitioner: $p, first: 100, ignoreLicensure: $ignore) { nodes { id } } }"""
ROUTE = """mutation($id: ID!) { routeTask(id: $id) { id ownerReference { reference } } }"""


@pytest.fixture
async def clinic(gateway: Gateway) -> Gateway:
    await seed_demo_clinic(gateway.fhir)
    return gateway


def _home_states() -> dict[str, frozenset[str]]:
    """Each demo Task's id with its patient's states."""
    resources = demo_clinic()
    patients = {f"Patient/{r['id']}": r for r in resources if r["resourceType"] == "Patient"}
    return {
        r["id"]: patient_states(patients[r["for"]["reference"]])
        for r in resources
        if r["resourceType"] == "Task"
    }


async def test_a_queue_leaves_out_states_without_a_valid_license(clinic: Gateway) -> None:
    # Hannah Berg: licensed in MA; her RI license has expired, NH and NY she never held.
    states = _home_states()
    licensed = await clinic.data(QUEUE, {"p": "demo-prac-10", "ignore": False})
    everything = await clinic.data(QUEUE, {"p": "demo-prac-10", "ignore": True})
    kept = [n["id"] for n in licensed["taskQueue"]["nodes"]]
    every = [n["id"] for n in everything["taskQueue"]["nodes"]]
    assert kept == [i for i in every if states[i] in ({"MA"}, frozenset())]
    assert kept
    assert {"RI"} in [states[i] for i in every]


async def test_suggestions_and_routes_follow_the_licenses(clinic: Gateway) -> None:
    suggestions = await clinic.data(
        """{ task(id: "demo-task-0012") {
             suggestedAssignees { practitioner { id } licensed } } }"""
    )
    # A New York patient: only Dr. Reyes holds a New York license valid now.
    assert suggestions["task"]["suggestedAssignees"] == [
        {"practitioner": {"id": "demo-prac-02"}, "licensed": True}
    ]

    error = await clinic.error(ROUTE, {"id": "demo-task-0073"})  # a Rhode Island patient
    assert error["extensions"]["code"] == "ROUTING_NO_CANDIDATE"
    untouched: dict[str, Any] = await clinic.fhir.read(Ref("Task", "demo-task-0073"))
    assert "owner" not in untouched

    routed = await clinic.data(ROUTE, {"id": "demo-task-0025"})
    owner = routed["routeTask"]["ownerReference"]["reference"]
    # Both cardiologists are licensed in Massachusetts; availability and load pick one.
    assert owner in {"Practitioner/demo-prac-02", "Practitioner/demo-prac-10"}
    stored: dict[str, Any] = await clinic.fhir.read(Ref("Task", "demo-task-0025"))
    assert stored["owner"]["reference"] == owner
