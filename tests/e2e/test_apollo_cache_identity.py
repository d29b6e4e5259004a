"""Apollo Client 4's normalized cache against a running gateway: a ServiceRequest and an
Observation with the same FHIR id, both the focus of a Task, stay two cache entries."""

from __future__ import annotations

from typing import Any

import httpx2

from tests.node_clients import run_client
from tests.serve import gateway_process

SERVICE_REQUEST = {
    "resourceType": "ServiceRequest",
    "id": "x",
    "status": "active",
    "intent": "order",
    "subject": {"reference": "Patient/pt1"},
}
OBSERVATION = {
    "resourceType": "Observation",
    "id": "x",
    "status": "final",
    "code": {"text": "HbA1c"},
    "subject": {"reference": "Patient/pt1"},
    "effectiveDateTime": "2026-11-02T08:30:00Z",
}


def focused_task(task_id: str, focus: str) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "id": task_id,
        "status": "ready",
        "intent": "order",
        "for": {"reference": "Patient/pt1"},
        "focus": {"reference": focus},
    }


def test_same_id_resources_of_two_types_stay_apart_in_apollo_cache() -> None:
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "pt1"},
        SERVICE_REQUEST,
        OBSERVATION,
        focused_task("t-order", "ServiceRequest/x"),
        focused_task("t-result", "Observation/x"),
    ]
    with gateway_process({}) as url:
        for resource in resources:
            stored = httpx2.put(
                f"{url}/fhir/R4/{resource['resourceType']}/{resource['id']}",
                json=resource,
                timeout=10.0,
            )
            assert stored.status_code in (200, 201), stored.text
        report = run_client("apollo_identity.mjs", f"{url}/graphql")

    order = {"__typename": "ServiceRequest", "id": "x", "resourceType": "ServiceRequest"}
    result = {"__typename": "Observation", "id": "x", "resourceType": "Observation"}
    expected = {
        "order": {
            "__typename": "Task",
            "id": "t-order",
            "focus": {**order, "status": "active", "intent": "order"},
        },
        "result": {
            "__typename": "Task",
            "id": "t-result",
            "focus": {**result, "status": "final", "effectiveDateTime": "2026-11-02T08:30:00Z"},
        },
    }
    assert report["data"] == expected
    # Read back from the cache alone: each Task still finds its own focus.
    assert report["cached"] == expected
    cache = report["cache"]
    assert cache["Task:t-order"]["focus"] == {"__ref": "ServiceRequest:x"}
    assert cache["Task:t-result"]["focus"] == {"__ref": "Observation:x"}
    assert cache["ServiceRequest:x"] == {**order, "status": "active", "intent": "order"}
    assert cache["Observation:x"] == {
        **result,
        "status": "final",
        "effectiveDateTime": "2026-11-02T08:30:00Z",
    }
