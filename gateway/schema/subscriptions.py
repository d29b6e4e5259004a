"""The Subscription type: Task changes as each subscriber may see them (behaviour.md, Live updates).

Every subscriber reads the process's change hub through a bounded buffer of its own; who may see
what is decided per subscriber and per change by the same Access as queries: scope ``s``, the
patient compartment (``can_see``) on the version before and after the change.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

import strawberry

from gateway.auth import LIST
from gateway.changes import TaskChangeEvent
from gateway.errors import UnauthenticatedError
from gateway.fhir import FhirError, Ref, Resource, format_instant, version_of
from gateway.schema.change_filter import TaskChangeFilter, change_matcher
from gateway.schema.context import Context, Info
from gateway.schema.licensure_screen import licensure_screen
from gateway.schema.queue_owner import (
    PractitionerArgument,
    practitioner_and_roles,
    whose_queue,
)
from gateway.schema.scalars import DateTime
from gateway.schema.task import Task
from gateway.schema.work_queue import in_queue, role_codings


@strawberry.enum(description="What a change did to a Task.")
class TaskChangeKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    DELETED = "DELETED"


@strawberry.type(description="One committed change to a Task, as the subscriber may see it.")
class TaskChange:
    kind: TaskChangeKind = strawberry.field(description="Created, updated or deleted.")
    task_id: strawberry.ID = strawberry.field(description="The Task's id.")
    version_id: str | None = strawberry.field(description="The version this change wrote.")
    task: Task | None = strawberry.field(
        description=(
            "The Task as of this change; null when DELETED or when the caller may no longer "
            "read it."
        )
    )
    in_queue: bool | None = strawberry.field(
        description=(
            "taskQueueChanged only: whether the Task is in the queue after this change "
            "(false: it left). null for taskChanged."
        )
    )
    observed_at: DateTime = strawberry.field(description="When the change was committed.")

    @classmethod
    def of(
        cls, event: TaskChangeEvent, task: Resource | None, in_queue: bool | None = None
    ) -> TaskChange:
        """The change as delivered; one object serves every subscriber the hub hands the same
        event to with the same visibility (it holds no caller's data: nested fields check access
        when resolved), so shared_events can execute it once per group of subscribers."""
        if _LATEST.event is not event:
            _LATEST.event, _LATEST.built = event, {}
        variant = (task is not None, in_queue)
        built = _LATEST.built.get(variant)
        if built is None:
            built = _LATEST.built[variant] = cls._build(event, task, in_queue)
        return built

    @classmethod
    def _build(
        cls, event: TaskChangeEvent, task: Resource | None, in_queue: bool | None
    ) -> TaskChange:
        return cls(
            kind=TaskChangeKind(event.kind),
            task_id=strawberry.ID(event.task_id),
            version_id=event.version_id,
            task=Task.from_fhir(task) if task is not None else None,
            in_queue=in_queue,
            observed_at=DateTime(format_instant(event.observed_at)),
        )


class _Latest:
    """The latest event's changes as built, by (task visible, inQueue)."""

    def __init__(self) -> None:
        self.event: TaskChangeEvent | None = None
        self.built: dict[tuple[bool, bool | None], TaskChange] = {}


# All subscribers of a process see an event one after the other, so remembering the changes
# built for the latest one saves building the same Task for each of them.
_LATEST = _Latest()


def _expired() -> UnauthenticatedError:
    return UnauthenticatedError("The token expired during the subscription", reason="expired")


async def _changes(info: Info) -> AsyncGenerator[TaskChangeEvent, None]:
    """The hub's changes until the caller's token expires (UNAUTHENTICATED, reason expired)."""
    ctx = info.context
    expires = ctx.access.caller.expires_at
    async with ctx.changes.subscribe() as subscriber:
        while True:
            if expires is None:
                event = await anext(subscriber)
            else:
                remaining = (expires - datetime.now(UTC)).total_seconds()
                if remaining <= 0:
                    raise _expired()
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the
                    # cancellation of a subscription that ends as a change arrives.
                    async with asyncio.timeout(remaining):
                        event = await anext(subscriber)
                except TimeoutError:
                    raise _expired() from None
            # Each change is resolved with empty loader caches: nothing read for one change is
            # served, stale, for a later one.
            ctx.loaders.clear()
            if ctx.settings.effective_fhir_auth == "passthrough":
                shown = await _as_the_server_shows_it(ctx, event)
                if shown is None:
                    continue
                event = shown
            yield event


async def _as_the_server_shows_it(ctx: Context, event: TaskChangeEvent) -> TaskChangeEvent | None:
    """Under passthrough the FHIR server decides what each caller may read, so a change is read
    again with the subscriber's own token: delivered as the server shows that version to it, or
    not at all (refused, gone, or already superseded: a later change follows)."""
    if event.task is None:
        return None
    try:
        task = await ctx.fhir.read(Ref("Task", event.task_id))
    except FhirError:
        return None
    if version_of(task) != event.version_id:
        return None
    return replace(event, task=task)


@strawberry.type(description="Live updates: Task changes as they are committed.")
class Subscription:
    @strawberry.subscription(
        description=(
            "Changes to the Tasks that match filter (every Task the caller may read when null). "
            "A change is delivered when the Task matches the filter before or after it; a Task "
            "the caller may no longer read is delivered once with task null."
        )
    )
    async def task_changed(
        self,
        info: Info,
        filter: Annotated[
            TaskChangeFilter | None,
            strawberry.argument(description="Conditions; all must hold (before or after)."),
        ] = None,
    ) -> AsyncGenerator[TaskChange, None]:
        access = info.context.access
        access.require("Task", LIST)
        matches = change_matcher(filter, info.context.fhir.base_url)
        unbounded = filter is None and access.patient is None
        async for event in _changes(info):
            after, before = event.task, event.previous
            if before is None and after is None:
                # A deletion whose last version nobody here saw: only a caller who may see
                # every Task, unfiltered, can be told about it.
                if unbounded:
                    yield TaskChange.of(event, None)
                continue
            if not (
                (after is not None and matches(after)) or (before is not None and matches(before))
            ):
                continue
            if after is not None and access.can_see(after):
                yield TaskChange.of(event, after)
            elif before is not None and access.can_see(before):
                yield TaskChange.of(event, None)

    @strawberry.subscription(
        description=(
            "A Task entered, left or changed in the practitioner's queue (the Tasks taskQueue "
            "lists; claimed by anyone is leaving it). The practitioner's roles are read when "
            "the subscription starts. Left out: the caller's queue."
        )
    )
    async def task_queue_changed(
        self,
        info: Info,
        practitioner: PractitionerArgument = None,
    ) -> AsyncGenerator[TaskChange, None]:
        ctx = info.context
        practitioner_id = await whose_queue(info, practitioner)
        person, roles = await practitioner_and_roles(info, practitioner_id)
        codings = role_codings(roles)

        async def queued(task: Resource | None) -> bool:
            if task is None or not in_queue(task, codings) or not ctx.access.can_see(task):
                return False
            if not ctx.settings.queue_licensure:
                return True
            screen = licensure_screen(ctx, person, datetime.now(UTC))
            return (await screen([task]))[0]

        async for event in _changes(info):
            after_in = await queued(event.task)
            if after_in or await queued(event.previous):
                yield TaskChange.of(event, _visible(info, event.task), after_in)


def _visible(info: Info, task: Resource | None) -> Resource | None:
    return task if task is not None and info.context.access.can_see(task) else None
