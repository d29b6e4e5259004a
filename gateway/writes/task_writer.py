"""TaskWriter: applies the workflow's decisions to the FHIR server, so that no update is lost."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TypeVar

from gateway.errors import BadUserInputError, RoutingNoCandidateError, VersionConflictError
from gateway.fhir import FhirClient, FhirConflictError, Ref, Resource, version_of
from gateway.limits import NOTE_ATTEMPTS, NOTE_RETRY_PAUSE_S
from gateway.workflow import (
    AddNote,
    Claim,
    Element,
    Route,
    TaskChange,
    WorkflowRules,
    as_subtask,
    decide,
    has_owner,
    new_note,
    prepare_new_task,
    stamp_notes,
)
from gateway.writes.audit import AuditTrail, utc_now
from gateway.writes.versioned import conflict, current_version, put_if_match, read_task

T = TypeVar("T")
Resolver = Callable[[Sequence[Ref]], Awaitable[Sequence[Resource | None]]]
"""Reads referenced resources in one batch (the request's loader); None where one is missing."""
Chooser = Callable[[Resource], Awaitable[Element | None]]
"""The owner a Task should go to (its first suggested assignee); None when nobody fits."""
Guard = Callable[[Resource, TaskChange], None]
"""Raises when the caller may not make this change to this Task (gateway.auth's Access)."""
# A claim or route that lost to an unrelated write is decided once more, then reported.
_REDECIDE_ATTEMPTS = 2


def _anyone(task: Resource, change: TaskChange) -> None:
    return None


class TaskWriter:
    """Reads a Task, lets the workflow rules decide the change, PUTs with ``If-Match``.

    Every write to an existing Task is guarded by the version read, so of racing writers
    one wins and the others get VERSION_CONFLICT (ALREADY_CLAIMED for claims). References
    a change points at must exist (``resolve``). Notes are retried; a claim or route without
    an expected version that lost to a write which left the Task unowned (a note) is decided
    once more on the Task as it is now; nothing else is retried.
    """

    def __init__(
        self,
        fhir: FhirClient,
        rules: WorkflowRules,
        resolve: Resolver,
        *,
        guard: Guard = _anyone,
        clock: Callable[[], str] = utc_now,
        trail: AuditTrail | None = None,
    ) -> None:
        self._fhir = fhir
        self._rules = rules
        self._resolve = resolve
        self._guard = guard
        self._clock = clock
        # Every write goes through the trail, so each new Task version gets its Provenance.
        self._trail = trail or AuditTrail(fhir, actor=None, clock=clock)

    async def create(
        self,
        task: Resource,
        *,
        parent_id: str | None = None,
        references: Mapping[str, Ref] | None = None,
    ) -> Resource:
        """Create ``task``; under ``parent_id``, which must exist; ``references`` must resolve."""
        now = self._clock()
        prepared = stamp_notes(prepare_new_task(task, now=now, rules=self._rules), now)
        parent_read = read_task(self._fhir, parent_id, what="parent Task") if parent_id else None
        parent = await _together(_maybe(parent_read), self.check_exist(references), _nothing)
        if parent is not None:
            prepared = as_subtask(prepared, parent)
        return await self._trail.create(prepared)

    async def change(
        self,
        task_id: str,
        change: TaskChange,
        *,
        expected_version: str | None = None,
        references: Mapping[str, Ref] | None = None,
    ) -> Resource:
        """Apply one change to the current version; the stored Task, written or not."""
        current = await _together(
            read_task(self._fhir, task_id),
            self.check_exist(references),
            lambda task: self._guard(task, change),
        )
        version = current_version(current)
        changed = self._decide(current, change, expected_version)
        if changed is None:
            return current
        if isinstance(change, Claim):
            return await self._claim(changed, current, change)
        return await put_if_match(self._fhir, self._trail, changed, version, current)

    async def route(
        self, task_id: str, choose: Chooser, *, expected_version: str | None = None
    ) -> Resource:
        """Give the Task to the owner ``choose`` picks for the version read, If-Match on it.

        Every refusal that needs no candidate (TASK_CLOSED, VERSION_CONFLICT, ALREADY_CLAIMED)
        comes before anyone is looked for; of racing routes one writes and the others get
        ALREADY_CLAIMED naming the winner.
        """
        current = await read_task(self._fhir, task_id)
        # With an expected version the client asked for that version or nothing: no retry.
        attempts = 1 if expected_version is not None else _REDECIDE_ATTEMPTS
        for _ in range(attempts):
            version = current_version(current)
            change, routed = await self._routing(current, choose, expected_version)
            if routed is None:
                return current
            try:
                return await self._trail.update(routed, if_match=version, previous=current)
            except FhirConflictError:
                latest = await read_task(self._fhir, task_id)
            # A winner that owns it now: ALREADY_CLAIMED naming it; closed: TASK_CLOSED.
            self._decide(latest, Route(None) if has_owner(latest) else change, None)
            current = latest
        raise VersionConflictError(
            "The Task changed while it was being routed; nothing was written",
            current_version=version_of(current),
        )

    async def _routing(
        self, current: Resource, choose: Chooser, expected_version: str | None
    ) -> tuple[Route, Resource | None]:
        """The route for this version of the Task: its candidate and the Task routed to it."""
        self._guard(current, Route(None))
        # A dry run without a candidate: only ROUTING_NO_CANDIDATE means "look for one".
        with contextlib.suppress(RoutingNoCandidateError):
            self._decide(current, Route(None), expected_version)
        change = Route(await choose(current))
        return change, self._decide(current, change, expected_version)

    async def add_note(self, task_id: str, text: str, author: Element | None) -> Resource:
        """Append a note, re-reading and re-applying it when another write got in first."""
        note = AddNote(new_note(text, author, self._clock()))
        for attempt in range(NOTE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, NOTE_RETRY_PAUSE_S))  # noqa: S311
            current = await read_task(self._fhir, task_id)
            self._guard(current, note)
            version = current_version(current)
            noted = self._decide(current, note, None)
            if noted is None:
                return current
            try:
                return await self._trail.update(noted, if_match=version, previous=current)
            except FhirConflictError:
                continue
        raise await conflict(self._fhir, task_id)

    async def check_exist(self, references: Mapping[str, Ref] | None) -> None:
        """BAD_USER_INPUT naming the first argument whose reference names no resource."""
        if not references:
            return
        arguments = list(references)
        found = await self._resolve([references[a] for a in arguments])
        for argument, resource in zip(arguments, found, strict=True):
            if resource is None:
                raise BadUserInputError(
                    f"{argument}: no such {references[argument].type}", argument=argument
                )

    def _decide(
        self, current: Resource, change: TaskChange, expected_version: str | None
    ) -> Resource | None:
        return decide(
            current,
            change,
            now=self._clock(),
            rules=self._rules,
            expected_version=expected_version,
            base_url=self._fhir.base_url,
        )

    async def _claim(self, claimed: Resource, current: Resource, claim: Claim) -> Resource:
        """Write a claim; a loser of the race learns who holds the Task now. A claim that
        lost to a write leaving the Task unowned (a note) is decided again, once."""
        for _ in range(_REDECIDE_ATTEMPTS):
            version = current_version(current)
            try:
                return await self._trail.update(claimed, if_match=version, previous=current)
            except FhirConflictError:
                latest = await read_task(self._fhir, str(claimed["id"]))
            if has_owner(latest):
                # ALREADY_CLAIMED naming the winner, unless the winner is this very claimant.
                self._decide(latest, claim, None)
                return latest
            self._guard(latest, claim)
            again = self._decide(latest, claim, None)
            if again is None:
                return latest
            current, claimed = latest, again
        raise VersionConflictError(
            "The Task changed while it was being claimed; nothing was written",
            current_version=version_of(current),
        )


async def _together(task: Awaitable[T], check: Awaitable[None], guard: Callable[[T], None]) -> T:
    """The read and the check at once, in one round trip; refusals in behaviour.md's order:
    the Task's own (NOT_FOUND), then the caller's (``guard``), then the check's."""
    found, checked = await asyncio.gather(task, check, return_exceptions=True)
    if isinstance(found, BaseException):
        raise found
    guard(found)
    if isinstance(checked, BaseException):
        raise checked
    return found


def _nothing(value: object) -> None:
    return None


async def _maybe(read: Awaitable[Resource] | None) -> Resource | None:
    return None if read is None else await read
