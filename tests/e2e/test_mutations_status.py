"""updateTaskStatus on both servers: transitions, the statusReason rule, times, versions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Gateway
from tests.e2e.builders import put_all, task
from tests.e2e.mutations import TASK_FIELDS, assert_error, assert_refused_unchanged, stored

SET_STATUS = (
    "mutation($id: ID!, $status: TaskStatus!, $reason: CodeableConceptInput, $v: String) {"
    " updateTaskStatus(id: $id, status: $status, statusReason: $reason, expectedVersion: $v)"
    " { ...T } }" + TASK_FIELDS
)
SET_BUSINESS_STATUS = (
    "mutation($id: ID!, $status: TaskStatus!, $business: CodeableConceptInput) {"
    " updateTaskStatus(id: $id, status: $status, businessStatus: $business) { ...T } }"
    + TASK_FIELDS
)
KEEP_BUSINESS_STATUS = (
    "mutation($id: ID!, $status: TaskStatus!) {"
    " updateTaskStatus(id: $id, status: $status) { ...T } }" + TASK_FIELDS
)
WAITING = {"coding": [{"system": "http://example.org/reason", "code": "waiting-for-lab"}]}
MOVED = {"text": "patient moved away"}


async def set_status(
    gateway: Gateway, task_id: str, status: str, **variables: Any
) -> dict[str, Any]:
    data = await gateway.data(SET_STATUS, {"id": task_id, "status": status, **variables})
    result: dict[str, Any] = data["updateTaskStatus"]
    return result


async def test_work_through_to_completion_sets_the_execution_period(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1")])

    started = await set_status(gateway, "t1", "IN_PROGRESS")
    saved = await stored(gateway, "t1")
    assert started["status"] == "IN_PROGRESS"
    assert saved["status"] == "in-progress"
    assert saved["executionPeriod"] == {"start": saved["lastModified"]}
    assert saved["lastModified"] >= saved["authoredOn"]

    done = await set_status(gateway, "t1", "COMPLETED")
    final = await stored(gateway, "t1")
    assert done["executionPeriod"] == {"start": saved["lastModified"], "end": final["lastModified"]}
    assert final["status"] == "completed"
    assert final["executionPeriod"]["start"] == saved["executionPeriod"]["start"]
    assert final["executionPeriod"]["end"] >= final["executionPeriod"]["start"]
    assert final["authoredOn"] == saved["authoredOn"]


@pytest.mark.parametrize("status", ["ON_HOLD", "CANCELLED"])
async def test_status_reason_is_required(gateway: Gateway, status: str) -> None:
    await put_all(gateway.fhir, [task("t1", status="in-progress")])
    before = await stored(gateway, "t1")

    with gateway.counting():
        error = await gateway.error(SET_STATUS, {"id": "t1", "status": status})
        empty = await gateway.error(SET_STATUS, {"id": "t1", "status": status, "reason": {}})
    assert_error(error, "STATUS_REASON_REQUIRED", status=status)
    assert_error(empty, "STATUS_REASON_REQUIRED", status=status)
    assert gateway.writes == []
    assert await stored(gateway, "t1") == before

    changed = await set_status(gateway, "t1", status, reason=WAITING)
    assert changed["statusReason"]["coding"] == WAITING["coding"]
    assert (await stored(gateway, "t1"))["statusReason"] == WAITING


async def test_an_old_reason_does_not_carry_over(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1", status="in-progress")])
    await set_status(gateway, "t1", "ON_HOLD", reason=WAITING)

    error = await gateway.error(SET_STATUS, {"id": "t1", "status": "CANCELLED"})
    assert_error(error, "STATUS_REASON_REQUIRED", status="CANCELLED")
    assert (await stored(gateway, "t1"))["status"] == "on-hold"

    await set_status(gateway, "t1", "CANCELLED", reason=MOVED)
    saved = await stored(gateway, "t1")
    assert saved["status"] == "cancelled"
    assert saved["statusReason"] == MOVED
    assert saved["executionPeriod"]["end"] == saved["lastModified"]


async def test_resuming_drops_the_hold_reason(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1", status="in-progress")])
    await set_status(gateway, "t1", "ON_HOLD", reason=WAITING)

    resumed = await set_status(gateway, "t1", "IN_PROGRESS")

    assert resumed["statusReason"] is None
    saved = await stored(gateway, "t1")
    assert saved["status"] == "in-progress"
    assert "statusReason" not in saved


async def test_a_same_status_update_may_replace_the_reason(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1", status="on-hold", statusReason=WAITING)])
    await set_status(gateway, "t1", "ON_HOLD")
    assert (await stored(gateway, "t1"))["statusReason"] == WAITING
    await set_status(gateway, "t1", "ON_HOLD", reason=MOVED)
    assert (await stored(gateway, "t1"))["statusReason"] == MOVED


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("completed", "IN_PROGRESS", ["ENTERED_IN_ERROR"]),
        ("accepted", "READY", ["ACCEPTED", "CANCELLED", "IN_PROGRESS", "ENTERED_IN_ERROR"]),
        ("entered-in-error", "READY", []),
    ],
)
async def test_invalid_transition(
    gateway: Gateway, start: str, target: str, allowed: list[str]
) -> None:
    await put_all(gateway.fhir, [task("t1", status=start)])
    before = await stored(gateway, "t1")

    with gateway.counting():
        error = await gateway.error(SET_STATUS, {"id": "t1", "status": target})

    assert_error(
        error,
        "INVALID_STATUS_TRANSITION",
        **{"from": start.upper().replace("-", "_"), "to": target, "allowed": allowed},
    )
    assert gateway.writes == []
    assert await stored(gateway, "t1") == before


async def test_transition_is_checked_before_the_reason(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1", status="accepted")])
    error = await gateway.error(SET_STATUS, {"id": "t1", "status": "ON_HOLD"})
    assert_error(error, "INVALID_STATUS_TRANSITION", to="ON_HOLD")


async def test_business_status_set_kept_and_cleared(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1")])
    variables: dict[str, Any] = {"id": "t1", "status": "IN_PROGRESS", "business": {"text": "a"}}
    await gateway.data(SET_BUSINESS_STATUS, variables)
    assert (await stored(gateway, "t1"))["businessStatus"] == {"text": "a"}

    await gateway.data(KEEP_BUSINESS_STATUS, {"id": "t1", "status": "IN_PROGRESS"})
    assert (await stored(gateway, "t1"))["businessStatus"] == {"text": "a"}

    await gateway.data(SET_BUSINESS_STATUS, {"id": "t1", "status": "COMPLETED", "business": None})
    saved = await stored(gateway, "t1")
    assert saved["status"] == "completed" and "businessStatus" not in saved


async def test_expected_version(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1")])
    first = (await stored(gateway, "t1"))["meta"]["versionId"]
    started = await set_status(gateway, "t1", "IN_PROGRESS", v=first)
    current = await stored(gateway, "t1")
    assert started["versionId"] == current["meta"]["versionId"]

    with gateway.counting():
        error = await gateway.error(SET_STATUS, {"id": "t1", "status": "COMPLETED", "v": first})

    assert_error(error, "VERSION_CONFLICT", currentVersion=current["meta"]["versionId"])
    assert gateway.writes == []
    assert await stored(gateway, "t1") == current


async def test_last_modified_never_precedes_authored_on(gateway: Gateway) -> None:
    # A Task authored "in the future" (another server's clock ran ahead).
    await put_all(gateway.fhir, [task("t1", authoredOn="2999-01-01T00:00:00Z")])
    await set_status(gateway, "t1", "IN_PROGRESS")
    saved = await stored(gateway, "t1")
    assert saved["lastModified"] == "2999-01-01T00:00:00Z"
    assert saved["executionPeriod"] == {"start": "2999-01-01T00:00:00Z"}


@pytest.mark.parametrize(
    ("variables", "code", "argument"),
    [
        ({"id": "missing", "status": "READY"}, "NOT_FOUND", None),
        ({"id": "", "status": "READY"}, "BAD_USER_INPUT", "id"),
        ({"id": "t1", "status": "READY", "v": "../1"}, "BAD_USER_INPUT", "expectedVersion"),
        (
            {"id": "t1", "status": "ON_HOLD", "reason": {"coding": [{"code": ""}]}},
            "BAD_USER_INPUT",
            "statusReason.coding.0.code",
        ),
        ({"id": "t1", "status": "PAUSED"}, "BAD_USER_INPUT", "status"),
    ],
)
async def test_update_task_status_errors(
    gateway: Gateway, variables: dict[str, Any], code: str, argument: str | None
) -> None:
    await put_all(gateway.fhir, [task("t1")])
    await assert_refused_unchanged(gateway, SET_STATUS, variables, code, argument)
