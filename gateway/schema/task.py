"""The Task type: FHIR Task fields as plain attributes, and its references and subtasks resolved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from gateway.auth import READ
from gateway.errors import BadUserInputError, QueryTooComplexError, UpstreamError
from gateway.fhir import Resource as FhirResource
from gateway.limits import (
    DEFAULT_HISTORY,
    DEFAULT_SUGGESTIONS,
    DEFAULT_TREE_DEPTH,
    MAX_HISTORY,
    MAX_SUBTASKS,
    MAX_SUGGESTIONS,
    MAX_TREE_DEPTH,
    MAX_TREE_TASKS,
)
from gateway.loaders import parent_ids
from gateway.schema.context import Info
from gateway.schema.elements import (
    Annotation,
    CodeableConcept,
    Period,
    Reference,
    as_datetime,
)
from gateway.schema.enums import TaskIntent, TaskPriority, TaskStatus
from gateway.schema.resources import Resource, base_fields, converter, resolve_reference
from gateway.schema.scalars import DateTime
from gateway.schema.task_history import TaskVersion, task_history

if TYPE_CHECKING:
    from gateway.schema.assignees import AssigneeSuggestion


def restriction_period(resource: FhirResource) -> dict[str, Any]:
    """Task.restriction.period ({} when absent): where a Task keeps its start and due date."""
    restriction = resource.get("restriction")
    period = restriction.get("period") if isinstance(restriction, dict) else None
    return period if isinstance(period, dict) else {}


def _status(resource: FhirResource) -> TaskStatus:
    status = TaskStatus.from_code(resource.get("status"))
    if status is None:
        # Showing some other status would misstate clinical work; the error says it is the
        # server's data, not the client's request.
        raise UpstreamError("The FHIR server holds a Task whose status is not an R4 code")
    return status


@converter("Task")
@strawberry.type(description="A FHIR Task: a piece of clinical work and where it stands.")
class Task(Resource):
    status: TaskStatus = strawberry.field(description="Where the Task is in the FHIR life cycle.")
    intent: TaskIntent = strawberry.field(description="FHIR Task.intent.")
    priority: TaskPriority | None = strawberry.field(description="How urgent; none means routine.")
    description: str | None = strawberry.field(description="Human-readable explanation.")
    authored_on: DateTime | None = strawberry.field(description="When the Task was created.")
    last_modified: DateTime | None = strawberry.field(description="When it was last changed.")
    due_date: DateTime | None = strawberry.field(description="Task.restriction.period.end")
    start_date: DateTime | None = strawberry.field(description="Task.restriction.period.start")

    # Nested elements are built from raw only when a query selects them: a page of Tasks
    # usually shows a few scalars, and building every element eagerly showed in profiles.
    @strawberry.field(
        description="Why the Task has its current status (required for on-hold and cancelled)."
    )
    def status_reason(self) -> CodeableConcept | None:
        return CodeableConcept.from_fhir(self.raw.get("statusReason"))

    @strawberry.field(description="The clinic's own funnel step.")
    def business_status(self) -> CodeableConcept | None:
        return CodeableConcept.from_fhir(self.raw.get("businessStatus"))

    @strawberry.field(description="What kind of Task this is.")
    def code(self) -> CodeableConcept | None:
        return CodeableConcept.from_fhir(self.raw.get("code"))

    @strawberry.field(
        description="When work started (first in-progress) and ended (completed/failed/cancelled)."
    )
    def execution_period(self) -> Period | None:
        return Period.from_fhir(self.raw.get("executionPeriod"))

    @strawberry.field(description="The roles that may do the Task (e.g. SNOMED CT care roles).")
    def performer_type(self) -> list[CodeableConcept]:
        return CodeableConcept.list_from_fhir(self.raw.get("performerType"))

    @strawberry.field(description="Notes, oldest first.")
    def note(self) -> list[Annotation]:
        return Annotation.list_from_fhir(self.raw.get("note"))

    @strawberry.field(description="Task.owner as stored.")
    def owner_reference(self) -> Reference | None:
        return Reference.from_fhir(self.raw.get("owner"))

    @strawberry.field(description="Task.for as stored.")
    def for_reference(self) -> Reference | None:
        return Reference.from_fhir(self.raw.get("for"))

    @strawberry.field(description="Task.focus as stored.")
    def focus_reference(self) -> Reference | None:
        return Reference.from_fhir(self.raw.get("focus"))

    @strawberry.field(description="Task.requester as stored.")
    def requester_reference(self) -> Reference | None:
        return Reference.from_fhir(self.raw.get("requester"))

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> Task:
        period = restriction_period(resource)
        description = resource.get("description")
        return cls(
            **base_fields(resource),
            status=_status(resource),
            intent=TaskIntent.from_code(resource.get("intent")) or TaskIntent.UNKNOWN,
            priority=TaskPriority.from_code(resource.get("priority")),
            description=description if isinstance(description, str) else None,
            authored_on=as_datetime(resource.get("authoredOn")),
            last_modified=as_datetime(resource.get("lastModified")),
            due_date=as_datetime(period.get("end")),
            start_date=as_datetime(period.get("start")),
        )

    @strawberry.field(
        description=(
            "Resolved Task.owner; null when absent or when the reference no longer resolves."
        )
    )
    async def owner(self, info: Info) -> Resource | None:
        return await resolve_reference(info, self.raw.get("owner"))

    @strawberry.field(name="for", description="Resolved Task.for (usually the Patient).")
    async def for_(self, info: Info) -> Resource | None:
        return await resolve_reference(info, self.raw.get("for"))

    @strawberry.field(description="Resolved Task.focus: the resource the Task acts on.")
    async def focus(self, info: Info) -> Resource | None:
        return await resolve_reference(info, self.raw.get("focus"))

    @strawberry.field(description="Resolved Task.requester.")
    async def requester(self, info: Info) -> Resource | None:
        return await resolve_reference(info, self.raw.get("requester"))

    @strawberry.field(description="Parents: the Tasks named in Task.partOf.")
    async def part_of(self, info: Info) -> list[Task] | None:
        from gateway.fhir import Ref

        access = info.context.access
        access.require("Task", READ)
        loader = info.context.loaders.resource_by_ref
        parents = parent_ids(self.raw, info.context.fhir.base_url)
        found = await loader.load_many([Ref("Task", pid) for pid in parents])
        return [Task.from_fhir(r) for r in found if r is not None and access.can_see(r)]

    @strawberry.field(
        description=(
            "Direct children: the Tasks whose partOf names this Task, ordered by authoredOn "
            f"then id. Nest the field to go deeper. More than {MAX_SUBTASKS} children is "
            "QUERY_TOO_COMPLEX: tasks(filter: {partOf}) pages through any number."
        )
    )
    async def subtasks(
        self,
        info: Info,
        status: Annotated[
            list[TaskStatus] | None,
            strawberry.argument(description="Only children in one of these statuses."),
        ] = None,
    ) -> list[Task] | None:
        access = info.context.access
        access.require("Task", READ)
        children = await info.context.loaders.children_by_parent.load(str(self.id))
        wanted = {s.code for s in status} if status else None
        return [
            Task.from_fhir(child)
            for child in children
            if (wanted is None or child.get("status") in wanted) and access.can_see(child)
        ]

    @strawberry.field(
        description=(
            "All descendants, breadth first, each once, even where partOf forms a cycle. "
            f"maxDepth: 1..{MAX_TREE_DEPTH}. A Task with more than {MAX_SUBTASKS} children, or "
            f"more than {MAX_TREE_TASKS} descendants in all, is QUERY_TOO_COMPLEX."
        )
    )
    async def subtask_tree(
        self,
        info: Info,
        max_depth: Annotated[
            int | None,
            strawberry.argument(
                description=f"How many levels below this Task to walk, 1..{MAX_TREE_DEPTH}."
            ),
        ] = DEFAULT_TREE_DEPTH,
    ) -> list[TaskTreeEntry] | None:
        if max_depth is None:
            max_depth = DEFAULT_TREE_DEPTH
        if not 1 <= max_depth <= MAX_TREE_DEPTH:
            raise BadUserInputError(
                f"maxDepth must be between 1 and {MAX_TREE_DEPTH}", argument="maxDepth"
            )
        access = info.context.access
        access.require("Task", READ)
        loader = info.context.loaders.children_by_parent
        visited = {str(self.id)}
        frontier = [str(self.id)]
        entries: list[TaskTreeEntry] = []
        for depth in range(1, max_depth + 1):
            if not frontier:
                break
            # The loader batches the whole frontier into few FHIR searches per level.
            levels = await loader.load_many(frontier)
            next_frontier = []
            for parent_id, children in zip(frontier, levels, strict=True):
                for child in children:
                    child_id = str(child.get("id"))
                    if child_id in visited or not access.can_see(child):
                        continue
                    visited.add(child_id)
                    next_frontier.append(child_id)
                    entries.append(
                        TaskTreeEntry(
                            depth=depth,
                            parent_id=strawberry.ID(parent_id),
                            task=Task.from_fhir(child),
                        )
                    )
            frontier = next_frontier
            if len(entries) > MAX_TREE_TASKS:
                raise QueryTooComplexError(
                    f"The tree below this Task has more than {MAX_TREE_TASKS} Tasks",
                    limit=MAX_TREE_TASKS,
                    value=len(entries),
                )
        return entries

    @strawberry.field(
        description=(
            f"Versions of this Task, newest first, each with who made it. first: 1..{MAX_HISTORY}."
        )
    )
    async def history(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(description=f"How many versions, 1..{MAX_HISTORY}."),
        ] = DEFAULT_HISTORY,
    ) -> list[TaskVersion] | None:
        return await task_history(info, str(self.id), DEFAULT_HISTORY if first is None else first)

    @strawberry.field(
        description=(
            "Who could do this Task, best first: practitioners with an active role matching the "
            "performerType (any active role when the Task has none) and, while licensure "
            "applies, a license valid now for the patient's state; available now before not; "
            f"then fewer open Tasks; then id. first: 1..{MAX_SUGGESTIONS}."
        )
    )
    async def suggested_assignees(
        self,
        info: Info,
        first: Annotated[
            int | None,
            strawberry.argument(description=f"How many, 1..{MAX_SUGGESTIONS}."),
        ] = DEFAULT_SUGGESTIONS,
    ) -> list[Annotated[AssigneeSuggestion, strawberry.lazy("gateway.schema.assignees")]] | None:
        # Imported here: the assignees module reads the queue's search helpers, which read
        # this module.
        from gateway.schema.assignees import as_suggestion, suggest

        if first is None:
            first = DEFAULT_SUGGESTIONS
        if not 1 <= first <= MAX_SUGGESTIONS:
            raise BadUserInputError(
                f"first must be between 1 and {MAX_SUGGESTIONS}", argument="first"
            )
        found = await suggest(info.context, self.raw, first)
        return [as_suggestion(candidate, person) for candidate, person in found]


@strawberry.type(
    description=(
        "depth 1 = a direct child; "
        "parentId = the Task through which the walk first reached this one."
    )
)
class TaskTreeEntry:
    depth: int = strawberry.field(description="Levels below the Task the walk started from.")
    parent_id: strawberry.ID = strawberry.field(description="Id of the parent on the walk.")
    task: Task = strawberry.field(description="The descendant Task.")
