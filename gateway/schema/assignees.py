"""Suggested assignees: who could do a Task, read in a fixed number of FHIR requests and ranked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import strawberry

from gateway.auth import LIST, READ, Access
from gateway.fhir import Ref, Resource, try_parse_reference
from gateway.routing import (
    Candidate,
    available_at,
    eligible,
    is_active,
    licensed_for,
    licensed_states,
    patient_states,
    performer_codings,
    rank,
    role_matches,
)
from gateway.schema.context import Context
from gateway.schema.licensure_screen import patient_of
from gateway.schema.resources import Practitioner, PractitionerRole
from gateway.schema.task_filter import escape

# Tasks an owner still has to do: every status but the closed ones (behaviour.md).
OPEN_STATUSES = "draft,requested,received,accepted,ready,in-progress,on-hold"


@strawberry.type(description="A practitioner who could do a Task.")
class AssigneeSuggestion:
    practitioner: Practitioner = strawberry.field(description="Who.")
    role: PractitionerRole | None = strawberry.field(
        description=(
            "The active role whose code or specialty matches the Task's performerType; null "
            "when the Task has no performerType."
        )
    )
    licensed: bool | None = strawberry.field(
        description=(
            "Whether the practitioner holds a license valid now for the patient's state; null "
            "when the patient has no state. false only appears with "
            "GATEWAY_QUEUE_LICENSURE=false, and such candidates rank after licensed ones."
        )
    )
    available_now: bool = strawberry.field(description="A matching role is available now.")
    open_tasks: int = strawberry.field(
        description="Tasks the practitioner owns that are not in a terminal status."
    )


def _practitioner_id(role: Resource, base_url: str) -> str | None:
    practitioner = role.get("practitioner")
    text = practitioner.get("reference") if isinstance(practitioner, dict) else None
    ref = try_parse_reference(text, base_url=base_url)
    return ref.id if ref is not None and ref.type == "Practitioner" else None


async def _roles(ctx: Context, task: Resource) -> list[Resource]:
    """Active roles that may match: by code or by specialty (two searches, one round trip)."""
    wanted = performer_codings(task)
    common = [("active:not", "false"), ("_include", "PractitionerRole:practitioner")]
    if not wanted:
        page = await ctx.fhir.search_all("PractitionerRole", common)
        ctx.loaders.resource_by_ref.prime_resources(page.included)
        return page.matches
    # Bare codes find every system; role_matches then holds the systems to the queue's rule.
    tokens = ",".join(sorted({escape(code) for _, code in wanted}))
    pages = await asyncio.gather(
        *(
            ctx.fhir.search_all("PractitionerRole", [(param, tokens), *common])
            for param in ("role", "specialty")
        )
    )
    roles: dict[str, Resource] = {}
    for page in pages:
        ctx.loaders.resource_by_ref.prime_resources(page.included)
        for role in page.matches:
            roles.setdefault(str(role.get("id")), role)
    return [role for role in roles.values() if role_matches(role, wanted)]


async def _patient(ctx: Context, task: Resource) -> Resource | None:
    ref = patient_of(task, ctx.fhir.base_url)
    return None if ref is None else await ctx.loaders.resource_by_ref.load(ref)


async def _open_tasks(ctx: Context, practitioner_id: str) -> int:
    page = await ctx.fhir.search(
        "Task",
        [
            ("owner", f"Practitioner/{practitioner_id}"),
            ("status", OPEN_STATUSES),
            ("_summary", "count"),
            # A patient-facing caller learns how many of its own Tasks each one holds, no more.
            *ctx.access.task_search(),
        ],
    )
    return page.total or 0


def _to_count(candidates: list[Candidate], first: int) -> list[Candidate]:
    """The candidates whose open Tasks can change the first ``first`` places: those in the
    groups (licensed, available) that reach into them; later groups rank after anyway."""
    needed: list[Candidate] = []
    for group in sorted({(c.licensed is False, not c.available_now) for c in candidates}):
        if len(needed) >= first:
            break
        needed += [c for c in candidates if (c.licensed is False, not c.available_now) == group]
    return needed


def require_scopes(access: Access) -> None:
    """Suggesting searches roles and counts Tasks: FORBIDDEN before any request without it."""
    access.require("PractitionerRole", LIST)
    access.require("Practitioner", READ)
    access.require("Task", LIST)


async def suggest(
    ctx: Context, task: Resource, first: int, *, at: datetime | None = None
) -> list[tuple[Candidate, Resource]]:
    """The best ``first`` candidates for ``task`` with their Practitioner, best first.

    FHIR requests: two role searches (with their practitioners), the patient, and one
    ``_summary=count`` per candidate whose rank depends on it, all concurrent where they can
    be; none grows with how many Tasks anyone owns.
    """
    require_scopes(ctx.access)
    moment = at or datetime.now(UTC)
    zone = ctx.settings.clinic_zone
    roles, patient = await asyncio.gather(_roles(ctx, task), _patient(ctx, task))
    by_practitioner: dict[str, list[Resource]] = {}
    for role in sorted(roles, key=lambda r: str(r.get("id"))):
        pid = _practitioner_id(role, ctx.fhir.base_url)
        if pid is not None and is_active(role, moment, zone):
            by_practitioner.setdefault(pid, []).append(role)
    people = await ctx.loaders.resource_by_ref.load_many(
        [Ref("Practitioner", pid) for pid in by_practitioner]
    )
    states = patient_states(patient)
    candidates: list[Candidate] = []
    found: dict[str, Resource] = {}
    for (pid, held), person in zip(by_practitioner.items(), people, strict=True):
        if person is None or person.get("active") is False:
            continue
        free = [role for role in held if available_at(role, moment, zone)]
        matched: Any = (free or held)[0] if performer_codings(task) else None
        candidate = Candidate(
            practitioner_id=pid,
            role=matched,
            licensed=licensed_for(licensed_states(person, moment, zone), states),
            available_now=bool(free),
        )
        if eligible(candidate, licensure=ctx.settings.queue_licensure):
            candidates.append(candidate)
            found[pid] = person
    counted = _to_count(candidates, first)
    counts = await asyncio.gather(*(_open_tasks(ctx, c.practitioner_id) for c in counted))
    totals = {c.practitioner_id: n for c, n in zip(counted, counts, strict=True)}
    ranked = rank(
        Candidate(c.practitioner_id, c.role, c.licensed, c.available_now, totals[c.practitioner_id])
        for c in counted
    )
    return [(c, found[c.practitioner_id]) for c in ranked[:first]]


async def first_choice(ctx: Context, task: Resource) -> dict[str, Any] | None:
    """The owner routeTask gives ``task`` to: its first suggestion, or None."""
    best = await suggest(ctx, task, 1)
    return {"reference": f"Practitioner/{best[0][0].practitioner_id}"} if best else None


def as_suggestion(candidate: Candidate, practitioner: Resource) -> AssigneeSuggestion:
    return AssigneeSuggestion(
        practitioner=Practitioner.from_fhir(practitioner),
        role=PractitionerRole.from_fhir(candidate.role) if candidate.role else None,
        licensed=candidate.licensed,
        available_now=candidate.available_now,
        open_tasks=candidate.open_tasks,
    )
