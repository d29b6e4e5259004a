"""Live updates in running gateways on an external FHIR server (the Medplum peer): the app
polls for changes other systems make, one replica at a time, and /readyz and /metrics tell."""

from __future__ import annotations

import contextlib
import time
from typing import Any

import httpx2
import pytest

from tests.changes.listening import DEADLINE_S, eventually, next_event
from tests.conftest import running_gateway, settings_for
from tests.node_clients import node_client, printed, wait_for_subscriptions
from tests.peer.medplum import reset
from tests.redis_server import RedisServer
from tests.serve import gateway_process

pytestmark = pytest.mark.medplum

TASK = {"resourceType": "Task", "status": "requested", "intent": "order"}


@pytest.fixture
def peer(medplum_base_url: str) -> str:
    reset(medplum_base_url)
    return medplum_base_url


async def test_a_task_written_straight_to_the_server_reaches_the_gateways_hub(
    peer: str, redis_server: RedisServer
) -> None:
    settings = settings_for("medplum", peer, redis_url=redis_server.url, changes_poll_interval=0.2)
    async with running_gateway(settings, "medplum") as gateway:

        async def polling() -> bool:
            return bool((await gateway.client.get("/readyz")).json().get("poller") == "active")

        async with gateway.runtime.changes.subscribe() as changes:
            await eventually(polling)
            async with httpx2.AsyncClient(base_url=peer) as other_system:
                written = (await other_system.post("Task", json=TASK)).json()
            change = await next_event(changes)
        assert change.key == (written["id"], written["meta"]["versionId"], "UPDATED")
        ready = await gateway.client.get("/readyz")
        assert (ready.status_code, ready.json()) == (
            200,
            {"status": "ready", "poller": "active", "redis": "up"},
        )
        metrics = (await gateway.client.get("/metrics")).text
        assert 'gateway_changes_polls_total{outcome="changes"} 1.0' in metrics


@pytest.mark.parametrize(
    ("setting", "reason", "more"),
    [
        (
            {"fhir_auth": "passthrough"},
            "GATEWAY_FHIR_AUTH=passthrough: no FHIR credentials of its own",
            {"fhirCredentials": "per-caller"},
        ),
        ({"changes_poll_interval": 0}, "GATEWAY_CHANGES_POLL_INTERVAL=0", {}),
    ],
)
async def test_polling_off_is_named_in_readyz(
    peer: str, setting: dict[str, Any], reason: str, more: dict[str, str]
) -> None:
    settings = settings_for("medplum", peer, **{"changes_poll_interval": 2.0, **setting})
    async with running_gateway(settings, "medplum") as gateway:
        ready = await gateway.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "poller": "off", "pollerReason": reason, **more}


def on_peer(peer: str, poll_interval: str, redis: RedisServer | None = None) -> dict[str, str]:
    """Settings of a gateway process on the Medplum peer, with Redis when given."""
    settings = {
        "GATEWAY_FHIR_BASE_URL": peer,
        "GATEWAY_FHIR_SERVER": "medplum",
        "GATEWAY_CHANGES_POLL_INTERVAL": poll_interval,
    }
    return settings if redis is None else {**settings, "GATEWAY_REDIS_URL": redis.url}


def poller_state(url: str) -> str:
    state: str = httpx2.get(f"{url}/readyz", timeout=10.0).json()["poller"]
    return state


def wait_for_state(url: str, state: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while poller_state(url) != state:
        if time.monotonic() > deadline:
            pytest.fail(f"the poller of {url} is not {state} within {DEADLINE_S} s")
        time.sleep(0.1)


def test_two_gateway_processes_poll_one_at_a_time_and_hand_over(
    peer: str, redis_server: RedisServer
) -> None:
    settings = on_peer(peer, "0.2", redis_server)
    with contextlib.ExitStack() as first_process:
        first = first_process.enter_context(gateway_process(settings))
        wait_for_state(first, "active")
        with gateway_process(settings) as second:
            wait_for_state(second, "standby")
            assert poller_state(first) == "active"
            first_process.close()  # the holder stops; the other takes over
            wait_for_state(second, "active")


CHANGED = "subscription { taskChanged { kind taskId versionId task { status } } }"


def _ws(url: str) -> str:
    return url.replace("http://", "ws://") + "/graphql"


def _events(client_lines: list[dict[str, Any]]) -> list[tuple[str, str, str, Any]]:
    changes = [line["payload"]["data"]["taskChanged"] for line in client_lines if "payload" in line]
    return [(c["taskId"], c["versionId"], c["kind"], c["task"]) for c in changes]


def test_a_mutation_through_one_replica_reaches_a_subscriber_on_another_through_redis(
    peer: str, redis_server: RedisServer
) -> None:
    # Polling off: only the Redis fan-out can carry the change from one process to the other.
    settings = on_peer(peer, "0", redis_server)
    create = "mutation { createTask(input: {status: READY}) { id versionId } }"
    with (
        gateway_process(settings) as listening,
        gateway_process(settings) as writing,
        node_client("subscribe_ws.mjs", _ws(listening), CHANGED, "null", "1") as client,
    ):
        wait_for_subscriptions(listening, 1)
        body = httpx2.post(f"{writing}/graphql", json={"query": create}, timeout=30.0).json()
        assert "errors" not in body, body
        created = body["data"]["createTask"]
        lines = printed(client)
    assert _events(lines) == [(created["id"], created["versionId"], "CREATED", {"status": "READY"})]


def test_a_task_written_straight_to_the_server_reaches_a_subscriber(peer: str) -> None:
    settings = on_peer(peer, "0.2")
    with (
        gateway_process(settings) as url,
        node_client("subscribe_ws.mjs", _ws(url), CHANGED, "null", "1") as client,
    ):
        wait_for_subscriptions(url, 1)
        wait_for_state(url, "active")
        written = httpx2.post(f"{peer}/Task", json=TASK, timeout=30.0).json()
        lines = printed(client)
    # A search cannot tell a new Task from a changed one (README: Live updates).
    assert _events(lines) == [
        (written["id"], written["meta"]["versionId"], "UPDATED", {"status": "REQUESTED"})
    ]
