"""The Mutation type: Task writes, their inputs checked first, then written by TaskWriter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, TypeVar

import strawberry

from gateway.errors import BadUserInputError
from gateway.fhir import Ref, Resource
from gateway.fhir.references import checked_id
from gateway.schema.context import Info
from gateway.schema.enums import TaskIntent, TaskStatus
from gateway.schema.inputs import (
    CodeableConceptInput,
    CreateTaskInput,
    ReferenceInput,
    UpdateTaskInput,
)
from gateway.schema.task import Task
from gateway.workflow import UNCHANGED, BusinessStatusChange
from gateway.writes import TaskWriter, elements
from gateway.writes.elements import AUTHOR_TYPES, OWNER_TYPES, REQUESTER_TYPES, Element

T = TypeVar("T")
TaskId = Annotated[strawberry.ID, strawberry.argument(description="The Task's id.")]
ExpectedVersion = Annotated[
    str | None,
    strawberry.argument(
        description=(
            "The versionId the client last saw; if the Task has changed since, nothing is "
            "written (VERSION_CONFLICT)."
        )
    ),
]


def _given(value: T | None) -> T | None:
    """An argument left out is null: these arguments have no default in the contract."""
    return None if value is strawberry.UNSET else value


def _reference(
    value: ReferenceInput | None, argument: str, types: frozenset[str] | None = None
) -> Element | None:
    value = _given(value)
    if value is None:
        return None
    return elements.reference(value.reference, value.display, argument, types=types)


def _concept(value: CodeableConceptInput | None, argument: str) -> Element | None:
    return None if value is None else elements.concept(value.to_fhir(), argument)


def _concepts(values: list[CodeableConceptInput] | None, argument: str) -> list[Element] | None:
    checked = elements.concepts([v.to_fhir() for v in values or []], argument)
    return checked or None


def _new_task(task: CreateTaskInput) -> Resource:
    """The FHIR Task a CreateTaskInput asks for; every value checked, nothing sent yet."""
    reason = task.status_reason.to_fhir() if task.status_reason else None
    period = {"start": task.start_date, "end": task.due_date}
    new: dict[str, Any] = {
        "resourceType": "Task",
        "status": (task.status or TaskStatus.READY).code,
        "statusReason": elements.status_reason(reason, "input.statusReason"),
        "businessStatus": _concept(task.business_status, "input.businessStatus"),
        "intent": (task.intent or TaskIntent.ORDER).code,
        "priority": task.priority.code if task.priority else None,
        "code": _concept(task.code, "input.code"),
        "description": _text(task.description, "input.description"),
        "for": _reference(task.for_, "input.for"),
        "focus": _reference(task.focus, "input.focus"),
        "owner": _reference(task.owner, "input.owner", OWNER_TYPES),
        "requester": _reference(task.requester, "input.requester", REQUESTER_TYPES),
        "performerType": _concepts(task.performer_type, "input.performerType"),
        "restriction": {"period": {k: str(v) for k, v in period.items() if v is not None}},
        "note": None if task.note is None else [{"text": elements.text(task.note, "input.note")}],
    }
    if not new["restriction"]["period"]:
        new["restriction"] = None
    return {name: value for name, value in new.items() if value is not None}


def _text(value: str | None, argument: str) -> str | None:
    return None if value is None else elements.text(value, argument)


def _parent_id(task: CreateTaskInput, parent: strawberry.ID | None) -> str | None:
    given = checked_id(str(task.part_of), "input.partOf") if task.part_of is not None else None
    if parent is None:
        return given
    parent_id = checked_id(str(parent), "parentId")
    if given is not None and given != parent_id:
        raise BadUserInputError(
            "input.partOf: leave it out, or give the same id as parentId", argument="input.partOf"
        )
    return parent_id


# UpdateTaskInput field -> (the Task element it edits, how a non-null value becomes FHIR).
_UPDATES: Final[dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "priority": ("priority", lambda v: v.code),
    "description": ("description", lambda v: elements.text(v, "input.description")),
    "code": ("code", lambda v: _concept(v, "input.code")),
    "business_status": ("businessStatus", lambda v: _concept(v, "input.businessStatus")),
    "performer_type": ("performerType", lambda v: _concepts(v, "input.performerType")),
    "due_date": ("restriction.period.end", str),
    "start_date": ("restriction.period.start", str),
    "focus": ("focus", lambda v: _reference(v, "input.focus")),
    "for_": ("for", lambda v: _reference(v, "input.for")),
}


def _edits(changes: UpdateTaskInput) -> dict[str, Any]:
    """The element edits an UpdateTaskInput asks for: left out stays, null clears."""
    edits: dict[str, Any] = {}
    for name, (path, convert) in _UPDATES.items():
        value = getattr(changes, name)
        if value is not strawberry.UNSET:
            edits[path] = None if value is None else convert(value)
    return edits


def _business_status(value: CodeableConceptInput | None) -> BusinessStatusChange:
    if value is strawberry.UNSET:
        return UNCHANGED
    return _concept(value, "businessStatus")


def _answer(info: Info, resource: Resource) -> Task:
    """The stored Task, also handed to this request's loaders so later fields see it."""
    loaders = info.context.loaders
    ref = Ref("Task", str(resource["id"]))
    loaders.resource_by_ref.clear(ref).prime(ref, resource)
    # A write can change which Tasks are whose children.
    loaders.children_by_parent.clear_all()
    return Task.from_fhir(resource)


def _target(id: strawberry.ID, expected_version: str | None) -> tuple[str, str | None]:
    return checked_id(str(id), "id"), elements.version_id(
        _given(expected_version), "expectedVersion"
    )


def _writer(info: Info) -> TaskWriter:
    return TaskWriter(info.context.fhir, info.context.rules)


@strawberry.type(description="Task writes: each returns the Task as stored, or writes nothing.")
class Mutation:
    @strawberry.mutation(description="Create a Task.")
    async def create_task(
        self,
        info: Info,
        input: Annotated[CreateTaskInput, strawberry.argument(description="The new Task.")],
    ) -> Task:
        task, parent_id = _new_task(input), _parent_id(input, None)
        return _answer(info, await _writer(info).create(task, parent_id=parent_id))

    @strawberry.mutation(
        description=(
            "Create a Task as part of an existing one (NOT_FOUND otherwise); without a `for`, "
            "it is for the parent's."
        )
    )
    async def create_subtask(
        self,
        info: Info,
        parent_id: Annotated[strawberry.ID, strawberry.argument(description="The parent's id.")],
        input: Annotated[CreateTaskInput, strawberry.argument(description="The new subtask.")],
    ) -> Task:
        task, parent = _new_task(input), _parent_id(input, parent_id)
        return _answer(info, await _writer(info).create(task, parent_id=parent))

    @strawberry.mutation(description="Change a Task's details; its status has its own mutation.")
    async def update_task(
        self,
        info: Info,
        id: TaskId,
        input: Annotated[
            UpdateTaskInput,
            strawberry.argument(description="Left out stays as it is; null clears."),
        ],
        expected_version: ExpectedVersion = strawberry.UNSET,
    ) -> Task:
        target, version = _target(id, expected_version)
        edits = _edits(input)
        return _answer(info, await _writer(info).update(target, edits, expected_version=version))

    @strawberry.mutation(
        description=(
            "statusReason is required when status is ON_HOLD or CANCELLED (STATUS_REASON_REQUIRED)."
        )
    )
    async def update_task_status(
        self,
        info: Info,
        id: TaskId,
        status: Annotated[TaskStatus, strawberry.argument(description="The new status.")],
        status_reason: Annotated[
            CodeableConceptInput | None,
            strawberry.argument(description="Why the Task gets this status."),
        ] = strawberry.UNSET,
        business_status: Annotated[
            CodeableConceptInput | None,
            strawberry.argument(description="The new funnel step; left out stays, null clears."),
        ] = strawberry.UNSET,
        expected_version: ExpectedVersion = strawberry.UNSET,
    ) -> Task:
        target, version = _target(id, expected_version)
        given = _given(status_reason)
        reason = elements.status_reason(given.to_fhir() if given else None, "statusReason")
        written = await _writer(info).change_status(
            target,
            status.code,
            status_reason=reason,
            business_status=_business_status(business_status),
            expected_version=version,
        )
        return _answer(info, written)

    @strawberry.mutation(description="owner null unassigns.")
    async def assign_task(
        self,
        info: Info,
        id: TaskId,
        owner: Annotated[
            ReferenceInput | None,
            strawberry.argument(description="The new owner, 'Type/id'; null unassigns."),
        ] = strawberry.UNSET,
        expected_version: ExpectedVersion = strawberry.UNSET,
    ) -> Task:
        target, version = _target(id, expected_version)
        element = _reference(owner, "owner", OWNER_TYPES)
        return _answer(info, await _writer(info).assign(target, element, expected_version=version))

    @strawberry.mutation(
        description=(
            "Succeeds only while the Task has no owner; of many concurrent claims exactly one "
            "wins, the rest get ALREADY_CLAIMED."
        )
    )
    async def claim_task(
        self,
        info: Info,
        id: TaskId,
        owner: Annotated[
            ReferenceInput, strawberry.argument(description="Who claims it, 'Type/id'.")
        ],
    ) -> Task:
        target = checked_id(str(id), "id")
        element = elements.reference(owner.reference, owner.display, "owner", types=OWNER_TYPES)
        return _answer(info, await _writer(info).claim(target, element))

    @strawberry.mutation(description="Remove the owner; the status is left as it is.")
    async def release_task(
        self, info: Info, id: TaskId, expected_version: ExpectedVersion = strawberry.UNSET
    ) -> Task:
        target, version = _target(id, expected_version)
        return _answer(info, await _writer(info).release(target, expected_version=version))

    @strawberry.mutation(
        description=(
            "Append a note with its time and author. Appending commutes, so a concurrent change "
            "of the Task is re-read and the note re-applied (a few times at most)."
        )
    )
    async def add_task_note(
        self,
        info: Info,
        id: TaskId,
        text: Annotated[str, strawberry.argument(description="The note.")],
        author: Annotated[
            ReferenceInput | None, strawberry.argument(description="Who wrote it, 'Type/id'.")
        ] = strawberry.UNSET,
    ) -> Task:
        target = checked_id(str(id), "id")
        note = elements.text(text, "text")
        writer = _writer(info)
        written = await writer.add_note(target, note, _reference(author, "author", AUTHOR_TYPES))
        return _answer(info, written)
