"""Subscriptions over graphql-transport-ws on a served gateway: what is delivered (filters before
or after a change, the work queue, the patient compartment), the caps, the pings and the close
codes of behaviour.md."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx2
from websockets.exceptions import InvalidStatus

from gateway.changes import TaskChangeEvent
from tests.conftest import settings_for
from tests.e2e.live_server import DEADLINE_S, LiveGateway, Socket, serving, serving_secured, socket
from tests.oidc_provider import OidcProvider

CHANGED = """
subscription($filter: TaskChangeFilter) {
  taskChanged(filter: $filter) { kind taskId versionId task { id status } }
}"""
QUEUE = """
subscription($practitioner: ID) {
  taskQueueChanged(practitioner: $practitioner) {
    kind taskId inQueue task { id ownerReference { reference } }
  }
}"""
NURSE = {"coding": [{"system": "http://clinic.example/roles", "code": "nurse"}]}
DOCTOR = {"coding": [{"system": "http://clinic.example/roles", "code": "doctor"}]}


def _task(task_id: str, status: str, **elements: Any) -> dict[str, Any]:
    return {"resourceType": "Task", "id": task_id, "status": status, "intent": "order", **elements}


async def _put(gateway: LiveGateway, resource: dict[str, Any]) -> None:
    """A write straight through the embedded store's FHIR API."""
    url = f"{gateway.http}/fhir/R4/{resource['resourceType']}/{resource['id']}"
    async with httpx2.AsyncClient(timeout=DEADLINE_S) as client:
        response = await client.put(url, json=resource)
    assert response.status_code in (200, 201), response.text


async def _events(ws: Socket, count: int) -> list[dict[str, Any]]:
    events = []
    for _ in range(count):
        message = await ws.receive()
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        events.append(next(iter(message["payload"]["data"].values())))
    return events


async def test_task_changed_delivers_a_change_that_matches_before_or_after_it() -> None:
    async with serving(settings_for("embedded")) as gateway, socket(gateway) as ws:
        assert (await ws.init())["type"] == "connection_ack"
        await ws.subscribe("1", CHANGED, {"filter": {"status": ["READY"]}})
        await gateway.subscribers(1)

        await _put(gateway, _task("a", "ready"))  # matches after
        await _put(gateway, _task("a", "in-progress"))  # matched before
        await _put(gateway, _task("a", "on-hold"))  # neither: not delivered
        await _put(gateway, _task("b", "requested"))  # neither
        await _put(gateway, _task("c", "ready"))

        events = await _events(ws, 3)
    assert [(e["taskId"], e["versionId"], e["kind"], e["task"]["status"]) for e in events] == [
        ("a", "1", "CREATED", "READY"),
        ("a", "2", "UPDATED", "IN_PROGRESS"),
        ("c", "1", "CREATED", "READY"),
    ]


async def test_task_queue_changed_tells_when_a_task_enters_and_leaves_the_queue() -> None:
    async with serving(settings_for("embedded")) as gateway, socket(gateway) as ws:
        await _put(gateway, {"resourceType": "Practitioner", "id": "ada"})
        await _put(gateway, {"resourceType": "Practitioner", "id": "bob"})
        role = {"resourceType": "PractitionerRole", "id": "ada-nurse", "active": True}
        await _put(
            gateway, {**role, "practitioner": {"reference": "Practitioner/ada"}, "code": [NURSE]}
        )
        await ws.init()
        await ws.subscribe("q", QUEUE, {"practitioner": "ada"})
        await gateway.subscribers(1)

        await _put(gateway, _task("q1", "ready", performerType=[NURSE]))  # enters
        await _put(gateway, _task("q2", "ready", performerType=[DOCTOR]))  # not ada's
        claimed = {"owner": {"reference": "Practitioner/bob"}, "performerType": [NURSE]}
        await _put(gateway, _task("q1", "ready", **claimed))  # claimed by bob: leaves
        await _put(gateway, _task("q1", "in-progress", **claimed))  # outside before and after
        await _put(gateway, _task("q3", "requested", performerType=[NURSE]))  # enters

        events = await _events(ws, 3)
    assert [(e["taskId"], e["inQueue"]) for e in events] == [
        ("q1", True),
        ("q1", False),
        ("q3", True),
    ]
    assert events[1]["task"]["ownerReference"] == {"reference": "Practitioner/bob"}


async def test_a_connection_holds_at_most_the_configured_subscriptions() -> None:
    settings = settings_for("embedded", max_subscriptions_per_connection=2)
    async with serving(settings) as gateway, socket(gateway) as ws:
        await ws.init()
        for id in ("1", "2", "3"):
            await ws.subscribe(id, CHANGED)
        refused = await ws.receive()
        await gateway.subscribers(2)
    assert refused["type"] == "error"
    assert refused["id"] == "3"
    assert refused["payload"][0]["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": 2,
        "value": 3,
    }


async def test_query_limits_apply_to_subscription_documents() -> None:
    deep = "subscription { taskChanged { task { owner { ... on Practitioner { id } } } } }"
    async with serving(settings_for("embedded", max_depth=2)) as gateway, socket(gateway) as ws:
        await ws.init()
        await ws.subscribe("deep", deep)
        refused = await ws.receive()
    assert refused["type"] == "error"
    assert refused["payload"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_the_gateway_pings_to_keep_the_connection_alive() -> None:
    settings = settings_for("embedded", websocket_ping_interval=0.2)
    async with serving(settings) as gateway, socket(gateway) as ws:
        await ws.init()
        assert (await ws.receive(skip_pings=False))["type"] == "ping"


async def test_a_full_process_closes_a_new_connection_with_1013() -> None:
    async with serving(settings_for("embedded", max_connections=1)) as gateway:
        async with socket(gateway) as first:
            assert (await first.init())["type"] == "connection_ack"
            async with socket(gateway) as second:
                assert await second.closed() == 1013
        async with socket(gateway) as later:  # the first one left: room again
            assert (await later.init())["type"] == "connection_ack"


async def test_a_subscriber_that_falls_behind_is_closed_with_1013() -> None:
    async with serving(settings_for("embedded")) as gateway, socket(gateway) as ws:
        await ws.init()
        await ws.subscribe("1", CHANGED)
        await gateway.subscribers(1)
        now = datetime.now(UTC)
        # More changes in one go than a subscriber's buffer holds.
        for version in range(1, 1000):
            task = _task("burst", "ready")
            gateway.runtime.changes.publish(
                TaskChangeEvent("burst", str(version), "UPDATED", task, now)
            )
        assert await ws.closed() == 1013
        await gateway.subscribers(0)


async def test_websocket_origins_are_those_allowed_for_cors() -> None:
    settings = settings_for("embedded", cors_origins="https://app.clinic.example")
    async with serving(settings) as gateway:
        async with socket(gateway, origin="https://app.clinic.example") as ws:
            assert (await ws.init())["type"] == "connection_ack"
        try:
            async with socket(gateway, origin="https://evil.example"):
                refused = None
        except InvalidStatus as exc:
            refused = exc.response.status_code
    assert refused == 403


# --- authentication and the compartment (GATEWAY_AUTH_MODE=jwt) ------------------------------


async def test_a_missing_or_invalid_token_closes_the_connection_with_4403(
    oidc_provider: OidcProvider,
) -> None:
    async with serving_secured(oidc_provider) as gateway:
        async with socket(gateway) as anonymous:
            await anonymous.send({"type": "connection_init", "payload": {}})
            assert await anonymous.closed() == 4403
        async with socket(gateway) as forged:
            await forged.send(
                {"type": "connection_init", "payload": {"Authorization": "Bearer x.y.z"}}
            )
            assert await forged.closed() == 4403
        async with socket(gateway, headers={"Authorization": "Bearer x.y.z"}) as by_header:
            assert await by_header.closed() == 4403
        token = oidc_provider.mint(oidc_provider.claims())
        async with socket(gateway, headers={"Authorization": f"Bearer {token}"}) as upgraded:
            assert (await upgraded.init())["type"] == "connection_ack"


async def test_a_token_that_expires_during_a_subscription_closes_it_with_4403(
    oidc_provider: OidcProvider,
) -> None:
    token = oidc_provider.mint(oidc_provider.claims(exp=int(time.time()) + 2))
    async with serving_secured(oidc_provider) as gateway, socket(gateway) as ws:
        assert (await ws.init({"Authorization": f"Bearer {token}"}))["type"] == "connection_ack"
        await ws.subscribe("1", CHANGED)
        await gateway.subscribers(1)
        assert await ws.closed() == 4403


async def test_a_token_that_expires_closes_a_connection_with_no_subscription_with_4403(
    oidc_provider: OidcProvider,
) -> None:
    # Queries and mutations travel on the socket too: an expired token must not keep them going.
    token = oidc_provider.mint(oidc_provider.claims(exp=int(time.time()) + 2))
    async with serving_secured(oidc_provider) as gateway, socket(gateway) as ws:
        assert (await ws.init({"Authorization": f"Bearer {token}"}))["type"] == "connection_ack"
        assert await ws.closed() == 4403


async def test_each_operation_on_a_connection_reads_the_fhir_server_afresh() -> None:
    query = "query($id: ID!) { task(id: $id) { status versionId } }"
    async with serving(settings_for("embedded")) as gateway, socket(gateway) as ws:
        await ws.init()
        await _put(gateway, _task("a", "ready"))
        await ws.subscribe("1", query, {"id": "a"})
        first = await ws.receive()
        assert (await ws.receive())["type"] == "complete"
        await _put(gateway, _task("a", "in-progress"))
        await ws.subscribe("2", query, {"id": "a"})
        second = await ws.receive()
    assert first["payload"]["data"]["task"] == {"status": "READY", "versionId": "1"}
    assert second["payload"]["data"]["task"] == {"status": "IN_PROGRESS", "versionId": "2"}


async def test_a_subscription_needs_the_s_scope(oidc_provider: OidcProvider) -> None:
    token = oidc_provider.mint(oidc_provider.claims(scope="openid user/Task.r"))
    async with serving_secured(oidc_provider) as gateway, socket(gateway) as ws:
        await ws.init({"Authorization": f"Bearer {token}"})
        await ws.subscribe("1", CHANGED)
        message = await ws.receive()
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert errors[0]["extensions"]["reason"] == "scope"


async def test_following_a_queue_needs_the_scopes_reading_it_needs(
    oidc_provider: OidcProvider,
) -> None:
    # The practitioner's roles are searched when the subscription starts, as taskQueue does.
    narrow = oidc_provider.mint(oidc_provider.claims())
    async with serving_secured(oidc_provider) as gateway, socket(gateway) as ws:
        await ws.init({"Authorization": f"Bearer {narrow}"})
        await ws.subscribe("1", QUEUE, {"practitioner": "ada"})
        message = await ws.receive()
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"] == {
        "code": "FORBIDDEN",
        "reason": "scope",
        "scope": "user/PractitionerRole.s",
    }


async def test_a_patient_token_never_receives_another_patients_task(
    oidc_provider: OidcProvider,
) -> None:
    claims = oidc_provider.claims(
        fhirUser="Patient/pt1",
        patient="pt1",
        scope="openid fhirUser launch/patient patient/Task.rs",
    )
    token = oidc_provider.mint(claims)
    mine, theirs = {"for": {"reference": "Patient/pt1"}}, {"for": {"reference": "Patient/pt2"}}
    async with serving_secured(oidc_provider) as gateway, socket(gateway) as ws:
        store = gateway.runtime.store
        assert store is not None

        async def write(task: dict[str, Any]) -> None:
            await asyncio.to_thread(store.update, "Task", task["id"], task)

        await ws.init({"Authorization": f"Bearer {token}"})
        await ws.subscribe("1", CHANGED)
        await gateway.subscribers(1)
        await write(_task("t2", "ready", **theirs))  # never seen
        await write(_task("t1", "ready", **mine))
        await write(_task("t1", "ready", **theirs))  # moved away: once, with task null
        await write(_task("t1", "in-progress", **theirs))  # no longer the patient's: nothing
        await write(_task("t2", "in-progress", **theirs))
        await write(_task("t3", "ready", **mine))
        events = await _events(ws, 3)
    assert [(e["taskId"], e["versionId"], e["task"]) for e in events] == [
        ("t1", "1", {"id": "t1", "status": "READY"}),
        ("t1", "2", None),
        ("t3", "1", {"id": "t3", "status": "READY"}),
    ]
