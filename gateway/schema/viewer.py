"""The caller as the graph shows it: ``me`` and ``myTasks``."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.errors import BadUserInputError
from gateway.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from gateway.schema.arguments import argument_ref
from gateway.schema.connection import TaskConnection
from gateway.schema.context import Info
from gateway.schema.enums import TaskSort
from gateway.schema.inputs import TaskFilter
from gateway.schema.resources import Resource, read_resource
from gateway.schema.task_lists import list_tasks


@strawberry.type(description="The caller, as the gateway authenticated them.")
class Viewer:
    reference: str | None = strawberry.field(
        description=(
            "'Type/id' of the caller's FHIR resource (the token's fhirUser claim); null when "
            "anonymous or when the token names no user (system tokens)."
        )
    )
    patient: str | None = strawberry.field(
        description="'Patient/id' of a patient-facing token's patient context; null otherwise."
    )
    scopes: list[str] = strawberry.field(
        description="Scopes the token grants, as sent (SMART v1 or v2 syntax)."
    )

    @strawberry.field(
        description=(
            "The caller's FHIR resource (Practitioner, PractitionerRole, Patient or "
            "RelatedPerson); null when anonymous."
        )
    )
    async def resource(self, info: Info) -> Resource | None:
        caller = info.context.access.caller.reference
        return None if caller is None else await read_resource(info, caller)


@strawberry.type
class CallerQueries:
    @strawberry.field(
        description=(
            "The caller. reference is null when anonymous (GATEWAY_AUTH_MODE=none) or for a "
            "token that names no user."
        )
    )
    def me(self, info: Info) -> Viewer:
        caller = info.context.access.caller
        return Viewer(
            reference=None if caller.reference is None else str(caller.reference),
            patient=None if caller.patient is None else str(caller.patient),
            scopes=list(caller.scopes),
        )

    @strawberry.field(
        description=(
            "Tasks the caller owns (filter.owner is the caller; the rest of filter applies). "
            f"first: 1..{MAX_PAGE_SIZE}. UNAUTHENTICATED when anonymous."
        )
    )
    async def my_tasks(
        self,
        info: Info,
        filter: Annotated[
            TaskFilter | None,
            strawberry.argument(description="Conditions; all must hold. owner: the caller."),
        ] = None,
        sort: Annotated[
            TaskSort | None, strawberry.argument(description="Order of the list.")
        ] = TaskSort.LAST_UPDATED_DESC,
        first: Annotated[
            int | None, strawberry.argument(description=f"Page size, 1..{MAX_PAGE_SIZE}.")
        ] = DEFAULT_PAGE_SIZE,
        after: Annotated[
            str | None, strawberry.argument(description="endCursor of the previous page.")
        ] = None,
    ) -> TaskConnection:
        me = info.context.access.require_user()
        if filter is not None and filter.owner is not None:
            if argument_ref(filter.owner, "filter.owner") != me:
                raise BadUserInputError(
                    "filter.owner: myTasks lists the caller's own Tasks", argument="filter.owner"
                )
            filter.owner = None
        return await list_tasks(info, filter, sort, first, after, owner=me)
