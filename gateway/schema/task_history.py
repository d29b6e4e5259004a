"""Task.history: a Task's versions, newest first, each with who made it (from its Provenance)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry

from gateway.auth import LIST, READ
from gateway.errors import BadUserInputError, UpstreamError
from gateway.fhir import DateTimeFormatError, Ref, Resource, parse_datetime, version_of
from gateway.limits import MAX_HISTORY
from gateway.schema.context import Info
from gateway.schema.elements import CodeableConcept, Reference, as_datetime
from gateway.schema.enums import TaskStatus
from gateway.schema.scalars import DateTime

_OLDEST = datetime.min.replace(tzinfo=UTC)


@strawberry.type(description="One version of a Task.")
class TaskVersion:
    version_id: str = strawberry.field(description="meta.versionId of this version.")
    last_updated: DateTime | None = strawberry.field(description="meta.lastUpdated: when.")
    status: TaskStatus = strawberry.field(description="The status this version had.")
    business_status: CodeableConcept | None = strawberry.field(
        description="The business status this version had."
    )
    status_reason: CodeableConcept | None = strawberry.field(
        description="The statusReason this version had."
    )
    owner_reference: Reference | None = strawberry.field(
        description="Task.owner of this version, as stored."
    )
    agent: Reference | None = strawberry.field(
        description=(
            "Who made this version: agent.who of the Provenance whose target is this version; "
            "null when there is none."
        )
    )
    activity: str | None = strawberry.field(
        description=(
            "activity code of that Provenance (CREATE, UPDATE, ...); null when there is none."
        )
    )


async def task_history(info: Info, task_id: str, first: int) -> list[TaskVersion]:
    """The newest ``first`` versions, in two FHIR requests: the Task's history, and one
    Provenance search naming each of those versions (servers match a versioned target exactly,
    or by its resource; the records are paired with versions here either way)."""
    if not 1 <= first <= MAX_HISTORY:
        raise BadUserInputError(f"first must be between 1 and {MAX_HISTORY}", argument="first")
    ctx = info.context
    ctx.access.require("Task", READ)
    # Who made each version comes from a Provenance search: a list, like any other (behaviour.md).
    ctx.access.require("Provenance", LIST)
    task = Ref("Task", task_id)
    versions = [
        v
        for v in await ctx.fhir.history(task)
        if v.get("resourceType") == "Task" and version_of(v) is not None and ctx.access.can_see(v)
    ]
    # Not every server lists versions newest first (behaviour.md: newest meta.lastUpdated first).
    versions.sort(key=_last_updated, reverse=True)
    versions = versions[:first]
    if not versions:
        return []
    targets = [f"{task}/_history/{version_of(v)}" for v in versions]
    page = await ctx.fhir.search(
        "Provenance", [("target", ",".join(targets)), ("_count", str(2 * len(targets)))]
    )
    records = _by_target(page.matches, set(targets), ctx.fhir.base_url)
    return [_version(v, records.get(target)) for v, target in zip(versions, targets, strict=True)]


def _last_updated(version: Resource) -> datetime:
    meta = version.get("meta")
    text = meta.get("lastUpdated") if isinstance(meta, dict) else None
    try:
        return parse_datetime(text).earliest() if isinstance(text, str) else _OLDEST
    except DateTimeFormatError:
        return _OLDEST


def _by_target(records: list[Resource], targets: set[str], base_url: str) -> dict[str, Resource]:
    """The latest recorded Provenance of each target version."""
    found: dict[str, Resource] = {}
    for record in records:
        for target in record.get("target") or []:
            text = target.get("reference") if isinstance(target, dict) else None
            if not isinstance(text, str):
                continue
            if text.startswith(base_url):
                text = text[len(base_url) :]
            earlier = found.get(text)
            if text in targets and (
                earlier is None or str(record.get("recorded")) > str(earlier.get("recorded"))
            ):
                found[text] = record
    return found


def _version(task: Resource, record: Resource | None) -> TaskVersion:
    status = TaskStatus.from_code(task.get("status"))
    if status is None:
        raise UpstreamError("The FHIR server holds a Task version whose status is not an R4 code")
    meta = task.get("meta") or {}
    return TaskVersion(
        version_id=str(version_of(task)),
        last_updated=as_datetime(meta.get("lastUpdated")),
        status=status,
        business_status=CodeableConcept.from_fhir(task.get("businessStatus")),
        status_reason=CodeableConcept.from_fhir(task.get("statusReason")),
        owner_reference=Reference.from_fhir(task.get("owner")),
        agent=Reference.from_fhir(_who(record)),
        activity=_activity(record),
    )


def _who(record: Resource | None) -> Any:
    agents = record.get("agent") if record is not None else None
    first = agents[0] if isinstance(agents, list) and agents else None
    return first.get("who") if isinstance(first, dict) else None


def _activity(record: Resource | None) -> str | None:
    concept = record.get("activity") if record is not None else None
    codings = concept.get("coding") if isinstance(concept, dict) else None
    for coding in codings if isinstance(codings, list) else []:
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            code: str = coding["code"]
            return code
    return None
