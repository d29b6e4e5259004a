"""TaskChangeFilter: which Task versions a taskChanged subscriber wants, tested in memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from gateway.fhir import Ref, Resource, try_parse_reference
from gateway.schema.arguments import argument_id, argument_ref
from gateway.schema.enums import TaskStatus
from gateway.schema.inputs import CodingInput

Matcher = Callable[[Resource], bool]


@strawberry.input(description="Which Task changes to deliver; all given conditions must hold.")
class TaskChangeFilter:
    ids: list[strawberry.ID] | None = strawberry.field(default=None, description="only these Tasks")
    owner: str | None = strawberry.field(default=None, description="'Type/id' of the owner")
    patient: str | None = strawberry.field(default=None, description="'Patient/id' (or a bare id)")
    status: list[TaskStatus] | None = strawberry.field(
        default=None, description="status is one of these"
    )
    performer_type: CodingInput | None = strawberry.field(
        default=None, description="performerType has this code (in this system, when given)"
    )
    part_of: strawberry.ID | None = strawberry.field(
        default=None, description="only direct children of this Task"
    )


def coding_matches(concepts: object, system: str | None, code: str) -> bool:
    """Whether a list of CodeableConcepts has ``code`` (in ``system``, when given), as a FHIR
    token search matches it."""
    for concept in concepts if isinstance(concepts, list) else []:
        codings = concept.get("coding") if isinstance(concept, dict) else None
        for coding in codings if isinstance(codings, list) else []:
            if not isinstance(coding, dict) or coding.get("code") != code:
                continue
            if system is None or coding.get("system") == system:
                return True
    return False


def _refers_to(element: object, wanted: Ref, base_url: str | None) -> bool:
    text = element.get("reference") if isinstance(element, dict) else None
    return try_parse_reference(text, base_url=base_url) == wanted


def change_matcher(task_filter: TaskChangeFilter | None, base_url: str | None) -> Matcher:
    """A test of one Task version; arguments are checked now (BAD_USER_INPUT), before any
    change is waited for."""
    if task_filter is None:
        return lambda task: True
    f = task_filter
    tests: list[Matcher] = []
    if f.ids is not None:
        ids = {argument_id(str(i), "filter.ids") for i in f.ids}
        tests.append(lambda task: task.get("id") in ids)
    if f.owner is not None:
        owner = argument_ref(f.owner, "filter.owner")
        tests.append(lambda task: _refers_to(task.get("owner"), owner, base_url))
    if f.patient is not None:
        patient = argument_ref(f.patient, "filter.patient", bare_type="Patient")
        tests.append(lambda task: _refers_to(task.get("for"), patient, base_url))
    if f.status:
        codes = {s.code for s in f.status}
        tests.append(lambda task: task.get("status") in codes)
    if f.performer_type is not None:
        system, code = f.performer_type.system, f.performer_type.code
        tests.append(lambda task: coding_matches(task.get("performerType"), system, code))
    if f.part_of is not None:
        parent = Ref("Task", argument_id(str(f.part_of), "filter.partOf"))
        tests.append(lambda task: _parent_is(task.get("partOf"), parent, base_url))
    return lambda task: all(test(task) for test in tests)


def _parent_is(parents: Any, wanted: Ref, base_url: str | None) -> bool:
    return isinstance(parents, list) and any(_refers_to(p, wanted, base_url) for p in parents)
