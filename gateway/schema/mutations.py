"""The Mutation type: arguments checked, then the change decided by the workflow and written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, TypeVar

import strawberry

from gateway.auth import CHANGE, CREATE
from gateway.changes import written_event
from gateway.errors import BadUserInputError
from gateway.fhir import AUTHOR_TYPES, OWNER_TYPES, REQUESTER_TYPES, Ref, Resource
from gateway.limits import NOTE_ATTEMPTS
from gateway.schema import arguments
from gateway.schema.arguments import Element, argument_id
from gateway.schema.assignees import first_choice, require_scopes
from gateway.schema.context import Info
from gateway.schema.enums import TaskIntent, TaskStatus
from gateway.schema.inputs import (
    CodeableConceptInput,
    CreateTaskInput,
    ReferenceInput,
    UpdateTaskInput,
)
from gateway.schema.task import Task
from gateway.workflow import (
    UNCHANGED,
    Assign,
    BusinessStatusChange,
    ChangeStatus,
    Claim,
    Release,
    TaskChange,
    Update,
)
from gateway.writes import Actor, AuditTrail, TaskWriter

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
    return arguments.reference(value.reference, value.display, argument, types=types)


def _concept(value: CodeableConceptInput | None, argument: str) -> Element | None:
    return None if value is None else arguments.concept(value.to_fhir(), argument)


def _concepts(values: list[CodeableConceptInput] | None, argument: str) -> list[Element] | None:
    checked = arguments.concepts([v.to_fhir() for v in values or []], argument)
    return checked or None


def _new_task(task: CreateTaskInput) -> Resource:
    """The FHIR Task a CreateTaskInput asks for; every value checked, nothing sent yet."""
    reason = task.status_reason.to_fhir() if task.status_reason else None
    period = {"start": task.start_date, "end": task.due_date}
    new: dict[str, Any] = {
        "resourceType": "Task",
        "status": (task.status or TaskStatus.READY).code,
        "statusReason": arguments.status_reason(reason, "input.statusReason"),
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
        "note": None if task.note is None else [{"text": arguments.text(task.note, "input.note")}],
    }
    if not new["restriction"]["period"]:
        new["restriction"] = None
    return {name: value for name, value in new.items() if value is not None}


def _text(value: str | None, argument: str) -> str | None:
    return None if value is None else arguments.text(value, argument)


def _parent_id(task: CreateTaskInput, parent: strawberry.ID | None) -> str | None:
    given = argument_id(str(task.part_of), "input.partOf") if task.part_of is not None else None
    if parent is None:
        return given
    parent_id = argument_id(str(parent), "parentId")
    if given is not None and given != parent_id:
        raise BadUserInputError(
            "input.partOf: leave it out, or give the same id as parentId", argument="input.partOf"
        )
    return parent_id


# UpdateTaskInput field -> (the Task element it edits, how a non-null value becomes FHIR).
_UPDATES: Final[dict[str, tuple[str, Callable[[Any], Any]]]] = {
    "priority": ("priority", lambda v: v.code),
    "description": ("description", lambda v: arguments.text(v, "input.description")),
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


# Reference elements of a new or updated Task that must name an existing resource.
_MUST_EXIST: Final = {
    "for": "input.for.reference",
    "focus": "input.focus.reference",
    "owner": "input.owner.reference",
}
_MUST_EXIST_ON_CREATE: Final = {**_MUST_EXIST, "requester": "input.requester.reference"}


def _existing(elements: dict[str, Any], names: dict[str, str]) -> dict[str, Ref]:
    """argument -> Ref for each reference element given (not cleared) in ``elements``."""
    return {
        argument: arguments.target(elements[key])
        for key, argument in names.items()
        if elements.get(key) is not None
    }


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
    return argument_id(str(id), "id"), arguments.version_id(
        _given(expected_version), "expectedVersion"
    )


def _writer(info: Info) -> TaskWriter:
    """The writer every mutation writes through: workflow-checked, guarded, audited."""
    ctx = info.context
    access = ctx.access

    def guard(task: Resource, change: TaskChange) -> None:
        # A patient moves the status of its own Task; the clinic's funnel step is not theirs.
        status_only = isinstance(change, ChangeStatus) and change.business_status is UNCHANGED
        access.check_task_change(task, status_only=status_only)

    async def atomic() -> bool:
        return (await ctx.profiles.get(ctx.fhir)).atomic_transactions

    def written(task: Resource, previous: Resource | None) -> None:
        # The hub drops this when the server's poller reports the same version again.
        ctx.changes.publish(written_event(task, previous))

    trail = AuditTrail(
        ctx.fhir,
        actor=_actor(info) if ctx.settings.audit == "provenance" else None,
        atomic=atomic,
        failed=ctx.metrics.count_audit_failure,
        # The embedded store's change feed reports every write, in commit order, by itself.
        written=None if ctx.settings.embedded else written,
    )
    return TaskWriter(
        ctx.fhir, ctx.rules, ctx.loaders.resource_by_ref.load_many, guard=guard, trail=trail
    )


def _actor(info: Info) -> Actor:
    """Who the audit trail names: the caller's FHIR user; for an anonymous caller or a system
    token, nobody (the gateway itself, as the token's client when it names one)."""
    caller = info.context.access.caller
    if caller.reference is not None and caller.context != "system":
        return Actor(reference=caller.reference)
    return Actor(client_id=caller.client_id)


def _creating(info: Info, task: Resource) -> Resource:
    """The new Task as the caller may create it; requester defaults to the caller."""
    access = info.context.access
    access.require("Task", CREATE)
    access.check_create()
    requester = access.acting_for(task.get("requester"), "requester", REQUESTER_TYPES)
    return task if requester is None else {**task, "requester": requester}


async def _change(
    info: Info,
    id: strawberry.ID,
    change: TaskChange,
    expected_version: str | None = None,
    references: dict[str, Ref] | None = None,
) -> Task:
    target, version = _target(id, expected_version)
    info.context.access.require("Task", CHANGE)
    written = await _writer(info).change(
        target, change, expected_version=version, references=references
    )
    return _answer(info, written)


def _claimant(info: Info, owner: ReferenceInput | None) -> tuple[Element, Ref]:
    """Who claims: the owner given, else the caller; with authentication on, only the caller."""
    access = info.context.access
    given = _given(owner)
    if given is None:
        me = access.acting_as("owner")
        element = arguments.reference(str(me), None, "owner", types=OWNER_TYPES)
    else:
        element = arguments.reference(given.reference, given.display, "owner", types=OWNER_TYPES)
    claimant = arguments.target(element)
    access.check_claimant(claimant, display=element.get("display"))
    return element, claimant


@strawberry.type(description="Task writes: each returns the Task as stored, or writes nothing.")
class Mutation:
    @strawberry.mutation(
        description=(
            "Create a Task. Its for, focus, owner and requester must name existing resources "
            "(BAD_USER_INPUT otherwise)."
        )
    )
    async def create_task(
        self,
        info: Info,
        input: Annotated[CreateTaskInput, strawberry.argument(description="The new Task.")],
    ) -> Task:
        task, parent_id = _creating(info, _new_task(input)), _parent_id(input, None)
        references = _existing(task, _MUST_EXIST_ON_CREATE)
        written = await _writer(info).create(task, parent_id=parent_id, references=references)
        return _answer(info, written)

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
        task, parent = _creating(info, _new_task(input)), _parent_id(input, parent_id)
        references = _existing(task, _MUST_EXIST_ON_CREATE)
        written = await _writer(info).create(task, parent_id=parent, references=references)
        return _answer(info, written)

    @strawberry.mutation(
        description=(
            "Change a Task's details; its status has its own mutation. A closed Task "
            "(COMPLETED, FAILED, CANCELLED, REJECTED, ENTERED_IN_ERROR) is TASK_CLOSED."
        )
    )
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
        edits = _edits(input)
        references = _existing(edits, _MUST_EXIST)
        return await _change(info, id, Update(edits), expected_version, references)

    @strawberry.mutation(
        description=(
            "Move the Task along the workflow's transition table (INVALID_STATUS_TRANSITION "
            "otherwise). statusReason is required when status is ON_HOLD or CANCELLED "
            "(STATUS_REASON_REQUIRED)."
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
        given = _given(status_reason)
        reason = arguments.status_reason(given.to_fhir() if given else None, "statusReason")
        change = ChangeStatus(status.code, reason, _business_status(business_status))
        return await _change(info, id, change, expected_version)

    @strawberry.mutation(
        description="owner null unassigns. The owner must exist; a closed Task is TASK_CLOSED."
    )
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
        element = _reference(owner, "owner", OWNER_TYPES)
        references = {"owner.reference": arguments.target(element)} if element else None
        return await _change(info, id, Assign(element), expected_version, references)

    @strawberry.mutation(
        description=(
            "Succeeds only while the Task has no owner; of many concurrent claims exactly one "
            "wins, the rest get ALREADY_CLAIMED. owner left out: the caller. A closed Task is "
            "TASK_CLOSED."
        )
    )
    async def claim_task(
        self,
        info: Info,
        id: TaskId,
        owner: Annotated[
            ReferenceInput | None,
            strawberry.argument(description="Who claims it, 'Type/id'; left out: the caller."),
        ] = strawberry.UNSET,
    ) -> Task:
        element, claimant = _claimant(info, owner)
        return await _change(
            info, id, Claim(element, claimant), references={"owner.reference": claimant}
        )

    @strawberry.mutation(
        description=(
            "Remove the owner; the status is left as it is. A Task with no owner is left "
            "unchanged; a closed Task is TASK_CLOSED."
        )
    )
    async def release_task(
        self, info: Info, id: TaskId, expected_version: ExpectedVersion = strawberry.UNSET
    ) -> Task:
        return await _change(info, id, Release(), expected_version)

    @strawberry.mutation(
        description=(
            "Assigns the Task to its first suggested assignee (Task.suggestedAssignees), with "
            "If-Match on the version read. ROUTING_NO_CANDIDATE when nobody fits; "
            "ALREADY_CLAIMED when it has an owner (also for the losers of concurrent routes); "
            "a closed Task is TASK_CLOSED."
        )
    )
    async def route_task(
        self, info: Info, id: TaskId, expected_version: ExpectedVersion = strawberry.UNSET
    ) -> Task:
        target, version = _target(id, expected_version)
        ctx = info.context
        ctx.access.require("Task", CHANGE)
        require_scopes(ctx.access)

        async def choose(task: Resource) -> Element | None:
            return await first_choice(ctx, task)

        written = await _writer(info).route(target, choose, expected_version=version)
        return _answer(info, written)

    @strawberry.mutation(
        description=(
            "Append a note with its time and author. Appending commutes, so a concurrent change "
            f"of the Task is re-read and the note re-applied (up to {NOTE_ATTEMPTS} attempts). "
            "Allowed on closed Tasks except ENTERED_IN_ERROR (TASK_CLOSED)."
        )
    )
    async def add_task_note(
        self,
        info: Info,
        id: TaskId,
        text: Annotated[str, strawberry.argument(description="The note.")],
        author: Annotated[
            ReferenceInput | None,
            strawberry.argument(
                description=(
                    "Who wrote it, 'Type/id'; left out: the caller. With authentication on, "
                    "only the caller, without a display (FORBIDDEN otherwise)."
                )
            ),
        ] = strawberry.UNSET,
    ) -> Task:
        target = argument_id(str(id), "id")
        note = arguments.text(text, "text")
        info.context.access.require("Task", CHANGE)
        given = _reference(author, "author", AUTHOR_TYPES)
        written_by = info.context.access.acting_for(given, "author", AUTHOR_TYPES)
        written = await _writer(info).add_note(target, note, written_by)
        return _answer(info, written)
