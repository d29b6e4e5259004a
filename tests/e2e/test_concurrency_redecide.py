"""A claim or route that loses to an unrelated write (a note) is decided once more, not refused."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import httpx2

from gateway.fhir import Resource
from tests.conftest import Gateway
from tests.e2e.builders import practitioner, put_all, task
from tests.e2e.mutations import CLAIM, assert_error, outcome, stored

ROUTE = """
mutation ($id: ID!, $v: String) {
  routeTask(id: $id, expectedVersion: $v) { id owner { id } }
}
"""
Interloper = Callable[[Resource], Resource]


def _writes_task(request: httpx2.Request, task_id: str) -> bool:
    """Whether the request writes Task ``task_id``: a PUT, or a transaction holding it."""
    if request.method not in ("PUT", "POST") or not request.content:
        return False
    body = json.loads(request.content)
    resources = [e.get("resource", {}) for e in body.get("entry", [])] + [body]
    return any(r.get("resourceType") == "Task" and r.get("id") == task_id for r in resources)


def race_before_writes(
    gateway: Gateway, task_id: str, interlopers: list[Interloper]
) -> list[Resource]:
    """Before each of the gateway's next writes of the Task, another writer changes it first
    (one interloper per write), so the gateway's If-Match is stale by the time it arrives."""
    pending = list(interlopers)
    written: list[Resource] = []
    busy = False

    async def hook(request: httpx2.Request) -> None:
        nonlocal busy
        if busy or not pending or not _writes_task(request, task_id):
            return
        busy = True
        try:
            current = await stored(gateway, task_id)
            written.append(await gateway.fhir.update(pending.pop(0)(current)))
        finally:
            busy = False

    hooks: list[Callable[[httpx2.Request], Awaitable[None]]] = gateway.runtime.http.event_hooks[
        "request"
    ]
    hooks.append(hook)
    return written


def noting(text: str) -> Interloper:
    def add(task: Resource) -> Resource:
        return {**task, "note": [*task.get("note", []), {"text": text}]}

    return add


async def test_a_claim_that_lost_to_a_note_is_decided_again_and_wins(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [practitioner("p1"), task("t1")])
    interloped = race_before_writes(gateway, "t1", [noting("called the patient")])

    body = await gateway.gql(CLAIM, {"id": "t1", "owner": {"reference": "Practitioner/p1"}})

    assert outcome(body) == "ok"
    saved = await stored(gateway, "t1")
    assert saved["owner"] == {"reference": "Practitioner/p1"}
    assert [n["text"] for n in saved["note"]] == ["called the patient"]
    assert body["data"]["claimTask"]["versionId"] == saved["meta"]["versionId"]
    assert len(interloped) == 1


async def test_a_claim_that_loses_twice_is_a_version_conflict(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [practitioner("p1"), task("t1")])
    race_before_writes(gateway, "t1", [noting("first"), noting("second")])

    error = await gateway.error(CLAIM, {"id": "t1", "owner": {"reference": "Practitioner/p1"}})

    saved = await stored(gateway, "t1")
    assert_error(error, "VERSION_CONFLICT", currentVersion=saved["meta"]["versionId"])
    assert "owner" not in saved
    assert [n["text"] for n in saved["note"]] == ["first", "second"]


async def test_a_claim_that_lost_to_another_claim_is_already_claimed(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [practitioner("p1"), practitioner("ada"), task("t1")])

    def ada_claims(task: Resource) -> Resource:
        return {**task, "owner": {"reference": "Practitioner/ada"}}

    race_before_writes(gateway, "t1", [ada_claims])

    error = await gateway.error(CLAIM, {"id": "t1", "owner": {"reference": "Practitioner/p1"}})

    assert_error(error, "ALREADY_CLAIMED", currentOwner="Practitioner/ada")
    assert (await stored(gateway, "t1"))["owner"] == {"reference": "Practitioner/ada"}


async def test_a_claim_that_lost_to_a_cancellation_is_task_closed(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [practitioner("p1"), task("t1")])

    def cancel(task: Resource) -> Resource:
        return {**task, "status": "cancelled"}

    race_before_writes(gateway, "t1", [cancel])

    error = await gateway.error(CLAIM, {"id": "t1", "owner": {"reference": "Practitioner/p1"}})

    assert_error(error, "TASK_CLOSED", status="CANCELLED")
    saved = await stored(gateway, "t1")
    assert saved["status"] == "cancelled"
    assert "owner" not in saved


async def test_a_route_that_lost_to_a_note_is_decided_again_and_wins(routed: Gateway) -> None:
    race_before_writes(routed, "t-ny", [noting("called the patient")])

    data = await routed.data(ROUTE, {"id": "t-ny"})

    assert data["routeTask"]["owner"] == {"id": "bob"}
    saved = await stored(routed, "t-ny")
    assert saved["owner"] == {"reference": "Practitioner/bob"}
    assert [n["text"] for n in saved["note"]] == ["called the patient"]


async def test_a_route_that_loses_twice_is_a_version_conflict(routed: Gateway) -> None:
    race_before_writes(routed, "t-ny", [noting("first"), noting("second")])

    error = await routed.error(ROUTE, {"id": "t-ny"})

    saved = await stored(routed, "t-ny")
    assert_error(error, "VERSION_CONFLICT", currentVersion=saved["meta"]["versionId"])
    assert "owner" not in saved


async def test_a_route_with_an_expected_version_is_not_decided_again(routed: Gateway) -> None:
    version = (await stored(routed, "t-ny"))["meta"]["versionId"]
    race_before_writes(routed, "t-ny", [noting("called the patient")])

    error = await routed.error(ROUTE, {"id": "t-ny", "v": version})

    saved = await stored(routed, "t-ny")
    assert_error(error, "VERSION_CONFLICT", currentVersion=saved["meta"]["versionId"])
    assert "owner" not in saved
    assert [n["text"] for n in saved["note"]] == ["called the patient"]
