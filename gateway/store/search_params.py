"""The search parameters the store supports, per resource type, and the sort columns they feed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

ParamType = Literal["token", "reference", "date", "string", "number"]

PRIORITY_ORDER = {"stat": 4, "asap": 3, "urgent": 2, "routine": 1}


@dataclass(frozen=True)
class SearchParam:
    """One search parameter: where its values come from and how they are searched and sorted."""

    name: str
    type: ParamType
    expression: str
    paths: tuple[str, ...] = ()
    system: str = ""  # the implicit system of a bare FHIR `code` element
    target_types: tuple[str, ...] = ()  # a reference parameter restricted to these types
    derive: Callable[[Mapping[str, Any]], list[Any]] | None = None
    column: str | None = None  # a column of the resources table (_id, _lastUpdated)
    sort_column: str | None = None  # a column of the type's sort table
    documentation: str = ""


def _priority_order(resource: Mapping[str, Any]) -> list[Any]:
    # An absent priority is routine (FHIR Task.priority: "if not specified, routine").
    priority = resource.get("priority")
    return [PRIORITY_ORDER.get(priority, 1) if isinstance(priority, str) else 1]


def _p(name: str, type_: ParamType, *paths: str, **kwargs: Any) -> SearchParam:
    expression = kwargs.pop("expression", None) or " | ".join(paths)
    return SearchParam(name, type_, expression, paths, **kwargs)


COMMON_PARAMS: tuple[SearchParam, ...] = (
    SearchParam("_id", "token", "Resource.id", column="id"),
    SearchParam("_lastUpdated", "date", "Resource.meta.lastUpdated", column="last_updated"),
)

_TASK = (
    _p("authored-on", "date", "authoredOn", sort_column="authored_on"),
    _p("based-on", "reference", "basedOn"),
    _p("business-status", "token", "businessStatus"),
    _p("code", "token", "code"),
    _p("encounter", "reference", "encounter"),
    _p("focus", "reference", "focus"),
    _p("group-identifier", "token", "groupIdentifier"),
    _p("identifier", "token", "identifier"),
    _p("intent", "token", "intent", system="http://hl7.org/fhir/task-intent"),
    _p("modified", "date", "lastModified", sort_column="modified"),
    _p("owner", "reference", "owner"),
    _p("part-of", "reference", "partOf"),
    _p(
        "patient",
        "reference",
        "for",
        target_types=("Patient",),
        expression="for.where(resolve() is Patient)",
    ),
    _p("performer", "token", "performerType"),
    _p("period", "date", "executionPeriod"),
    _p(
        "priority",
        "token",
        "priority",
        system="http://hl7.org/fhir/request-priority",
        sort_column="priority",
    ),
    _p("requester", "reference", "requester"),
    _p("status", "token", "status", system="http://hl7.org/fhir/task-status", sort_column="status"),
    _p("subject", "reference", "for"),
    _p(
        "due-date",
        "date",
        "restriction.period.end",
        sort_column="due_date",
        documentation="When the Task is due: Task.restriction.period.end (as Medplum defines it)",
    ),
    _p(
        "priority-order",
        "number",
        expression="stat=4, asap=3, urgent=2, routine=1 or absent=1, from Task.priority",
        derive=_priority_order,
        sort_column="priority_order",
        documentation="Task.priority as a number for sorting: stat 4, asap 3, urgent 2, routine 1",
    ),
)
_NAMES = (
    _p("name", "string", "name"),
    _p("family", "string", "name.family"),
    _p("given", "string", "name.given"),
    _p("identifier", "token", "identifier"),
)
_ACTIVE = _p("active", "token", "active")

_BY_TYPE: dict[str, tuple[SearchParam, ...]] = {
    "Task": _TASK,
    "Patient": (
        *_NAMES,
        _p("birthdate", "date", "birthDate"),
        _p("gender", "token", "gender", system="http://hl7.org/fhir/administrative-gender"),
        _p("address-state", "string", "address.state"),
    ),
    "Practitioner": (*_NAMES, _ACTIVE),
    "PractitionerRole": (
        _p("practitioner", "reference", "practitioner"),
        _p("organization", "reference", "organization"),
        _p("role", "token", "code"),
        _p("specialty", "token", "specialty"),
        _ACTIVE,
    ),
    "Organization": (
        _p("name", "string", "name", "alias"),
        _p("identifier", "token", "identifier"),
        _ACTIVE,
    ),
    "CareTeam": (
        _p("name", "string", "name"),
        _p("status", "token", "status", system="http://hl7.org/fhir/care-team-status"),
        _p("subject", "reference", "subject"),
        _p("participant", "reference", "participant.member"),
    ),
    # The audit trail: Provenance.target names Task versions ('Task/1/_history/2'), indexed
    # by the resource ('Task/1'), so target=Task/1 finds the records of every version.
    "Provenance": (
        _p("target", "reference", "target"),
        _p("agent", "reference", "agent.who"),
        _p("recorded", "date", "recorded"),
    ),
    "HealthcareService": (
        _p("name", "string", "name"),
        _ACTIVE,
        _p("organization", "reference", "providedBy"),
        _p("service-type", "token", "type"),
    ),
}

# Per-type tables of sort keys, one row per live resource; columns come from `sort_column`.
SORT_TABLES: dict[str, str] = {"Task": "task_sort"}


def indexed_types() -> tuple[str, ...]:
    """Resource types with parameters beyond _id and _lastUpdated."""
    return tuple(_BY_TYPE)


def params_for(resource_type: str) -> dict[str, SearchParam]:
    """Every search parameter of a type, by name (any type has _id and _lastUpdated)."""
    return {p.name: p for p in (*COMMON_PARAMS, *_BY_TYPE.get(resource_type, ()))}


def indexed_params(resource_type: str) -> tuple[SearchParam, ...]:
    """The parameters whose values live in the index tables (not resources columns)."""
    return _BY_TYPE.get(resource_type, ())


def sort_columns(resource_type: str) -> dict[str, SearchParam]:
    """Sort-table column name -> the parameter that fills it."""
    return {p.sort_column: p for p in _BY_TYPE.get(resource_type, ()) if p.sort_column}
