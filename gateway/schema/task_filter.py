"""Query planning for Task lists: TaskFilter and TaskSort as FHIR search parameters (no I/O)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from gateway.fhir import Resource
from gateway.schema.arguments import argument_ref
from gateway.schema.enums import TaskSort
from gateway.schema.inputs import CodingInput, TaskFilter
from gateway.schema.task import restriction_period
from gateway.server_profile import ServerProfile

Params = list[tuple[str, str]]
Keep = Callable[[Resource], bool]
Screen = Callable[[list[Resource]], Awaitable[list[bool]]]
"""Like Keep, for a whole page at once, where deciding needs a read (the patients' states)."""


def escape(value: str) -> str:
    """Escape FHIR search value separators (R4 search 3.1.1.5.7: \\ , $ |)."""
    for char in ("\\", ",", "$", "|"):
        value = value.replace(char, "\\" + char)
    return value


def token(coding: CodingInput) -> str:
    code = escape(coding.code)
    return f"{escape(coding.system)}|{code}" if coding.system else code


def reference_param(text: str, argument: str, *, bare_type: str | None = None) -> str:
    """'Type/id' validated, else BAD_USER_INPUT; with ``bare_type``, a bare id or that type."""
    return str(argument_ref(text, argument, bare_type=bare_type))


def filter_params(task_filter: TaskFilter | None, profile: ServerProfile) -> Params:
    if task_filter is None:
        return []
    f = task_filter
    params: Params = []
    if f.status:
        params.append(("status", ",".join(s.code for s in f.status)))
    for status in f.status_not or []:
        params.append(("status:not", status.code))
    if f.intent:
        params.append(("intent", ",".join(i.code for i in f.intent)))
    if f.priority:
        params.append(("priority", ",".join(p.code for p in f.priority)))
    if f.code:
        params.append(("code", token(f.code)))
    if f.business_status:
        params.append(("business-status", token(f.business_status)))
    if f.performer_type:
        params.append(("performer", token(f.performer_type)))
    if f.owner is not None:
        params.append(("owner", reference_param(f.owner, "filter.owner")))
    if f.unassigned is not None:
        params.append(("owner:missing", "true" if f.unassigned else "false"))
    if f.patient is not None:
        params.append(
            ("patient", reference_param(f.patient, "filter.patient", bare_type="Patient"))
        )
    if f.focus is not None:
        params.append(("focus", reference_param(f.focus, "filter.focus")))
    if f.part_of is not None:
        parent = reference_param(str(f.part_of), "filter.partOf", bare_type="Task")
        params.append(("part-of", parent))
    if f.top_level is not None:
        params.append(("part-of:missing", "true" if f.top_level else "false"))
    if f.due_before is not None:
        profile.require("due-date", "filter.dueBefore")
        params.append(("due-date", f"le{f.due_before}"))
    if f.due_after is not None:
        profile.require("due-date", "filter.dueAfter")
        params.append(("due-date", f"ge{f.due_after}"))
    if f.modified_since is not None:
        params.append(("_lastUpdated", f"ge{f.modified_since}"))
    return params


def sort_param(sort: TaskSort, profile: ServerProfile) -> tuple[str, str]:
    """The _sort value; ties are broken by id so pages never repeat or skip a Task."""
    key = sort.value.lstrip("-")
    if key in {"due-date", "priority-order"}:
        profile.require(key, f"sort {sort.name}")
    return ("_sort", profile.sort_value([sort.value, "_id"]))


def due_date_check(task_filter: TaskFilter | None, profile: ServerProfile) -> Keep | None:
    """A re-check of the due-date bounds, for servers whose due-date filter is unreliable.

    Bounds compare as FHIR text to the bound's precision ('2026-11-15' covers that day).
    """
    if task_filter is None or "due-date" not in profile.recheck:
        return None
    before, after = task_filter.due_before, task_filter.due_after
    if before is None and after is None:
        return None

    def keep(task: Resource) -> bool:
        due = restriction_period(task).get("end")
        if not isinstance(due, str):
            return False
        return (before is None or due[: len(before)] <= before) and (
            after is None or due[: len(after)] >= after
        )

    return keep
