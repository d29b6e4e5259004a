"""Whose work queue: the practitioner it belongs to and the active roles that define it."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.auth import LIST, READ, Access
from gateway.errors import BadUserInputError, NotFoundError
from gateway.fhir import Ref, Resource, try_parse_reference
from gateway.schema.arguments import argument_id
from gateway.schema.context import Info

# Whose queue taskQueue lists and taskQueueChanged follows.
PractitionerArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(description="Practitioner id; left out: the caller."),
]


def require_queue_scopes(access: Access) -> None:
    """What reading a queue, or following it live, takes: listing Tasks, searching the
    practitioner's roles and reading the practitioner (licensure); FORBIDDEN before any request."""
    access.require("Task", LIST)
    access.require("PractitionerRole", LIST)
    access.require("Practitioner", READ)


async def whose_queue(info: Info, practitioner: strawberry.ID | None) -> str:
    """The practitioner id of the queue a caller asks for (its own when None), once the
    caller's scopes allow reading a queue."""
    require_queue_scopes(info.context.access)
    if practitioner is None:
        return await callers_practitioner(info)
    return argument_id(str(practitioner), "practitioner")


async def callers_practitioner(info: Info) -> str:
    """Whose queue a caller reads without naming a practitioner: its own (behaviour.md)."""
    caller = info.context.access.acting_as("practitioner")
    if caller.type == "Practitioner":
        return caller.id
    if caller.type == "PractitionerRole":
        role = await info.context.loaders.resource_by_ref.load(caller)
        practitioner = (role or {}).get("practitioner")
        text = practitioner.get("reference") if isinstance(practitioner, dict) else None
        ref = try_parse_reference(text, base_url=info.context.fhir.base_url)
        if ref is not None and ref.type == "Practitioner":
            return ref.id
    raise BadUserInputError(
        "practitioner: the caller is not a practitioner, so name whose queue to read",
        argument="practitioner",
    )


async def practitioner_and_roles(
    info: Info, practitioner_id: str
) -> tuple[Resource, list[Resource]]:
    """The Practitioner and its active PractitionerRoles, in one search; NOT_FOUND when there
    is no such Practitioner."""
    ctx = info.context
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
    return person, roles.matches
