"""The audit trail: every Task version the gateway writes, recorded by a Provenance."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from gateway.fhir import FhirClient, FhirError, Ref, Resource, format_instant, version_of

log = logging.getLogger("gateway.audit")

DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
# RFC 8693 names the OAuth client id as a claim; its URN serves as the identifier system.
CLIENT_ID_SYSTEM = "urn:ietf:params:oauth:client-id"
GATEWAY_NAME = "fhir-task-gateway"
GATEWAY_DEVICE = "gateway"

Activity = Literal["CREATE", "UPDATE"]


def utc_now() -> str:
    return format_instant(datetime.now(UTC))


@dataclass(frozen=True)
class Actor:
    """Who a write is made for: the caller's FHIR resource, or (None) the gateway itself,
    as the OAuth client ``client_id`` when the token names one."""

    reference: Ref | None = None
    client_id: str | None = None


def provenance(
    task: Resource,
    *,
    target: str,
    activity: Activity,
    actor: Actor,
    recorded: str,
    previous: Resource | None,
) -> Resource:
    """The Provenance of one Task version: target, when, who, what, and why when it says."""
    record: dict[str, Any] = {
        "resourceType": "Provenance",
        "target": [{"reference": target}],
        "recorded": recorded,
        "activity": {"coding": [{"system": DATA_OPERATION, "code": activity}]},
    }
    if actor.reference is not None:
        record["agent"] = [{"who": {"reference": str(actor.reference)}}]
    else:
        # No one to act for (anonymous, or a system token): the gateway, as a contained Device.
        device: dict[str, Any] = {
            "resourceType": "Device",
            "id": GATEWAY_DEVICE,
            "deviceName": [{"name": GATEWAY_NAME, "type": "user-friendly-name"}],
        }
        who: dict[str, Any] = {"reference": f"#{GATEWAY_DEVICE}", "display": GATEWAY_NAME}
        if actor.client_id is not None:
            identifier = {"system": CLIENT_ID_SYSTEM, "value": actor.client_id}
            device["identifier"] = [identifier]
            who["identifier"] = identifier
        record["contained"] = [device]
        record["agent"] = [{"who": who}]
    reason = _reason_set(task, previous)
    if reason is not None:
        record["reason"] = [reason]
    return record


def _reason_set(task: Resource, previous: Resource | None) -> Any:
    """The statusReason this version sets: a new Task's, or one that came with a new status
    or replaced the one before."""
    reason = task.get("statusReason")
    if not reason:
        return None
    if previous is None or previous.get("status") != task.get("status"):
        return reason
    return reason if previous.get("statusReason") != reason else None


def versioned(task: Resource) -> str:
    """``Task/<id>/_history/<vid>``: the version a Provenance records (unversioned if none)."""
    ref = Ref("Task", str(task.get("id")))
    version = version_of(task)
    return f"{ref}/_history/{version}" if version is not None else str(ref)


class AuditTrail:
    """Writes Task versions, each with the Provenance that records it.

    Where the server's transactions are atomic, both go in one transaction Bundle, so there
    is never one without the other. Elsewhere the Task goes first: its change stands even
    when the Provenance then fails, which is logged (without PHI) and counted.
    ``actor`` None: auditing is off, and the Task is written alone. ``written`` hears of every
    Task version once it stands, with the version it replaced (subscriptions on servers that
    have no change feed of their own).
    """

    def __init__(
        self,
        fhir: FhirClient,
        *,
        actor: Actor | None,
        clock: Callable[[], str] = utc_now,
        atomic: Callable[[], Awaitable[bool]] | None = None,
        failed: Callable[[], None] | None = None,
        written: Callable[[Resource, Resource | None], None] | None = None,
    ) -> None:
        self._fhir = fhir
        self._written = written
        self._actor = actor
        self._clock = clock
        self._atomic = atomic
        self._failed = failed

    async def create(self, task: Resource) -> Resource:
        return self._announce(await self._create(task), None)

    async def update(self, task: Resource, *, if_match: str, previous: Resource) -> Resource:
        """PUT ``task`` only while ``if_match`` is current (FhirConflictError otherwise)."""
        return self._announce(
            await self._update(task, if_match=if_match, previous=previous), previous
        )

    def _announce(self, written: Resource, previous: Resource | None) -> Resource:
        if self._written is not None:
            self._written(written, previous)
        return written

    async def _create(self, task: Resource) -> Resource:
        if self._actor is None:
            return await self._fhir.create(task)
        if await self._is_atomic():
            request = {"method": "POST", "url": "Task"}
            return await self._together(task, request, "CREATE", None)
        written = await self._fhir.create(task)
        await self._record(written, "CREATE", None)
        return written

    async def _update(self, task: Resource, *, if_match: str, previous: Resource) -> Resource:
        if self._actor is None:
            return await self._fhir.update(task, if_match=if_match)
        if await self._is_atomic():
            request = {"method": "PUT", "url": f"Task/{task['id']}", "ifMatch": f'W/"{if_match}"'}
            return await self._together(task, request, "UPDATE", previous)
        written = await self._fhir.update(task, if_match=if_match)
        await self._record(written, "UPDATE", previous)
        return written

    async def _is_atomic(self) -> bool:
        return self._atomic is not None and await self._atomic()

    async def _together(
        self, task: Resource, request: Resource, activity: Activity, previous: Resource | None
    ) -> Resource:
        task_url = f"urn:uuid:{uuid.uuid4()}"
        record = self._provenance(task, task_url, activity, previous)
        written, _ = await self._fhir.transaction(
            [
                {"fullUrl": task_url, "resource": task, "request": request},
                {
                    "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                    "resource": record,
                    "request": {"method": "POST", "url": "Provenance"},
                },
            ]
        )
        return written

    async def _record(self, task: Resource, activity: Activity, previous: Resource | None) -> None:
        record = self._provenance(task, versioned(task), activity, previous)
        try:
            await self._fhir.create(record)
        except FhirError as exc:
            # The Task change stands; only the kind of failure is logged (no ids, no content).
            log.warning("audit: a Task %s stands without its Provenance: %s", activity, exc.kind)
            if self._failed is not None:
                self._failed()

    def _provenance(
        self, task: Resource, target: str, activity: Activity, previous: Resource | None
    ) -> Resource:
        assert self._actor is not None
        return provenance(
            task,
            target=target,
            activity=activity,
            actor=self._actor,
            recorded=self._clock(),
            previous=previous,
        )
