"""The custom scalars of the contract: DateTime (FHIR's own text) and JSON (raw FHIR)."""

from __future__ import annotations

from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from gateway.fhir import DateTimeFormatError, parse_datetime

DateTime = NewType("DateTime", str)
JSON = NewType("JSON", dict[str, Any])


def _parse_datetime(value: Any) -> DateTime:
    """A client's DateTime: a FHIR date, or a dateTime with seconds and a zone."""
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except DateTimeFormatError:
        parsed = None
    if parsed is None or (parsed.has_time and not parsed.is_instant):
        raise ValueError(
            "DateTime must be a FHIR date or dateTime, with a time zone if it has a time"
        )
    return DateTime(value)


def _parse_json(value: Any) -> Any:
    return value


SCALARS: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        description="ISO-8601 date or date-time, exactly as FHIR writes it.",
        serialize=str,
        parse_value=_parse_datetime,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description="A FHIR resource or element as plain JSON.",
        serialize=_parse_json,
        parse_value=_parse_json,
    ),
}
