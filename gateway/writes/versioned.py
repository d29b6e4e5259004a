"""Versioned Task I/O: read a Task with its version, PUT with If-Match, report a conflict."""

from __future__ import annotations

from gateway.errors import NotFoundError, UnsupportedByServerError, VersionConflictError
from gateway.fhir import FhirClient, FhirConflictError, FhirNotFoundError, Ref, Resource, version_of
from gateway.writes.audit import AuditTrail


async def read_task(fhir: FhirClient, task_id: str, *, what: str = "Task") -> Resource:
    """The current version of a Task; NOT_FOUND when there is none."""
    try:
        task = await fhir.read(Ref("Task", task_id))
    except FhirNotFoundError:
        raise NotFoundError(f"No such {what}") from None
    if task.get("resourceType") != "Task":
        raise NotFoundError(f"No such {what}")
    return task


def current_version(task: Resource) -> str:
    """The versionId to guard a write with; a server that gives none cannot be written safely."""
    version = version_of(task)
    if version is None:
        raise UnsupportedByServerError(
            "The FHIR server gives Tasks no meta.versionId, so writes cannot be guarded"
        )
    return version


async def put_if_match(
    fhir: FhirClient, trail: AuditTrail, task: Resource, version: str, previous: Resource
) -> Resource:
    """PUT ``task`` (with its Provenance) only if the server still holds ``version``, the
    version of ``previous``; never retried.

    On 409/412 the Task is read again so the error can say which version is current.
    """
    try:
        return await trail.update(task, if_match=version, previous=previous)
    except FhirConflictError:
        raise await conflict(fhir, str(task["id"])) from None


async def conflict(fhir: FhirClient, task_id: str) -> VersionConflictError:
    """The VERSION_CONFLICT to report after a refused write, with the version now current."""
    latest = await read_task(fhir, task_id)
    return VersionConflictError(
        "The Task was changed by someone else; nothing was written",
        current_version=version_of(latest),
    )
