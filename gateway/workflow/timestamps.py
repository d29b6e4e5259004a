"""FHIR date, dateTime and instant values, read into datetimes so they can be ordered."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

# FHIR R4 dateTime (which covers date and instant): a year, optionally month and day,
# optionally a time with seconds. A missing zone is read as UTC instead of refused,
# because stored data from lenient servers has it.
_DATE_TIME: Final = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


def parse_fhir_datetime(value: str) -> datetime:
    """The earliest instant a FHIR date/dateTime/instant denotes, as an aware datetime."""
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        raise ValueError(f"not a FHIR dateTime: {value!r}")
    part = match.groupdict()
    zone = part["zone"]
    tz = UTC
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    try:
        return datetime(
            int(part["year"]),
            int(part["month"] or 1),
            int(part["day"] or 1),
            int(part["hour"] or 0),
            int(part["minute"] or 0),
            # FHIR allows a leap second (60); datetime does not.
            min(int(part["second"] or 0), 59),
            int((part["fraction"] or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise ValueError(f"not a FHIR dateTime: {value!r}") from exc


def is_full_instant(value: str) -> bool:
    """True when `value` is a FHIR instant: a date and a time with seconds and a zone."""
    match = _DATE_TIME.fullmatch(value)
    return match is not None and match["zone"] is not None


def format_instant(moment: datetime) -> str:
    """A FHIR instant in UTC, with milliseconds only when there are any."""
    utc = moment.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond // 1000:03d}"
    return text + "Z"


def not_before(now: str, floor: object) -> str:
    """`now`, or `floor` when clock skew puts `floor` (e.g. authoredOn) after `now`.

    `now` must be a FHIR instant; a `floor` that is absent or not a dateTime is ignored.
    The result is always an instant, as Task.lastModified and Period bounds need.
    """
    if not is_full_instant(now):
        raise ValueError(f"now must be a FHIR instant (with a time zone): {now!r}")
    if not isinstance(floor, str):
        return now
    try:
        floor_moment = parse_fhir_datetime(floor)
    except ValueError:
        return now
    if floor_moment <= parse_fhir_datetime(now):
        return now
    return floor if is_full_instant(floor) else format_instant(floor_moment)
