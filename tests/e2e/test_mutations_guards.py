"""Every Task change is guarded: closed Tasks, references to nothing, no one to act for."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.fhir import Ref, Resource
from tests.conftest import Gateway, running_gateway, settings_for
from tests.e2e.builders import put_all, referenced, task

FIELDS = "id status versionId ownerReference { reference } note { text }"


def mutation(variables: str, call: str) -> str:
    return f"mutation({variables}) {{ {call} {{ {FIELDS} }} }}"


CLAIM = mutation("$id: ID!, $owner: ReferenceInput", "claimTask(id: $id, owner: $owner)")
ASSIGN = mutation("$id: ID!, $owner: ReferenceInput", "assignTask(id: $id, owner: $owner)")
RELEASE = mutation("$id: ID!", "releaseTask(id: $id)")
UPDATE = mutation("$id: ID!, $input: UpdateTaskInput!", "updateTask(id: $id, input: $input)")
NOTE = mutation("$id: ID!", 'addTaskNote(id: $id, text: "called")')
STATUS = mutation("$id: ID!, $s: TaskStatus!", "updateTaskStatus(id: $id, status: $s)")
CREATE = mutation("$input: CreateTaskInput!", "createTask(input: $input)")
QUEUE = "query { taskQueue { nodes { id } } }"
ADA = {"reference": "Practitioner/ada"}
CLOSED = ["COMPLETED", "FAILED", "CANCELLED", "REJECTED", "ENTERED_IN_ERROR"]  # fmt: skip


def fhir_code(status: str) -> str:
    return status.lower().replace("_", "-")


async def stored(gateway: Gateway, task_id: str = "t1") -> Resource:
    return await gateway.fhir.read(Ref("Task", task_id))


async def refused(
    gateway: Gateway, document: str, variables: dict[str, Any], task_id: str = "t1"
) -> dict[str, Any]:
    """The first error of a mutation that must write nothing; Task ``task_id`` stays as it was."""
    before = await stored(gateway, task_id)
    with gateway.counting():
        error = await gateway.error(document, variables)
    assert gateway.writes == []
    assert await stored(gateway, task_id) == before
    return error


@pytest.mark.parametrize("status", CLOSED)
@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (CLAIM, {"owner": ADA}),
        (ASSIGN, {"owner": ADA}),
        (RELEASE, {}),
        (UPDATE, {"input": {"description": "late edit"}}),
    ],
    ids=["claim", "assign", "release", "update"],
)
async def test_changes_to_a_closed_task_are_task_closed(
    gateway: Gateway, status: str, document: str, variables: dict[str, Any]
) -> None:
    owned = task("t1", status=fhir_code(status), owner="Practitioner/ben")
    await put_all(gateway.fhir, [*referenced(), owned])
    error = await refused(gateway, document, {"id": "t1", **variables})
    assert error["extensions"] == {"code": "TASK_CLOSED", "status": status}
    assert error["path"] == [document.split("{ ")[1].split("(")[0]]


async def test_a_note_on_a_closed_task_is_kept_except_when_entered_in_error(
    gateway: Gateway,
) -> None:
    await put_all(
        gateway.fhir,
        [task("t1", status="completed"), task("t2", status="entered-in-error")],
    )
    noted = (await gateway.data(NOTE, {"id": "t1"}))["addTaskNote"]
    assert noted["note"] == [{"text": "called"}]
    assert (await stored(gateway))["note"][0]["text"] == "called"

    error = await refused(gateway, NOTE, {"id": "t2"}, task_id="t2")
    assert error["extensions"] == {"code": "TASK_CLOSED", "status": "ENTERED_IN_ERROR"}


async def test_a_closed_task_may_still_be_marked_entered_in_error(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1", status="completed")])
    data = await gateway.data(STATUS, {"id": "t1", "s": "ENTERED_IN_ERROR"})
    assert data["updateTaskStatus"]["status"] == "ENTERED_IN_ERROR"


@pytest.mark.parametrize(
    ("document", "variables", "argument"),
    [
        (CLAIM, {"owner": {"reference": "Practitioner/nobody"}}, "owner.reference"),
        (ASSIGN, {"owner": {"reference": "CareTeam/nobody"}}, "owner.reference"),
        (UPDATE, {"input": {"for": {"reference": "Patient/ghost"}}}, "input.for.reference"),
        (UPDATE, {"input": {"focus": {"reference": "ServiceRequest/x"}}}, "input.focus.reference"),
    ],
    ids=["claim", "assign", "update-for", "update-focus"],
)
async def test_a_reference_to_nothing_is_bad_input(
    gateway: Gateway, document: str, variables: dict[str, Any], argument: str
) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1")])
    error = await refused(gateway, document, {"id": "t1", **variables})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


@pytest.mark.parametrize("field", ["for", "focus", "owner", "requester"])
async def test_create_with_a_reference_to_nothing_creates_nothing(
    gateway: Gateway, field: str
) -> None:
    await put_all(gateway.fhir, referenced())
    missing = {"for": "Patient/ghost", "focus": "DiagnosticReport/ghost"}.get(
        field, "Practitioner/ghost"
    )
    with gateway.counting():
        error = await gateway.error(CREATE, {"input": {field: {"reference": missing}}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": f"input.{field}.reference"}
    assert gateway.writes == []
    assert (await gateway.fhir.search_all("Task", [])).matches == []


async def test_create_reads_every_reference_in_one_batch(gateway: Gateway) -> None:
    await put_all(gateway.fhir, referenced())
    refs = {
        "for": {"reference": "Patient/pt1"},
        "focus": {"reference": "ServiceRequest/sr1"},
        "owner": {"reference": "Practitioner/ada"},
        "requester": {"reference": "PractitionerRole/r1"},
    }
    with gateway.counting():
        created = (await gateway.data(CREATE, {"input": refs}))["createTask"]
    # The server's profile is read once per process, at its first write.
    reads = [r for r in gateway.requests if r.method == "GET" and r.url.path[-8:] != "metadata"]
    # One search per referenced type, sent together; then the create and its Provenance: one
    # transaction where that is atomic, else two.
    assert sorted(r.url.path.rsplit("/", 1)[1] for r in reads) == [
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "ServiceRequest",
    ]
    assert gateway.count("POST") == (1 if gateway.caps.atomic_transactions else 2)
    assert created["ownerReference"] == {"reference": "Practitioner/ada"}


async def test_without_a_caller_claim_and_queue_need_someone_named(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1")])
    error = await refused(gateway, CLAIM, {"id": "t1"})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "owner"}
    with gateway.counting():
        queue_error = await gateway.error(QUEUE)
    assert queue_error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "practitioner"}
    assert gateway.requests == []


async def test_the_reported_demo_clinic_claims_are_refused() -> None:
    """As first reported: a claim on cancelled demo-task-0041, and a claim for nobody."""
    async with running_gateway(settings_for("embedded", seed_demo=True), "embedded") as demo:
        cancelled = await stored(demo, "demo-task-0041")
        assert cancelled["status"] == "cancelled"
        nurse = {"reference": "Practitioner/demo-prac-01"}
        claim = {"id": "demo-task-0041", "owner": nurse}
        error = await refused(demo, CLAIM, claim, "demo-task-0041")
        assert error["extensions"] == {"code": "TASK_CLOSED", "status": "CANCELLED"}

        open_tasks = await demo.fhir.search(
            "Task", [("status", "ready"), ("owner:missing", "true")]
        )
        target = str(open_tasks.matches[0]["id"])
        nobody = {"reference": "Practitioner/nobody"}
        error = await refused(demo, CLAIM, {"id": target, "owner": nobody}, target)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "owner.reference"}
