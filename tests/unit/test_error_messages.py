"""Messages name statuses the way the schema and the extensions do (ON_HOLD, not on-hold)."""

from __future__ import annotations

from gateway.errors import InvalidStatusTransitionError, StatusReasonRequiredError, TaskClosedError


def test_messages_use_the_schemas_enum_names() -> None:
    reason = StatusReasonRequiredError("on-hold")
    assert reason.message.endswith("is required for ON_HOLD")
    assert reason.extensions == {"status": "ON_HOLD"}

    move = InvalidStatusTransitionError("requested", "on-hold", ["accepted", "entered-in-error"])
    assert move.message == (
        "a Task cannot move from REQUESTED to ON_HOLD; allowed: ACCEPTED, ENTERED_IN_ERROR"
    )
    created = InvalidStatusTransitionError(None, "in-progress", [])
    assert created.message == "a Task cannot move from creation to IN_PROGRESS; allowed: none"

    closed = TaskClosedError("entered-in-error")
    assert closed.message == "The Task is closed (ENTERED_IN_ERROR); nothing was written"
