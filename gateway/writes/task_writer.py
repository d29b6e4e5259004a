"""TaskWriter: each Task mutation as a guarded read-modify-write around the pure workflow rules."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from gateway.errors import AlreadyClaimedError, VersionConflictError
from gateway.fhir import FhirClient, Ref, Resource, version_of
from gateway.workflow import (
    UNCHANGED,
    BusinessStatusChange,
    WorkflowRules,
    apply_status_change,
    prepare_new_task,
    touch,
)
from gateway.workflow.timestamps import format_instant
from gateway.writes.edits import (
    Element,
    as_subtask,
    edit_elements,
    has_owner,
    new_note,
    owner_ref,
    owner_text,
    same_content,
    stamp_notes,
    with_note,
    with_owner,
)
from gateway.writes.elements import reference_target
from gateway.writes.versioned import (
    check_expected,
    conflict,
    current_version,
    put_if_match,
    read_task,
)

# Appending a note commutes with any other write, so a conflict is re-read and re-applied.
# Each round of a compare-and-set lets at least one writer through, so N concurrent notes
# all land within N attempts; a short random pause keeps retries from colliding again.
NOTE_ATTEMPTS: Final = 5
NOTE_RETRY_PAUSE_S: Final = 0.02

Change = Callable[[Resource, str], Resource]
"""A pure change: (the Task as read, now) -> the Task to write."""


def utc_now() -> str:
    return format_instant(datetime.now(UTC))


class TaskWriter:
    """Writes Tasks so that no update is lost.

    Every write to an existing Task reads its current version, compares the client's
    expectedVersion, applies a pure change and PUTs with ``If-Match`` on the version read.
    A change that leaves nothing to write writes nothing. Only ``add_note`` retries.
    """

    def __init__(
        self, fhir: FhirClient, rules: WorkflowRules, *, clock: Callable[[], str] = utc_now
    ) -> None:
        self._fhir = fhir
        self._rules = rules
        self._clock = clock

    async def create(self, task: Resource, *, parent_id: str | None = None) -> Resource:
        """Create ``task``; under ``parent_id``, which must exist, when given."""
        now = self._clock()
        prepared = stamp_notes(prepare_new_task(task, now=now, rules=self._rules), now)
        if parent_id is not None:
            parent = await read_task(self._fhir, parent_id, what="parent Task")
            prepared = as_subtask(prepared, parent)
        return await self._fhir.create(prepared)

    async def modify(
        self, task_id: str, change: Change, *, expected_version: str | None = None
    ) -> Resource:
        current = await read_task(self._fhir, task_id)
        version = check_expected(current, expected_version)
        now = self._clock()
        changed = change(current, now)
        if same_content(current, changed):
            return current
        return await put_if_match(self._fhir, touch(changed, now), version)

    async def update(
        self, task_id: str, edits: Mapping[str, Any], *, expected_version: str | None = None
    ) -> Resource:
        """Set (or, where None, remove) elements by dotted path."""
        return await self.modify(
            task_id, lambda task, _: edit_elements(task, edits), expected_version=expected_version
        )

    async def change_status(
        self,
        task_id: str,
        status: str,
        *,
        status_reason: Element | None = None,
        business_status: BusinessStatusChange = UNCHANGED,
        expected_version: str | None = None,
    ) -> Resource:
        def change(task: Resource, now: str) -> Resource:
            return apply_status_change(
                task,
                status,
                status_reason=status_reason,
                business_status=business_status,
                now=now,
                rules=self._rules,
            )

        return await self.modify(task_id, change, expected_version=expected_version)

    async def assign(
        self, task_id: str, owner: Element | None, *, expected_version: str | None = None
    ) -> Resource:
        """Set the owner, or remove it when ``owner`` is None; the status is left alone."""
        return await self.modify(
            task_id, lambda task, _: with_owner(task, owner), expected_version=expected_version
        )

    async def release(self, task_id: str, *, expected_version: str | None = None) -> Resource:
        return await self.assign(task_id, None, expected_version=expected_version)

    async def claim(self, task_id: str, owner: Element) -> Resource:
        """Make ``owner`` the owner, only while the Task has none: of racing claims one wins.

        The guard is the version read: a claim that loses the race to any other write gets
        412, and the Task is read again only to tell the loser who holds it now.
        """
        claimant = reference_target(owner)
        current = await read_task(self._fhir, task_id)
        version = current_version(current)
        if has_owner(current):
            return self._held_by(current, claimant)
        claimed = touch(with_owner(current, owner), self._clock())
        try:
            return await self._fhir.update(claimed, if_match=version)
        except VersionConflictError:
            latest = await read_task(self._fhir, task_id)
        if has_owner(latest):
            return self._held_by(latest, claimant)
        raise VersionConflictError(
            "The Task changed while it was being claimed; nothing was written",
            current_version=version_of(latest),
        )

    async def add_note(self, task_id: str, text: str, author: Element | None) -> Resource:
        note = new_note(text, author, self._clock())
        for attempt in range(NOTE_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, NOTE_RETRY_PAUSE_S))  # noqa: S311
            current = await read_task(self._fhir, task_id)
            version = current_version(current)
            noted = touch(with_note(current, note), self._clock())
            try:
                return await self._fhir.update(noted, if_match=version)
            except VersionConflictError:
                continue
        raise await conflict(self._fhir, task_id)

    def _held_by(self, task: Resource, claimant: Ref) -> Resource:
        """The Task when ``claimant`` already owns it (claiming is idempotent); else refused."""
        if owner_ref(task, self._fhir.base_url) == claimant:
            return task
        raise AlreadyClaimedError(owner_text(task, self._fhir.base_url))
