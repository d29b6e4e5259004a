"""Mutation documents and checks that several e2e modules share: the Task fragment, the
claim and start documents the races send, an answer's outcome, and the Task as stored."""

from __future__ import annotations

from typing import Any

from gateway.fhir import Ref, Resource
from tests.conftest import Gateway

TASK_FIELDS = """
fragment T on Task {
  id versionId status intent priority description authoredOn lastModified dueDate startDate
  statusReason { text coding { system code } }
  businessStatus { text }
  code { text coding { system code } }
  executionPeriod { start end }
  performerType { coding { system code } }
  note { text time authorReference { reference display } }
  ownerReference { reference display }
  forReference { reference }
  focusReference { reference }
  requesterReference { reference }
  partOf { id }
}
"""
CLAIM = (
    "mutation($id: ID!, $owner: ReferenceInput!) {"
    " claimTask(id: $id, owner: $owner) { id versionId ownerReference { reference } } }"
)
START = (
    "mutation($id: ID!, $v: String) {"
    " updateTaskStatus(id: $id, status: IN_PROGRESS, expectedVersion: $v) { id versionId } }"
)


async def stored(gateway: Gateway, task_id: str) -> Resource:
    """The Task as the FHIR server holds it now."""
    return await gateway.fhir.read(Ref("Task", task_id))


def outcome(body: dict[str, Any]) -> str:
    """'ok' for a success, else the error code."""
    if body.get("errors"):
        code: str = body["errors"][0]["extensions"]["code"]
        return code
    return "ok"


def assert_error(error: dict[str, Any], code: str, **extensions: Any) -> None:
    assert error["extensions"]["code"] == code, error
    for key, value in extensions.items():
        assert error["extensions"][key] == value, error


async def assert_refused_unchanged(
    gateway: Gateway,
    document: str,
    variables: dict[str, Any],
    code: str,
    argument: str | None,
) -> None:
    """The mutation fails with ``code`` (naming ``argument``) and Task t1 is as it was."""
    before = await stored(gateway, "t1")
    error = await gateway.error(document, variables)
    assert_error(error, code)
    assert error["extensions"].get("argument") == argument
    assert await stored(gateway, "t1") == before
