"""The Query type: a Task, Task lists with filters and cursors, the work queue, any resource."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import strawberry

from gateway.auth import READ
from gateway.fhir import Ref
from gateway.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from gateway.routing import licensed_states
from gateway.schema.analytics import AnalyticsQueries
from gateway.schema.arguments import argument_id, argument_ref
from gateway.schema.connection import TaskConnection
from gateway.schema.context import Info
from gateway.schema.enums import TaskSort
from gateway.schema.inputs import TaskFilter
from gateway.schema.licensure_screen import PATIENT_INCLUDE, licensure_screen
from gateway.schema.paging import check_first
from gateway.schema.queue_owner import (
    PractitionerArgument,
    practitioner_and_roles,
    whose_queue,
)
from gateway.schema.resources import Resource, read_resource
from gateway.schema.task import Task
from gateway.schema.task_lists import list_tasks, read_page
from gateway.schema.viewer import CallerQueries
from gateway.schema.work_queue import (
    licensure_alternatives,
    queue_order,
    queue_segments,
    role_tokens,
)

_PAGE_SIZE = f"Page size, 1..{MAX_PAGE_SIZE}."


@strawberry.type(description="Reads: Tasks, the work queue, and any FHIR resource by reference.")
class Query(CallerQueries, AnalyticsQueries):
    @strawberry.field(
        description="null when no such Task exists (or it lies outside the caller's compartment)"
    )
    async def task(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Task id")]
    ) -> Task | None:
        ref = Ref("Task", argument_id(str(id), "id"))
        info.context.access.require("Task", READ)
        found = await info.context.loaders.resource_by_ref.load(ref)
        if found is None or not info.context.access.can_see(found):
            return None
        return Task.from_fhir(found)

    @strawberry.field(
        description=(
            f"first: 1..{MAX_PAGE_SIZE}; after: the endCursor of the previous page. Ties are "
            "broken by id, so pages never repeat or skip a Task."
        )
    )
    async def tasks(
        self,
        info: Info,
        filter: Annotated[
            TaskFilter | None, strawberry.argument(description="Conditions; all must hold.")
        ] = None,
        sort: Annotated[
            TaskSort | None, strawberry.argument(description="Order of the list.")
        ] = TaskSort.LAST_UPDATED_DESC,
        first: Annotated[
            int | None, strawberry.argument(description=_PAGE_SIZE)
        ] = DEFAULT_PAGE_SIZE,
        after: Annotated[
            str | None, strawberry.argument(description="endCursor of the previous page.")
        ] = None,
    ) -> TaskConnection:
        return await list_tasks(info, filter, sort, first, after)

    @strawberry.field(
        description=(
            "The work a practitioner can pick up: unassigned Tasks in REQUESTED, RECEIVED, "
            "ACCEPTED or READY whose performerType matches a code or specialty of one of the "
            "practitioner's active PractitionerRoles; most urgent first (stat, asap, urgent, "
            "routine; no priority counts as routine), then soonest due (no due date last), "
            f"then id. first: 1..{MAX_PAGE_SIZE}. An unknown practitioner is NOT_FOUND; left "
            "out: the caller's queue. While licensure applies, a Task whose patient has a "
            "state is in the queue only when the practitioner holds a license valid now for "
            "one of the patient's states; a page may then hold fewer than `first` Tasks, and "
            "pages still never repeat or skip one."
        )
    )
    async def task_queue(
        self,
        info: Info,
        practitioner: PractitionerArgument = None,
        first: Annotated[
            int | None, strawberry.argument(description=_PAGE_SIZE)
        ] = DEFAULT_PAGE_SIZE,
        after: Annotated[
            str | None, strawberry.argument(description="endCursor of the previous page.")
        ] = None,
        ignore_licensure: Annotated[
            bool | None,
            strawberry.argument(
                description=(
                    "true: also Tasks for patients in states where the practitioner holds no "
                    "license valid now (GATEWAY_QUEUE_LICENSURE=false does this for everyone)."
                )
            ),
        ] = False,
    ) -> TaskConnection:
        first = check_first(first)
        ctx = info.context
        practitioner_id = await whose_queue(info, practitioner)
        profile = await ctx.profiles.get(ctx.fhir)
        profile.require("due-date", "taskQueue")
        person, roles = await practitioner_and_roles(info, practitioner_id)
        tokens = role_tokens(roles)
        if not tokens:
            return TaskConnection.empty()
        segments = queue_segments(tokens, profile)
        if ignore_licensure or not ctx.settings.queue_licensure:
            return await read_page(info, profile, segments, first, after)
        now = datetime.now(UTC)
        screen = licensure_screen(ctx, person, now)
        if not profile.chained_search:
            # Read as usual and screened: pages may be short, never repeat or skip.
            return await read_page(
                info, profile, segments, first, after, screen=screen, also_include=PATIENT_INCLUDE
            )
        # The server filters by the patient's state, so pages are full. The screen stays as a
        # check of what the server matched (address-state matches prefixes: "CA" finds "Cal").
        alternatives = licensure_alternatives(
            licensed_states(person, now, ctx.settings.clinic_zone)
        )
        return await read_page(
            info,
            profile,
            segments,
            first,
            after,
            screen=screen,
            also_include=PATIENT_INCLUDE,
            alternatives=alternatives,
            order=queue_order,
        )

    @strawberry.field(description="Read any resource by 'Type/id'; null when it does not exist.")
    async def resource(
        self,
        info: Info,
        reference: Annotated[str, strawberry.argument(description="'Type/id'")],
    ) -> Resource | None:
        return await read_resource(info, argument_ref(reference, "reference"))
