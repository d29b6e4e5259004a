"""createTask, createSubtask, updateTask and addTaskNote on both servers, checked in storage."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.fhir import Resource
from tests.conftest import Gateway
from tests.e2e.builders import SNOMED, put_all, referenced, task
from tests.e2e.mutations import TASK_FIELDS, assert_error, assert_refused_unchanged, stored

CREATE = "mutation($input: CreateTaskInput!) { createTask(input: $input) { ...T } }" + TASK_FIELDS
CREATE_SUBTASK = (
    "mutation($parentId: ID!, $input: CreateTaskInput!) {"
    " createSubtask(parentId: $parentId, input: $input) { ...T } }" + TASK_FIELDS
)
UPDATE = (
    "mutation($id: ID!, $input: UpdateTaskInput!, $v: String) {"
    " updateTask(id: $id, input: $input, expectedVersion: $v) { ...T } }" + TASK_FIELDS
)
ADD_NOTE = (
    "mutation($id: ID!, $text: String!, $author: ReferenceInput) {"
    " addTaskNote(id: $id, text: $text, author: $author) { ...T } }" + TASK_FIELDS
)


async def stored_tasks(gateway: Gateway) -> list[Resource]:
    return (await gateway.fhir.search_all("Task", [])).matches


async def test_create_task_with_defaults(gateway: Gateway) -> None:
    created = (await gateway.data(CREATE, {"input": {}}))["createTask"]

    assert created["status"] == "READY" and created["intent"] == "ORDER"
    assert created["authoredOn"] == created["lastModified"]
    assert created["executionPeriod"] is None and created["statusReason"] is None
    task_in_store = await stored(gateway, created["id"])
    assert task_in_store["meta"]["versionId"] == created["versionId"]
    assert task_in_store["status"] == "ready" and task_in_store["intent"] == "order"
    assert task_in_store["authoredOn"] == task_in_store["lastModified"] == created["authoredOn"]


async def test_create_task_with_every_field(gateway: Gateway) -> None:
    await put_all(gateway.fhir, referenced())
    nurse = {"coding": [{"system": SNOMED, "code": "224535009"}], "text": "Nurse"}
    created = (
        await gateway.data(
            CREATE,
            {
                "input": {
                    "status": "REQUESTED",
                    "businessStatus": {"text": "triage"},
                    "intent": "PLAN",
                    "priority": "URGENT",
                    "code": {"coding": [{"system": "http://example.org/t", "code": "call"}]},
                    "description": "Call the patient",
                    "for": {"reference": "Patient/pt1"},
                    "focus": {"reference": "ServiceRequest/sr1"},
                    "owner": {"reference": "Practitioner/p1", "display": "Dr Hart"},
                    "requester": {"reference": "PractitionerRole/r1"},
                    "performerType": [nurse],
                    "startDate": "2026-11-02",
                    "dueDate": "2026-11-05T17:00:00Z",
                    "note": "Prefers mornings",
                }
            },
        )
    )["createTask"]

    assert created["priority"] == "URGENT" and created["intent"] == "PLAN"
    assert created["ownerReference"] == {"reference": "Practitioner/p1", "display": "Dr Hart"}
    assert created["note"] == [
        {"text": "Prefers mornings", "time": created["authoredOn"], "authorReference": None}
    ]
    saved = await stored(gateway, created["id"])
    assert saved["status"] == "requested"
    assert saved["businessStatus"] == {"text": "triage"}
    assert saved["priority"] == "urgent"
    assert saved["code"] == {"coding": [{"system": "http://example.org/t", "code": "call"}]}
    assert saved["description"] == "Call the patient"
    assert saved["for"] == {"reference": "Patient/pt1"}
    assert saved["focus"] == {"reference": "ServiceRequest/sr1"}
    assert saved["owner"] == {"reference": "Practitioner/p1", "display": "Dr Hart"}
    assert saved["requester"] == {"reference": "PractitionerRole/r1"}
    assert saved["performerType"] == [nurse]
    assert saved["restriction"] == {
        "period": {"start": "2026-11-02", "end": "2026-11-05T17:00:00Z"}
    }
    assert saved["note"] == [{"text": "Prefers mornings", "time": saved["authoredOn"]}]
    assert "partOf" not in saved


async def test_create_in_progress_starts_execution(gateway: Gateway) -> None:
    created = (await gateway.data(CREATE, {"input": {"status": "IN_PROGRESS"}}))["createTask"]

    assert created["executionPeriod"] == {"start": created["authoredOn"], "end": None}
    saved = await stored(gateway, created["id"])
    assert saved["executionPeriod"] == {"start": saved["authoredOn"]}


async def test_create_on_hold_needs_a_reason(gateway: Gateway) -> None:
    with gateway.counting() as sent:
        error = await gateway.error(CREATE, {"input": {"status": "ON_HOLD"}})
        blank = await gateway.error(
            CREATE, {"input": {"status": "ON_HOLD", "statusReason": {"text": "  "}}}
        )
    assert_error(error, "STATUS_REASON_REQUIRED", status="ON_HOLD")
    assert_error(blank, "STATUS_REASON_REQUIRED", status="ON_HOLD")
    assert sent == []

    reason = {"coding": [{"system": "http://example.org/r", "code": "waiting"}]}
    created = (
        await gateway.data(CREATE, {"input": {"status": "ON_HOLD", "statusReason": reason}})
    )["createTask"]
    assert (await stored(gateway, created["id"]))["statusReason"] == reason


async def test_create_keeps_a_reason_given_for_any_status(gateway: Gateway) -> None:
    created = (
        await gateway.data(CREATE, {"input": {"status": "DRAFT", "statusReason": {"text": "new"}}})
    )["createTask"]
    assert (await stored(gateway, created["id"]))["statusReason"] == {"text": "new"}


@pytest.mark.parametrize("status", ["REJECTED", "CANCELLED", "FAILED", "COMPLETED"])
async def test_create_in_a_status_no_task_starts_in(gateway: Gateway, status: str) -> None:
    with gateway.counting() as sent:
        error = await gateway.error(
            CREATE, {"input": {"status": status, "statusReason": {"text": "why"}}}
        )
    assert_error(
        error,
        "INVALID_STATUS_TRANSITION",
        to=status,
        allowed=[
            "DRAFT",
            "REQUESTED",
            "RECEIVED",
            "ACCEPTED",
            "READY",
            "IN_PROGRESS",
            "ON_HOLD",
        ],
    )
    assert "from" in error["extensions"] and error["extensions"]["from"] is None
    assert sent == []


@pytest.mark.parametrize(
    ("change", "argument"),
    [
        ({"owner": {"reference": "Practitioner"}}, "input.owner.reference"),
        ({"owner": {"reference": "Observation/o1"}}, "input.owner.reference"),
        ({"owner": {"reference": "Practitioner/.."}}, "input.owner.reference"),
        ({"for": {"reference": "https://elsewhere.example/Patient/1"}}, "input.for.reference"),
        ({"focus": {"reference": "Task/a b"}}, "input.focus.reference"),
        ({"requester": {"reference": "CareTeam/c1"}}, "input.requester.reference"),
        ({"partOf": "../admin"}, "input.partOf"),
        ({"code": {"coding": [{"code": " padded"}]}}, "input.code.coding.0.code"),
        ({"code": {"coding": [{"system": "a b", "code": "x"}]}}, "input.code.coding.0.system"),
        ({"code": {}}, "input.code"),
        ({"performerType": [{"text": "ok"}, {"text": " "}]}, "input.performerType.1"),
        ({"description": " "}, "input.description"),
        ({"note": ""}, "input.note"),
    ],
)
async def test_create_refuses_bad_input_before_any_request(
    gateway: Gateway, change: dict[str, Any], argument: str
) -> None:
    with gateway.counting() as sent:
        error = await gateway.error(CREATE, {"input": change})
    assert_error(error, "BAD_USER_INPUT", argument=argument)
    assert sent == []


async def test_bad_datetime_is_bad_user_input(gateway: Gateway) -> None:
    error = await gateway.error(CREATE, {"input": {"dueDate": "next tuesday"}})
    assert_error(error, "BAD_USER_INPUT")
    assert await stored_tasks(gateway) == []


async def test_create_subtask_takes_the_parents_subject(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("parent", **{"for": "Patient/pt1"})])

    child = (
        await gateway.data(CREATE_SUBTASK, {"parentId": "parent", "input": {"description": "x"}})
    )["createSubtask"]

    assert child["partOf"] == [{"id": "parent"}]
    assert child["forReference"] == {"reference": "Patient/pt1"}
    saved = await stored(gateway, child["id"])
    assert saved["partOf"] == [{"reference": "Task/parent"}]
    assert saved["for"] == {"reference": "Patient/pt1"}
    subtasks = await gateway.data('{ task(id: "parent") { subtasks { id } } }')
    assert subtasks["task"]["subtasks"] == [{"id": child["id"]}]


async def test_create_subtask_keeps_its_own_subject(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("parent", **{"for": "Patient/pt1"})])
    child = (
        await gateway.data(
            CREATE_SUBTASK,
            {"parentId": "parent", "input": {"for": {"reference": "Patient/pt2"}}},
        )
    )["createSubtask"]
    assert (await stored(gateway, child["id"]))["for"] == {"reference": "Patient/pt2"}


async def test_create_subtask_of_an_unknown_parent_is_not_found(gateway: Gateway) -> None:
    error = await gateway.error(CREATE_SUBTASK, {"parentId": "missing", "input": {}})
    assert_error(error, "NOT_FOUND")
    assert await stored_tasks(gateway) == []


async def test_create_task_with_part_of_is_a_subtask(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("parent", **{"for": "Patient/pt1"})])
    child = (await gateway.data(CREATE, {"input": {"partOf": "parent"}}))["createTask"]
    saved = await stored(gateway, child["id"])
    assert saved["partOf"] == [{"reference": "Task/parent"}]
    assert saved["for"] == {"reference": "Patient/pt1"}

    error = await gateway.error(CREATE, {"input": {"partOf": "missing"}})
    assert_error(error, "NOT_FOUND")


@pytest.mark.parametrize(
    ("parent_id", "input_", "argument"),
    [
        ("..", {}, "parentId"),
        ("parent", {"partOf": "other"}, "input.partOf"),
    ],
)
async def test_create_subtask_refuses_bad_ids(
    gateway: Gateway, parent_id: str, input_: dict[str, Any], argument: str
) -> None:
    with gateway.counting() as sent:
        error = await gateway.error(CREATE_SUBTASK, {"parentId": parent_id, "input": input_})
    assert_error(error, "BAD_USER_INPUT", argument=argument)
    assert sent == []


async def test_update_task_sets_keeps_and_clears(gateway: Gateway) -> None:
    await put_all(
        gateway.fhir,
        [
            *referenced(),
            task(
                "t1",
                priority="routine",
                description="old",
                due="2026-11-05",
                focus="ServiceRequest/sr1",
                businessStatus={"text": "triage"},
            ),
        ],
    )
    before = await stored(gateway, "t1")

    updated = (
        await gateway.data(
            UPDATE,
            {
                "id": "t1",
                "input": {
                    "priority": "STAT",
                    "description": None,
                    "dueDate": None,
                    "startDate": "2026-11-03",
                    "for": {"reference": "Patient/pt1"},
                    "performerType": [{"coding": [{"system": SNOMED, "code": "158965000"}]}],
                },
            },
        )
    )["updateTask"]

    assert updated["priority"] == "STAT" and updated["description"] is None
    saved = await stored(gateway, "t1")
    assert updated["versionId"] == saved["meta"]["versionId"] != before["meta"]["versionId"]
    assert saved["priority"] == "stat"
    assert "description" not in saved
    assert saved["restriction"] == {"period": {"start": "2026-11-03"}}
    assert saved["for"] == {"reference": "Patient/pt1"}
    assert saved["focus"] == {"reference": "ServiceRequest/sr1"}
    assert saved["businessStatus"] == {"text": "triage"}
    assert saved["performerType"] == [{"coding": [{"system": SNOMED, "code": "158965000"}]}]
    assert saved["status"] == "ready" and saved["authoredOn"] == before["authoredOn"]
    assert saved["lastModified"] >= saved["authoredOn"]


async def test_update_clearing_the_only_date_removes_the_restriction(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1", due="2026-11-05")])
    await gateway.data(UPDATE, {"id": "t1", "input": {"dueDate": None}})
    assert "restriction" not in await stored(gateway, "t1")


async def test_update_with_the_expected_version(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1")])
    version = (await stored(gateway, "t1"))["meta"]["versionId"]
    updated = (
        await gateway.data(UPDATE, {"id": "t1", "input": {"description": "new"}, "v": version})
    )["updateTask"]
    assert updated["description"] == "new"


async def test_update_with_a_stale_version_writes_nothing(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1")])
    stale = (await stored(gateway, "t1"))["meta"]["versionId"]
    await gateway.data(UPDATE, {"id": "t1", "input": {"description": "first"}})
    current = await stored(gateway, "t1")

    with gateway.counting() as sent:
        error = await gateway.error(
            UPDATE, {"id": "t1", "input": {"description": "second"}, "v": stale}
        )

    assert_error(error, "VERSION_CONFLICT", currentVersion=current["meta"]["versionId"])
    assert [r.method for r in sent] == ["GET"]
    assert await stored(gateway, "t1") == current


async def test_update_without_changes_writes_nothing(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1", description="same")])
    before = await stored(gateway, "t1")
    with gateway.counting():
        updated = (await gateway.data(UPDATE, {"id": "t1", "input": {"description": "same"}}))[
            "updateTask"
        ]
    assert gateway.writes == []
    assert updated["versionId"] == before["meta"]["versionId"]


@pytest.mark.parametrize(
    ("variables", "code", "argument"),
    [
        ({"id": "missing", "input": {"description": "x"}}, "NOT_FOUND", None),
        ({"id": "a/b", "input": {}}, "BAD_USER_INPUT", "id"),
        ({"id": "t1", "input": {}, "v": 'W/"1"'}, "BAD_USER_INPUT", "expectedVersion"),
        (
            {"id": "t1", "input": {"focus": {"reference": "x"}}},
            "BAD_USER_INPUT",
            "input.focus.reference",
        ),
        ({"id": "t1", "input": {"businessStatus": {}}}, "BAD_USER_INPUT", "input.businessStatus"),
    ],
)
async def test_update_errors(
    gateway: Gateway, variables: dict[str, Any], code: str, argument: str | None
) -> None:
    error = await gateway.error(UPDATE, variables)
    assert_error(error, code)
    assert error["extensions"].get("argument") == argument


async def test_add_task_note_appends_with_time_and_author(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1", note=[{"text": "first"}])])

    noted = (
        await gateway.data(
            ADD_NOTE,
            {"id": "t1", "text": "second", "author": {"reference": "Practitioner/p1"}},
        )
    )["addTaskNote"]

    assert [n["text"] for n in noted["note"]] == ["first", "second"]
    saved = await stored(gateway, "t1")
    first, second = saved["note"]
    assert first == {"text": "first"}
    assert second["authorReference"] == {"reference": "Practitioner/p1"}
    assert second["time"] <= saved["lastModified"]
    assert saved["lastModified"] >= saved["authoredOn"]

    await gateway.data(ADD_NOTE, {"id": "t1", "text": "third"})
    assert [n["text"] for n in (await stored(gateway, "t1"))["note"]] == [
        "first",
        "second",
        "third",
    ]
    assert "authorReference" not in (await stored(gateway, "t1"))["note"][2]


@pytest.mark.parametrize(
    ("variables", "code", "argument"),
    [
        ({"id": "t1", "text": " "}, "BAD_USER_INPUT", "text"),
        (
            {"id": "t1", "text": "x", "author": {"reference": "Task/t1"}},
            "BAD_USER_INPUT",
            "author.reference",
        ),
        ({"id": "..", "text": "x"}, "BAD_USER_INPUT", "id"),
        ({"id": "missing", "text": "x"}, "NOT_FOUND", None),
    ],
)
async def test_add_task_note_errors(
    gateway: Gateway, variables: dict[str, Any], code: str, argument: str | None
) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1")])
    await assert_refused_unchanged(gateway, ADD_NOTE, variables, code, argument)


async def test_later_fields_of_one_request_see_earlier_writes(gateway: Gateway) -> None:
    await put_all(
        gateway.fhir,
        [
            *referenced(),
            task("parent"),
            {"resourceType": "Practitioner", "id": "ada", "name": [{"text": "Ada"}]},
        ],
    )

    data = await gateway.data(
        """
        mutation {
          before: updateTask(id: "parent", input: {description: "a"}) { subtasks { id } }
          child: createSubtask(parentId: "parent", input: {}) { id }
          after: claimTask(id: "parent", owner: {reference: "Practitioner/ada"}) {
            description
            owner { id }
            subtasks { id }
          }
        }
        """
    )

    assert data["before"]["subtasks"] == []
    assert data["after"]["subtasks"] == [{"id": data["child"]["id"]}]
    assert data["after"]["owner"] == {"id": "ada"}
    assert data["after"]["description"] == "a"
