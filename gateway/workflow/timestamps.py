"""Timestamps the workflow writes: never before the moments a Task already records."""

from __future__ import annotations

from gateway.fhir import DateTimeFormatError, format_instant, parse_datetime


def not_before(now: str, floor: object) -> str:
    """`now`, or `floor` when clock skew puts `floor` (e.g. authoredOn) after `now`.

    `now` must be a FHIR instant; a `floor` that is absent or not a dateTime is ignored.
    The result is always an instant, as Task.lastModified and Period bounds need.
    """
    try:
        now_value = parse_datetime(now)
    except DateTimeFormatError:
        now_value = None
    if now_value is None or not now_value.is_instant:
        raise ValueError(f"now must be a FHIR instant (with a time zone): {now!r}")
    if not isinstance(floor, str):
        return now
    try:
        floor_value = parse_datetime(floor)
    except DateTimeFormatError:
        return now
    if floor_value.earliest() <= now_value.earliest():
        return now
    return floor if floor_value.is_instant else format_instant(floor_value.earliest())
