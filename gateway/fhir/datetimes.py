"""FHIR date, dateTime and instant text: the one grammar that reads it, and instants written."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

# R4 dateTime (which covers date and instant), read leniently where servers and search
# values differ from the spec: seconds may be missing ('2026-11-25T10:00', search precision)
# and so may the zone (stored data from lenient servers). Callers that need more say so.
_GRAMMAR: Final = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?",
    re.ASCII,  # \d alone would accept Arabic-Indic and other digits
)


class DateTimeFormatError(ValueError):
    """Text that is not a FHIR date, dateTime or instant."""


@dataclass(frozen=True)
class FhirDateTime:
    """A FHIR date/dateTime/instant split into its parts; None where the text stops."""

    year: int
    month: int | None
    day: int | None
    hour: int | None
    minute: int | None
    second: int | None
    fraction: str | None  # the digits after the decimal point, as written
    zone: str | None  # 'Z', '+hh:mm' or '-hh:mm'

    @property
    def has_time(self) -> bool:
        return self.hour is not None

    @property
    def is_instant(self) -> bool:
        """A date and a time with seconds and a zone, as Task.lastModified needs."""
        return self.second is not None and self.zone is not None

    @property
    def offset(self) -> timedelta:
        """The zone's offset from UTC; a missing zone reads as UTC."""
        if self.zone is None or self.zone == "Z":
            return timedelta(0)
        sign = -1 if self.zone[0] == "-" else 1
        return sign * timedelta(hours=int(self.zone[1:3]), minutes=int(self.zone[4:6]))

    def earliest(self) -> datetime:
        """The first instant the text denotes, as an aware datetime in its own zone."""
        return datetime(
            self.year,
            self.month or 1,
            self.day or 1,
            self.hour or 0,
            self.minute or 0,
            # FHIR allows a leap second (60); datetime does not.
            min(self.second or 0, 59),
            int((self.fraction or "0")[:6].ljust(6, "0")),
            tzinfo=timezone(self.offset) if self.offset else UTC,
        )


def parse_datetime(text: str) -> FhirDateTime:
    """The parts of a FHIR date/dateTime/instant; DateTimeFormatError when it is not one."""
    match = _GRAMMAR.fullmatch(text)
    if match is None:
        raise DateTimeFormatError(f"not a FHIR dateTime: {text!r}")
    part = match.groupdict()
    value = FhirDateTime(
        year=int(part["year"]),
        month=_int(part["month"]),
        day=_int(part["day"]),
        hour=_int(part["hour"]),
        minute=_int(part["minute"]),
        second=_int(part["second"]),
        fraction=part["fraction"],
        zone=part["zone"],
    )
    _check_ranges(value, text)
    return value


def format_instant(moment: datetime) -> str:
    """A FHIR instant in UTC with milliseconds, e.g. 2026-11-25T12:00:00.123Z.

    Always with milliseconds, so instants written by the gateway order as text.
    """
    utc = moment.astimezone(UTC)
    # strftime's %Y does not pad years before 1000 on every platform.
    return f"{utc.year:04d}-" + utc.strftime("%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _check_ranges(value: FhirDateTime, text: str) -> None:
    month, day = value.month or 1, value.day or 1
    if value.year < 1 or not 1 <= month <= 12:
        raise DateTimeFormatError(f"not a valid date: {text!r}")
    if not 1 <= day <= calendar.monthrange(value.year, month)[1]:
        raise DateTimeFormatError(f"not a valid date: {text!r}")
    if (value.hour or 0) > 23 or (value.minute or 0) > 59 or (value.second or 0) > 60:
        raise DateTimeFormatError(f"not a valid time: {text!r}")
    if value.zone is not None and value.zone != "Z":
        hours, minutes = int(value.zone[1:3]), int(value.zone[4:6])
        if minutes > 59 or hours > 14 or (hours == 14 and minutes > 0):
            raise DateTimeFormatError(f"not a valid time zone: {text!r}")


def _int(digits: str | None) -> int | None:
    return int(digits) if digits is not None else None
