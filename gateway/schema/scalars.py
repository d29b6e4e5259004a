"""The custom scalars of the contract: DateTime (FHIR's own text) and JSON (raw FHIR)."""

from __future__ import annotations

import re
from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

DateTime = NewType("DateTime", str)
JSON = NewType("JSON", dict[str, Any])

# FHIR date, dateTime or instant: a year, optionally month and day, and a time with a zone.
_FHIR_DATETIME = re.compile(
    r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01])"
    r"(T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00)))?)?)?",
    re.ASCII,  # \d alone would accept Arabic-Indic and other digits
)


def parse_datetime(value: Any) -> DateTime:
    if not isinstance(value, str) or not _FHIR_DATETIME.fullmatch(value):
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
        parse_value=parse_datetime,
    ),
    JSON: strawberry.scalar(
        name="JSON",
        description="A FHIR resource or element as plain JSON.",
        serialize=_parse_json,
        parse_value=_parse_json,
    ),
}
