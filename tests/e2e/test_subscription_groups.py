"""Subscribers of one process that share an execution of a change (same document, variables,
visibility and caller) each still receive exactly their own payload; the change is read once."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx2

from tests.conftest import settings_for
from tests.e2e.live_server import DEADLINE_S, LiveGateway, Socket, serving, serving_secured, socket
from tests.oidc_provider import OidcProvider

WITH_SUBTASKS = """
subscription { taskChanged { taskId versionId task { id subtasks { id } } } }"""
MAYBE_TASK = """
subscription($full: Boolean!) {
  taskChanged { taskId task @include(if: $full) { id status } }
}"""
KIND_ONLY = "subscription { taskChanged { kind taskId } }"
VERSION_ONLY = "subscription { taskChanged { taskId versionId } }"
FOR_PT1 = {"for": {"reference": "Patient/pt1"}}
FOR_PT2 = {"for": {"reference": "Patient/pt2"}}
SEARCHES = re.compile(r'^gateway_fhir_requests_total\{operation="search",outcome="200"\} (\S+)$')


def _task(task_id: str, status: str, **elements: Any) -> dict[str, Any]:
    return {"resourceType": "Task", "id": task_id, "status": status, "intent": "order", **elements}


def _child(task_id: str, parent: str, **elements: Any) -> dict[str, Any]:
    return _task(task_id, "requested", partOf=[{"reference": f"Task/{parent}"}], **elements)


async def _write(gateway: LiveGateway, task: dict[str, Any]) -> None:
    """A write straight into the embedded store (published by its change feed)."""
    store = gateway.runtime.store
    assert store is not None
    await asyncio.to_thread(store.update, "Task", task["id"], task)


async def _next(ws: Socket) -> tuple[str, dict[str, Any]]:
    message = await ws.receive()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["id"], message["payload"]["data"]["taskChanged"]


async def _searches(gateway: LiveGateway) -> float:
    async with httpx2.AsyncClient(timeout=DEADLINE_S) as client:
        text = (await client.get(f"{gateway.http}/metrics")).text
    found = [float(m.group(1)) for m in map(SEARCHES.match, text.splitlines()) if m]
    return found[0] if found else 0.0


async def test_a_patient_never_gets_what_a_practitioner_with_the_same_document_got(
    oidc_provider: OidcProvider,
) -> None:
    practitioner = oidc_provider.mint(oidc_provider.claims())
    patient = oidc_provider.mint(
        oidc_provider.claims(
            sub="patient-1",
            fhirUser="Patient/pt1",
            patient="pt1",
            scope="openid fhirUser launch/patient patient/Task.rs",
        )
    )
    async with serving_secured(oidc_provider) as gateway:
        await _write(gateway, _child("c1", "p", **FOR_PT1))
        await _write(gateway, _child("c2", "p", **FOR_PT2))
        async with socket(gateway) as staff, socket(gateway) as portal:
            await staff.init({"Authorization": f"Bearer {practitioner}"})
            await portal.init({"Authorization": f"Bearer {patient}"})
            await staff.subscribe("1", WITH_SUBTASKS)
            await portal.subscribe("1", WITH_SUBTASKS)
            await gateway.subscribers(2)

            await _write(gateway, _task("p", "ready", **FOR_PT1))  # both may read it
            await _write(gateway, _task("p", "ready", **FOR_PT2))  # the patient's no more
            await _write(gateway, _task("q", "ready", **FOR_PT2))  # never the patient's
            await _write(gateway, _task("r", "ready", **FOR_PT1))
            staff_saw = [(await _next(staff))[1] for _ in range(4)]
            portal_saw = [(await _next(portal))[1] for _ in range(3)]

    children = [{"id": "c1"}, {"id": "c2"}]
    assert staff_saw == [
        {"taskId": "p", "versionId": "1", "task": {"id": "p", "subtasks": children}},
        {"taskId": "p", "versionId": "2", "task": {"id": "p", "subtasks": children}},
        {"taskId": "q", "versionId": "1", "task": {"id": "q", "subtasks": []}},
        {"taskId": "r", "versionId": "1", "task": {"id": "r", "subtasks": []}},
    ]
    assert portal_saw == [
        {"taskId": "p", "versionId": "1", "task": {"id": "p", "subtasks": [{"id": "c1"}]}},
        {"taskId": "p", "versionId": "2", "task": None},
        {"taskId": "r", "versionId": "1", "task": {"id": "r", "subtasks": []}},
    ]


async def test_subscriptions_with_other_variables_or_documents_get_their_own_payload() -> None:
    async with serving(settings_for("embedded")) as gateway, socket(gateway) as ws:
        await ws.init()
        await ws.subscribe("full", MAYBE_TASK, {"full": True})
        await ws.subscribe("bare", MAYBE_TASK, {"full": False})
        await ws.subscribe("kind", KIND_ONLY)
        await ws.subscribe("version", VERSION_ONLY)
        await ws.subscribe("full-again", MAYBE_TASK, {"full": True})
        await gateway.subscribers(5)

        await _write(gateway, _task("a", "ready"))
        received = dict([await _next(ws) for _ in range(5)])

    assert received == {
        "full": {"taskId": "a", "task": {"id": "a", "status": "READY"}},
        "bare": {"taskId": "a"},
        "kind": {"kind": "CREATED", "taskId": "a"},
        "version": {"taskId": "a", "versionId": "1"},
        "full-again": {"taskId": "a", "task": {"id": "a", "status": "READY"}},
    }


async def test_subscribers_with_the_same_document_and_caller_read_a_change_once() -> None:
    async with serving(settings_for("embedded")) as gateway:
        await _write(gateway, _child("c1", "p"))
        async with socket(gateway) as one, socket(gateway) as two, socket(gateway) as three:
            for ws in (one, two, three):
                await ws.init()
                await ws.subscribe("1", WITH_SUBTASKS)
            await gateway.subscribers(3)
            before = await _searches(gateway)

            await _write(gateway, _task("p", "ready"))
            received = [(await _next(ws))[1] for ws in (one, two, three)]
            searched = await _searches(gateway) - before

    expected = {"taskId": "p", "versionId": "1", "task": {"id": "p", "subtasks": [{"id": "c1"}]}}
    assert received == [expected] * 3
    assert searched == 1  # the children of p, searched for all three subscribers at once
