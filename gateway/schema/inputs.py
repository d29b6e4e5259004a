"""GraphQL input types: codes, references, the Task filter and the Task mutation inputs."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.schema.enums import TaskIntent, TaskPriority, TaskStatus
from gateway.schema.scalars import DateTime


@strawberry.input(description="A code from a code system.")
class CodingInput:
    system: str | None = strawberry.field(default=None, description="The code system's URI.")
    code: str = strawberry.field(description="The code.")
    display: str | None = strawberry.field(default=None, description="Human text for the code.")

    def to_fhir(self) -> dict[str, Any]:
        coding = {"system": self.system, "code": self.code, "display": self.display}
        return {k: v for k, v in coding.items() if v is not None}


@strawberry.input(description="A concept given by codes and/or text.")
class CodeableConceptInput:
    coding: list[CodingInput] | None = strawberry.field(default=None, description="Codes.")
    text: str | None = strawberry.field(default=None, description="Plain text.")

    def to_fhir(self) -> dict[str, Any]:
        concept: dict[str, Any] = {}
        if self.coding:
            concept["coding"] = [c.to_fhir() for c in self.coding]
        if self.text is not None:
            concept["text"] = self.text
        return concept


@strawberry.input(description="reference is 'Type/id', e.g. 'Practitioner/123'.")
class ReferenceInput:
    reference: str = strawberry.field(description="'Type/id' of the resource.")
    display: str | None = strawberry.field(default=None, description="Text to show for it.")


@strawberry.input(description="Which Tasks to list; all given conditions must hold.")
class TaskFilter:
    status: list[TaskStatus] | None = strawberry.field(
        default=None, description="status is one of these"
    )
    status_not: list[TaskStatus] | None = strawberry.field(
        default=None, description="status is none of these"
    )
    intent: list[TaskIntent] | None = strawberry.field(
        default=None, description="intent is one of these"
    )
    priority: list[TaskPriority] | None = strawberry.field(
        default=None, description="priority is one of these"
    )
    code: CodingInput | None = strawberry.field(default=None, description="Task.code has this code")
    business_status: CodingInput | None = strawberry.field(
        default=None, description="businessStatus has this code"
    )
    performer_type: CodingInput | None = strawberry.field(
        default=None, description="performerType has this code"
    )
    owner: str | None = strawberry.field(default=None, description="'Type/id' of the owner")
    unassigned: bool | None = strawberry.field(
        default=None, description="true: only Tasks with no owner; false: only Tasks with one"
    )
    patient: str | None = strawberry.field(default=None, description="'Patient/id'")
    focus: str | None = strawberry.field(
        default=None, description="'Type/id' of the focal resource"
    )
    part_of: strawberry.ID | None = strawberry.field(
        default=None, description="only direct children of this Task"
    )
    top_level: bool | None = strawberry.field(
        default=None, description="true: only Tasks that are not subtasks; false: only subtasks"
    )
    due_before: DateTime | None = strawberry.field(
        default=None, description="due date on or before (inclusive)"
    )
    due_after: DateTime | None = strawberry.field(
        default=None, description="due date on or after (inclusive)"
    )
    modified_since: DateTime | None = strawberry.field(
        default=None, description="meta.lastUpdated on or after"
    )


@strawberry.input(description="A new Task. status and intent have defaults; the rest is optional.")
class CreateTaskInput:
    status: TaskStatus | None = strawberry.field(
        default=TaskStatus.READY, description="Initial status (DRAFT..ON_HOLD)."
    )
    status_reason: CodeableConceptInput | None = strawberry.field(
        default=None, description="Why the Task has its status; required for ON_HOLD."
    )
    business_status: CodeableConceptInput | None = strawberry.field(
        default=None, description="The clinic's funnel step."
    )
    intent: TaskIntent | None = strawberry.field(
        default=TaskIntent.ORDER, description="FHIR intent."
    )
    priority: TaskPriority | None = strawberry.field(default=None, description="Urgency.")
    code: CodeableConceptInput | None = strawberry.field(default=None, description="Task type.")
    description: str | None = strawberry.field(default=None, description="Human explanation.")
    for_: ReferenceInput | None = strawberry.field(
        default=None, name="for", description="Who benefits: 'Patient/id'."
    )
    focus: ReferenceInput | None = strawberry.field(
        default=None, description="The resource acted on."
    )
    owner: ReferenceInput | None = strawberry.field(default=None, description="Who does it.")
    requester: ReferenceInput | None = strawberry.field(
        default=None,
        description=(
            "Who asks; left out: the caller. With authentication on, only the caller, "
            "without a display (FORBIDDEN otherwise)."
        ),
    )
    performer_type: list[CodeableConceptInput] | None = strawberry.field(
        default=None, description="Roles that may do it."
    )
    part_of: strawberry.ID | None = strawberry.field(
        default=None, description="id of the parent Task"
    )
    due_date: DateTime | None = strawberry.field(default=None, description="restriction.period.end")
    start_date: DateTime | None = strawberry.field(
        default=None, description="restriction.period.start"
    )
    note: str | None = strawberry.field(default=None, description="A first note.")


@strawberry.input(description="A field left out stays as it is; a field given as null is cleared.")
class UpdateTaskInput:
    priority: TaskPriority | None = strawberry.field(
        default=strawberry.UNSET, description="Urgency."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="Human explanation."
    )
    code: CodeableConceptInput | None = strawberry.field(
        default=strawberry.UNSET, description="Task type."
    )
    business_status: CodeableConceptInput | None = strawberry.field(
        default=strawberry.UNSET, description="The clinic's funnel step."
    )
    performer_type: list[CodeableConceptInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Roles that may do it."
    )
    due_date: DateTime | None = strawberry.field(
        default=strawberry.UNSET, description="restriction.period.end"
    )
    start_date: DateTime | None = strawberry.field(
        default=strawberry.UNSET, description="restriction.period.start"
    )
    focus: ReferenceInput | None = strawberry.field(
        default=strawberry.UNSET, description="The resource acted on."
    )
    for_: ReferenceInput | None = strawberry.field(
        default=strawberry.UNSET, name="for", description="Who benefits."
    )
