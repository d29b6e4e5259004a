"""FHIR date, dateTime and instant values as inclusive millisecond ranges [low, high] in UTC."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from gateway.fhir import DateTimeFormatError, parse_datetime

# Stored index bounds for open ends (a Period without start or end).
MIN_MS = -(2**62)
MAX_MS = 2**62

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_MS = 86_400_000


def date_range(text: str, *, zone_required: bool = False) -> tuple[int, int]:
    """The range of instants a value covers at its precision: '2026' is the whole year.

    A value without a zone reads as UTC (search values may omit it); with ``zone_required``
    a dateTime with a time must carry one, as stored values must.
    """
    value = parse_datetime(text)
    if zone_required and value.has_time and value.zone is None:
        raise DateTimeFormatError(f"a dateTime with a time needs a time zone: {text!r}")
    low = _ms(value.earliest())
    if not value.has_time:
        if value.day is not None:
            days = 1
        elif value.month is not None:
            days = calendar.monthrange(value.year, value.month)[1]
        else:
            days = 366 if calendar.isleap(value.year) else 365
        return low, low + days * _DAY_MS - 1
    if value.second is None:
        return low, low + 60_000 - 1
    fraction = value.fraction or ""
    if len(fraction) >= 3:
        return low, low
    return low, low + 10 ** (3 - len(fraction)) - 1


def from_ms(ms: int) -> datetime:
    """The UTC moment of a stored millisecond timestamp."""
    return _EPOCH + timedelta(milliseconds=ms)


def format_http_date(ms: int) -> str:
    """An HTTP-date (RFC 9110) for Last-Modified."""
    return from_ms(ms).strftime("%a, %d %b %Y %H:%M:%S GMT")


def now_ms() -> int:
    return _ms(datetime.now(UTC))


def _ms(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
