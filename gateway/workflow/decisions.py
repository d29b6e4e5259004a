"""decide(): every kind of change to an existing Task, checked and applied in one pure step.

The refusals come in the order the README's Errors section promises: TASK_CLOSED, then
VERSION_CONFLICT for a stale expectedVersion, then ALREADY_CLAIMED (or ROUTING_NO_CANDIDATE),
then the status rules.
The writer (gateway.writes) reads the Task, calls decide() and writes what it returns; None
means nothing to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import (
    AlreadyClaimedError,
    RoutingNoCandidateError,
    TaskClosedError,
    VersionConflictError,
)
from gateway.fhir import Ref, Resource, version_of
from gateway.workflow.edits import (
    edit_elements,
    has_owner,
    owner_ref,
    owner_text,
    same_content,
    with_note,
    with_owner,
)
from gateway.workflow.rules import WorkflowRules
from gateway.workflow.statuses import ENTERED_IN_ERROR, TERMINAL_STATUSES
from gateway.workflow.task_changes import (
    UNCHANGED,
    BusinessStatusChange,
    apply_status_change,
    touch,
)

Element = dict[str, Any]


@dataclass(frozen=True)
class Claim:
    """Make ``owner`` the owner, only while the Task has none (a re-claim is a no-op)."""

    owner: Element
    claimant: Ref


@dataclass(frozen=True)
class Assign:
    """Set the owner, or remove it when ``owner`` is None; the status stays."""

    owner: Element | None


@dataclass(frozen=True)
class Route:
    """Give a Task without an owner to ``owner``, its first suggested assignee; None when
    nobody fits (ROUTING_NO_CANDIDATE, after every refusal that comes before it)."""

    owner: Element | None


@dataclass(frozen=True)
class Release:
    """Remove the owner; a Task without one is left as it is."""


@dataclass(frozen=True)
class Update:
    """Set (or, where None, remove) elements by dotted path; not the status."""

    edits: Mapping[str, Any]


@dataclass(frozen=True)
class AddNote:
    """Append a note; allowed on closed Tasks except ENTERED_IN_ERROR (a retracted record)."""

    note: Element


@dataclass(frozen=True)
class ChangeStatus:
    """Move along the transition table, with the statusReason rule."""

    status: str
    status_reason: Element | None = None
    business_status: BusinessStatusChange = field(default=UNCHANGED)


TaskChange = Claim | Assign | Route | Release | Update | AddNote | ChangeStatus


def is_closed_for(task: Resource, change: TaskChange) -> bool:
    """True when ``task``'s status refuses this kind of change (status changes follow the table)."""
    status = task.get("status")
    if isinstance(change, ChangeStatus):
        return False
    if isinstance(change, AddNote):
        return status == ENTERED_IN_ERROR
    return status in TERMINAL_STATUSES


def decide(
    task: Resource,
    change: TaskChange,
    *,
    now: str,
    rules: WorkflowRules,
    expected_version: str | None = None,
    base_url: str | None = None,
) -> Resource | None:
    """The Task to write for ``change``, None when nothing needs writing, or a refusal."""
    if is_closed_for(task, change):
        raise TaskClosedError(str(task.get("status")))
    version = version_of(task)
    if expected_version is not None and expected_version != version:
        raise VersionConflictError(
            "The Task has changed since the version you expected", current_version=version
        )
    changed = _apply(task, change, now=now, rules=rules, base_url=base_url)
    if changed is None or same_content(task, changed):
        return None
    return touch(changed, now)


def _apply(
    task: Resource, change: TaskChange, *, now: str, rules: WorkflowRules, base_url: str | None
) -> Resource | None:
    if isinstance(change, Claim):
        if not has_owner(task):
            return with_owner(task, change.owner)
        if owner_ref(task, base_url) == change.claimant:
            return None
        raise AlreadyClaimedError(owner_text(task, base_url))
    if isinstance(change, Assign):
        return with_owner(task, change.owner)
    if isinstance(change, Route):
        if has_owner(task):
            raise AlreadyClaimedError(owner_text(task, base_url))
        if change.owner is None:
            raise RoutingNoCandidateError()
        return with_owner(task, change.owner)
    if isinstance(change, Release):
        return with_owner(task, None)
    if isinstance(change, Update):
        return edit_elements(task, change.edits)
    if isinstance(change, AddNote):
        return with_note(task, change.note)
    return apply_status_change(
        task,
        change.status,
        status_reason=change.status_reason,
        business_status=change.business_status,
        now=now,
        rules=rules,
    )
