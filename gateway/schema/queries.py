"""The Query type: a Task, Task lists with filters and cursors, the work queue, any resource."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.errors import BadUserInputError, NotFoundError
from gateway.fhir import Ref
from gateway.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from gateway.schema.arguments import argument_id, argument_ref
from gateway.schema.connection import TaskConnection
from gateway.schema.context import Context, Info
from gateway.schema.enums import TaskSort
from gateway.schema.inputs import TaskFilter
from gateway.schema.paging import PageResult, SegmentedSearch, check_first
from gateway.schema.resources import Resource, to_graphql
from gateway.schema.selection import connection_node_fields
from gateway.schema.task import Task
from gateway.schema.task_filter import (
    Keep,
    Params,
    due_date_check,
    filter_params,
    sort_param,
)
from gateway.schema.work_queue import queue_segments, role_tokens
from gateway.server_profile import ServerProfile

_PAGE_SIZE = f"Page size, 1..{MAX_PAGE_SIZE}."

# Fields of a listed Task whose references one search can bring along (_include).
_INCLUDES = {
    "owner": "Task:owner",
    "for": "Task:subject",
    "focus": "Task:focus",
    "requester": "Task:requester",
    "partOf": "Task:part-of",
}


async def _read_page(
    info: Info,
    profile: ServerProfile,
    segments: list[Params],
    first: int,
    after: str | None,
    keep: Keep | None = None,
) -> TaskConnection:
    ctx: Context = info.context
    node_fields, want_total = connection_node_fields(info.selected_fields)
    wanted = node_fields & set(_INCLUDES) if profile.honours_include else set()
    includes = [("_include", _INCLUDES[name]) for name in sorted(wanted)]
    search = SegmentedSearch(
        ctx.fhir,
        ctx.cursors,
        segments,
        first=first,
        links=profile.next_links,
        want_total=want_total,
        includes=includes,
        on_include_refused=ctx.profiles.include_refused,
    )
    page: PageResult = await search.read(after)
    if keep is not None:
        # Cursors still name positions on the server, so dropping items keeps paging sound.
        page.items = [(resource, cursor) for resource, cursor in page.items if keep(resource)]
    ctx.loaders.resource_by_ref.prime_resources([r for r, _ in page.items])
    ctx.loaders.resource_by_ref.prime_resources(page.included)
    return TaskConnection.from_page(page)


@strawberry.type(description="Reads: Tasks, the work queue, and any FHIR resource by reference.")
class Query:
    @strawberry.field(description="null when no such Task exists")
    async def task(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="Task id")]
    ) -> Task | None:
        ref = Ref("Task", argument_id(str(id), "id"))
        found = await info.context.loaders.resource_by_ref.load(ref)
        return Task.from_fhir(found) if found is not None else None

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
        first = check_first(first)
        profile = await info.context.profiles.get(info.context.fhir)
        order = sort or TaskSort.LAST_UPDATED_DESC
        params = [*filter_params(filter, profile), sort_param(order, profile)]
        keep = due_date_check(filter, profile)
        return await _read_page(info, profile, [params], first, after, keep)

    @strawberry.field(
        description=(
            "The work a practitioner can pick up: unassigned Tasks in REQUESTED, RECEIVED, "
            "ACCEPTED or READY whose performerType matches a code or specialty of one of the "
            "practitioner's active PractitionerRoles; most urgent first (stat, asap, urgent, "
            "routine; no priority counts as routine), then soonest due (no due date last), "
            f"then id. first: 1..{MAX_PAGE_SIZE}. An unknown practitioner is NOT_FOUND; left "
            "out: the caller's queue."
        )
    )
    async def task_queue(
        self,
        info: Info,
        practitioner: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Practitioner id; left out: the caller."),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description=_PAGE_SIZE)
        ] = DEFAULT_PAGE_SIZE,
        after: Annotated[
            str | None, strawberry.argument(description="endCursor of the previous page.")
        ] = None,
    ) -> TaskConnection:
        first = check_first(first)
        ctx = info.context
        if practitioner is None:
            raise BadUserInputError(
                "practitioner: the gateway does not know who calls, so name whose queue to read",
                argument="practitioner",
            )
        practitioner_id = argument_id(str(practitioner), "practitioner")
        profile = await ctx.profiles.get(ctx.fhir)
        profile.require("due-date", "taskQueue")
        roles = await ctx.fhir.search_all(
            "PractitionerRole",
            [
                ("practitioner", f"Practitioner/{practitioner_id}"),
                ("active:not", "false"),
                ("_include", "PractitionerRole:practitioner"),
            ],
        )
        ctx.loaders.resource_by_ref.prime_resources(roles.included)
        person = await ctx.loaders.resource_by_ref.load(Ref("Practitioner", practitioner_id))
        if person is None:
            raise NotFoundError("No such Practitioner")
        tokens = role_tokens(roles.matches)
        if not tokens:
            return TaskConnection.empty()
        return await _read_page(info, profile, queue_segments(tokens, profile), first, after)

    @strawberry.field(description="Read any resource by 'Type/id'; null when it does not exist.")
    async def resource(
        self,
        info: Info,
        reference: Annotated[str, strawberry.argument(description="'Type/id'")],
    ) -> Resource | None:
        ref = argument_ref(reference, "reference")
        found = await info.context.loaders.resource_by_ref.load(ref)
        return to_graphql(found) if found is not None else None
