"""FHIR date, dateTime and instant values as inclusive millisecond ranges [low, high] in UTC."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

# Stored index bounds for open ends (a Period without start or end).
MIN_MS = -(2**62)
MAX_MS = 2**62

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_MS = 86_400_000
_DATE = re.compile(
    r"(?P<year>\d{4})"
    r"(?:-(?P<month>\d{2})"
    r"(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d{1,9}))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


class DateFormatError(ValueError):
    """Text that is not a FHIR date, dateTime or instant."""


def date_range(text: str) -> tuple[int, int]:
    """The range of instants a value covers at its precision: '2026' is the whole year."""
    match = _DATE.fullmatch(text)
    if match is None:
        raise DateFormatError(f"not a FHIR date/dateTime: {text!r}")
    parts = match.groupdict()
    year = int(parts["year"])
    month = int(parts["month"] or 1)
    day = int(parts["day"] or 1)
    if year < 1 or not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise DateFormatError(f"not a valid date: {text!r}")
    if parts["hour"] is None:
        if parts["day"] is not None:
            days = 1
        elif parts["month"] is not None:
            days = calendar.monthrange(year, month)[1]
        else:
            days = 366 if calendar.isleap(year) else 365
        low = _ms(datetime(year, month, day, tzinfo=UTC))
        return low, low + days * _DAY_MS - 1
    hour, minute = int(parts["hour"]), int(parts["minute"])
    second = int(parts["second"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise DateFormatError(f"not a valid time: {text!r}")
    fraction = parts["fraction"] or ""
    micros = int((fraction + "000000")[:6])
    local = datetime(year, month, day, hour, minute, second, micros, tzinfo=UTC)
    low = _ms(local) - int(_offset(parts["tz"]).total_seconds()) * 1000
    if parts["second"] is None:
        return low, low + 60_000 - 1
    if len(fraction) >= 3:
        return low, low
    return low, low + 10 ** (3 - len(fraction)) - 1


def format_instant(ms: int) -> str:
    """A FHIR instant with milliseconds, e.g. 2026-11-25T12:00:00.123Z."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    # strftime's %Y does not pad years before 1000 on every platform.
    return f"{moment.year:04d}-" + moment.strftime("%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def format_http_date(ms: int) -> str:
    """An HTTP-date (RFC 9110) for Last-Modified."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def now_ms() -> int:
    return _ms(datetime.now(UTC))


def _offset(tz: str | None) -> timedelta:
    # Search values may omit the zone (stored dateTimes with a time carry one): read it as UTC.
    if tz is None or tz == "Z":
        return timedelta(0)
    sign = -1 if tz[0] == "-" else 1
    hours, minutes = int(tz[1:3]), int(tz[4:6])
    if hours > 14 or minutes > 59:
        raise DateFormatError(f"not a valid time zone: {tz!r}")
    return sign * timedelta(hours=hours, minutes=minutes)


def _ms(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
