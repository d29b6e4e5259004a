"""Planning the work queue: which Tasks a practitioner's roles can pick up, most urgent first."""

from __future__ import annotations

from typing import Any

from gateway.fhir import DateTimeFormatError, Resource, parse_datetime
from gateway.schema.change_filter import coding_matches
from gateway.schema.inputs import CodingInput
from gateway.schema.task import restriction_period
from gateway.schema.task_filter import Params, escape, token
from gateway.server_profile import ServerProfile

QUEUE_STATUSES = "requested,received,accepted,ready"
# Most urgent first; a Task with no priority counts as routine (the last bucket).
_PRIORITY_BUCKETS: list[Params] = [
    [("priority", "stat")],
    [("priority", "asap")],
    [("priority", "urgent")],
    [("priority:not", "stat"), ("priority:not", "asap"), ("priority:not", "urgent")],
]


_PRIORITY_RANK = {"stat": 0, "asap": 1, "urgent": 2}


def queue_order(task: Resource) -> tuple[Any, ...]:
    """A Task's place in the queue, as the queue's searches sort it: most urgent first (no
    priority is routine), then due-date with undated Tasks last, then id."""
    priority = task.get("priority")
    rank = _PRIORITY_RANK.get(priority, 3) if isinstance(priority, str) else 3
    due = restriction_period(task).get("end")
    try:
        moment = parse_datetime(due).earliest().timestamp() if isinstance(due, str) else None
    except DateTimeFormatError:
        moment = None
    dated = (0, moment) if moment is not None else (1, 0.0)
    return (rank, *dated, str(task.get("id") or ""))


def licensure_alternatives(licensed: frozenset[str]) -> list[Params]:
    """The queue's licensure rule as searches whose matches never overlap, one per way a Task
    qualifies (FHIR ANDs parameters, so one search cannot say "or"): the patient has a state
    the practitioner is licensed in, the patient has no state, the Task has no patient."""
    alternatives: list[Params] = []
    if licensed:
        states = ",".join(escape(state) for state in sorted(licensed))
        alternatives.append([("patient.address-state", states)])
    alternatives.append([("patient.address-state:missing", "true")])
    alternatives.append([("patient:missing", "true")])
    return alternatives


def role_codings(roles: list[Resource]) -> list[CodingInput]:
    """Every code and specialty of the given PractitionerRoles, once each."""
    codings: dict[tuple[str | None, str], CodingInput] = {}
    for role in roles:
        for concept in [*(role.get("code") or []), *(role.get("specialty") or [])]:
            for coding in (concept or {}).get("coding") or []:
                code = coding.get("code") if isinstance(coding, dict) else None
                if isinstance(code, str) and code:
                    system = coding.get("system")
                    key = (system if isinstance(system, str) else None, code)
                    codings[key] = CodingInput(system=key[0], code=code)
    return list(codings.values())


def role_tokens(roles: list[Resource]) -> list[str]:
    """'system|code' of every code and specialty of the given PractitionerRoles."""
    return sorted({token(coding) for coding in role_codings(roles)})


def in_queue(task: Resource, codings: list[CodingInput]) -> bool:
    """Whether a Task version is in the queue of roles with these codings, by the rules the
    queue's searches (``queue_segments``) state to the FHIR server: an open status, no owner,
    a performerType the roles match."""
    if task.get("status") not in QUEUE_STATUSES.split(",") or task.get("owner") is not None:
        return False
    performer = task.get("performerType")
    return any(coding_matches(performer, c.system, c.code) for c in codings)


def queue_segments(tokens: list[str], profile: ServerProfile) -> list[Params]:
    """The searches that list the queue in order: one where the server sorts by priority and
    due date as the contract needs, else one per priority bucket and due-date presence.
    The caller has checked the server has ``due-date`` (before any FHIR request)."""
    base: Params = [
        ("status", QUEUE_STATUSES),
        ("owner:missing", "true"),
        ("performer", ",".join(tokens)),
    ]
    if (
        profile.supports("priority-order")
        and profile.absent_priority_is_routine
        and profile.missing_sorts_last
    ):
        return [[*base, ("_sort", profile.sort_value(["-priority-order", "due-date", "_id"]))]]
    segments: list[Params] = []
    for bucket in _PRIORITY_BUCKETS:
        segments.append(
            [
                *base,
                *bucket,
                ("due-date:missing", "false"),
                ("_sort", profile.sort_value(["due-date", "_id"])),
            ]
        )
        segments.append([*base, *bucket, ("due-date:missing", "true"), ("_sort", "_id")])
    return segments
