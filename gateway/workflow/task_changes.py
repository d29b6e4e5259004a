"""Pure changes to a Task resource: create, change status, touch; each returns a new dict."""

from __future__ import annotations

import copy
import enum
from typing import Any, Final, Literal

from gateway.workflow.rules import WorkflowRules
from gateway.workflow.status_reason import resolve_status_reason
from gateway.workflow.statuses import (
    ENTERED_IN_ERROR,
    EXECUTION_ENDING_STATUSES,
    IN_PROGRESS,
)
from gateway.workflow.timestamps import not_before
from gateway.workflow.transitions import check_initial_status

Task = dict[str, Any]


class Unchanged(enum.Enum):
    """The type of UNCHANGED: an argument left out, as opposed to None (clear the element)."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED

BusinessStatusChange = dict[str, Any] | None | Literal[Unchanged.UNCHANGED]


def touch(task: Task, now: str) -> Task:
    """A copy of `task` with lastModified = now, but never before authoredOn (FHIR inv-1)."""
    touched = copy.deepcopy(task)
    touched["lastModified"] = not_before(now, task.get("authoredOn"))
    return touched


def prepare_new_task(task: Task, *, now: str, rules: WorkflowRules) -> Task:
    """A copy of `task` ready to be created: status and statusReason checked, times set.

    authoredOn and lastModified become `now`; a Task created in-progress starts its
    executionPeriod now unless the client gave a start.
    """
    status = _status_of(task)
    check_initial_status(status)
    created = copy.deepcopy(task)
    _set_or_drop(
        created,
        "statusReason",
        resolve_status_reason(
            old_status=None,
            new_status=status,
            old_reason=None,
            new_reason=task.get("statusReason"),
            required_for=rules.reason_required_for,
        ),
    )
    created["authoredOn"] = now
    created = touch(created, now)
    if status == IN_PROGRESS:
        _start_execution(created, created["lastModified"])
    return created


def apply_status_change(
    task: Task,
    new_status: str,
    *,
    status_reason: dict[str, Any] | None = None,
    business_status: BusinessStatusChange = UNCHANGED,
    now: str,
    rules: WorkflowRules,
) -> Task:
    """A copy of `task` moved to `new_status`, after checking the transition and the reason.

    `business_status`: UNCHANGED keeps it, None removes it, a CodeableConcept replaces it.
    executionPeriod.start is set the first time the Task goes in-progress and never
    moved; executionPeriod.end is set when the Task reaches completed, failed or cancelled.
    """
    old_status = _status_of(task)
    rules.transitions.check_transition(old_status, new_status)
    reason = resolve_status_reason(
        old_status=old_status,
        new_status=new_status,
        old_reason=task.get("statusReason"),
        new_reason=status_reason,
        required_for=rules.reason_required_for,
    )
    changed = touch(task, now)
    moment = changed["lastModified"]
    changed["status"] = new_status
    _set_or_drop(changed, "statusReason", reason)
    if business_status is not UNCHANGED:
        _set_or_drop(changed, "businessStatus", copy.deepcopy(business_status))
    if new_status == IN_PROGRESS:
        _start_execution(changed, moment)
    if new_status != old_status:
        if new_status in EXECUTION_ENDING_STATUSES:
            _end_execution(changed, moment)
        elif old_status in EXECUTION_ENDING_STATUSES and new_status != ENTERED_IN_ERROR:
            # Only a custom table reopens a finished Task; its old end no longer holds.
            _drop_execution_end(changed)
    return changed


def _status_of(task: Task) -> str:
    status = task.get("status")
    if not isinstance(status, str):
        raise ValueError("the Task has no status: FHIR requires one (Task.status 1..1)")
    return status


def _set_or_drop(task: Task, element: str, value: dict[str, Any] | None) -> None:
    if value is None:
        task.pop(element, None)
    else:
        task[element] = value


def _execution_period(task: Task) -> dict[str, Any]:
    period = task.get("executionPeriod")
    if not isinstance(period, dict):
        period = {}
        task["executionPeriod"] = period
    return period


def _start_execution(task: Task, moment: str) -> None:
    period = _execution_period(task)
    period.setdefault("start", moment)


def _end_execution(task: Task, moment: str) -> None:
    period = _execution_period(task)
    # A Period ends no earlier than it starts (FHIR per-1), whatever the clocks say.
    period["end"] = not_before(moment, period.get("start"))


def _drop_execution_end(task: Task) -> None:
    period = task.get("executionPeriod")
    if isinstance(period, dict):
        period.pop("end", None)
        if not period:
            del task["executionPeriod"]
