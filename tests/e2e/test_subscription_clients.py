"""Real subscription clients against gateway processes: `graphql-ws` over WebSocket, Apollo
Client's multipart subscriptions and `graphql-sse` over HTTP; every kind of write to the
embedded store reaches them once, in order, also a write made by another process."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.node_clients import node_client, printed, wait_for_subscriptions
from tests.serve import PROCESSES, STOP_TIMEOUT, gateway_process

CHANGED = "subscription { taskChanged { kind taskId versionId task { status } } }"
CREATE = "mutation { createTask(input: {status: REQUESTED}) { id versionId } }"


def _create(url: str) -> dict[str, Any]:
    body = httpx2.post(f"{url}/graphql", json={"query": CREATE}, timeout=30.0).json()
    assert "errors" not in body, body
    created: dict[str, Any] = body["data"]["createTask"]
    return created


def _ws(url: str) -> str:
    return url.replace("http://", "ws://") + "/graphql"


@pytest.fixture
def gateway_url() -> Iterator[str]:
    with gateway_process({}) as url:
        yield url


def test_graphql_ws_receives_every_kind_of_write_once_in_order(gateway_url: str) -> None:
    url = gateway_url
    with node_client("subscribe_ws.mjs", _ws(url), CHANGED, "null", "5") as client:
        wait_for_subscriptions(url, 1)
        created = _create(url)  # a mutation
        task = {"resourceType": "Task", "id": "raw", "status": "ready", "intent": "order"}
        assert httpx2.put(f"{url}/fhir/R4/Task/raw", json=task).status_code == 201
        bundle = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "resource": {**task, "status": "in-progress"},
                    "request": {"method": "PUT", "url": "Task/raw"},
                },
                {
                    "resource": {"resourceType": "Patient", "id": "p"},
                    "request": {"method": "PUT", "url": "Patient/p"},
                },
            ],
        }
        assert httpx2.post(f"{url}/fhir/R4/", json=bundle).status_code == 200
        assert httpx2.put(f"{url}/fhir/R4/Task/raw", json=task).status_code == 200  # new version
        assert httpx2.delete(f"{url}/fhir/R4/Task/raw").status_code == 204
        lines = printed(client)
    events = [line["payload"]["data"]["taskChanged"] for line in lines if "payload" in line]
    assert [(e["taskId"], e["versionId"], e["kind"], e["task"]) for e in events] == [
        (created["id"], "1", "CREATED", {"status": "REQUESTED"}),
        ("raw", "1", "CREATED", {"status": "READY"}),
        ("raw", "2", "UPDATED", {"status": "IN_PROGRESS"}),
        ("raw", "3", "UPDATED", {"status": "READY"}),
        ("raw", "4", "DELETED", None),
    ]


def test_a_write_through_one_process_reaches_a_subscriber_on_the_other(tmp_path: Path) -> None:
    settings = {"GATEWAY_STORE_PATH": str(tmp_path / "fhir.sqlite3")}
    with (
        gateway_process(settings) as listening,
        gateway_process(settings) as writing,
        node_client("subscribe_ws.mjs", _ws(listening), CHANGED, "null", "1") as client,
    ):
        wait_for_subscriptions(listening, 1)
        created = _create(writing)
        lines = printed(client)
    events = [line["payload"]["data"]["taskChanged"] for line in lines if "payload" in line]
    assert events == [
        {
            "kind": "CREATED",
            "taskId": created["id"],
            "versionId": "1",
            "task": {"status": "REQUESTED"},
        }
    ]


def test_apollo_client_receives_changes_as_multipart_subscriptions(gateway_url: str) -> None:
    url = gateway_url
    query = "subscription Changes { taskChanged { kind taskId versionId } }"
    with node_client("apollo_subscribe.mjs", f"{url}/graphql", query, "1") as client:
        wait_for_subscriptions(url, 1)
        created = _create(url)
        lines = printed(client)
    assert lines == [
        {
            "data": {
                "taskChanged": {
                    "__typename": "TaskChange",
                    "kind": "CREATED",
                    "taskId": created["id"],
                    "versionId": "1",
                }
            },
            "error": None,
        }
    ]


def test_graphql_sse_receives_changes(gateway_url: str) -> None:
    url = gateway_url
    query = "subscription { taskChanged { kind taskId } }"
    with node_client("subscribe_sse.mjs", f"{url}/graphql", query, "1") as client:
        wait_for_subscriptions(url, 1)
        created = _create(url)
        lines = printed(client)
    assert lines == [
        {"payload": {"data": {"taskChanged": {"kind": "CREATED", "taskId": created["id"]}}}}
    ]


def test_a_stopping_process_ends_while_an_http_subscription_is_open(gateway_url: str) -> None:
    # An HTTP subscription never ends by itself: the process cuts it after its grace period,
    # then shuts down cleanly (store closed, poller lock given back) instead of hanging.
    accept = 'multipart/mixed;subscriptionSpec="1.0",application/json'
    with httpx2.stream(
        "POST",
        f"{gateway_url}/graphql",
        json={"query": CHANGED},
        headers={"Accept": accept},
        timeout=30.0,
    ) as response:
        assert response.headers["content-type"].startswith("multipart/mixed")
        wait_for_subscriptions(gateway_url, 1)
        process = PROCESSES[gateway_url]
        process.terminate()
        # uvicorn raises the signal again once it has shut down.
        assert process.wait(timeout=STOP_TIMEOUT) == -signal.SIGTERM
