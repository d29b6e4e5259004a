"""Instants and FHIR Periods read in the clinic's time zone: what "covers this moment" means."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from gateway.fhir import DateTimeFormatError, parse_datetime


def bounds(text: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first instant ``text`` denotes and the first instant after it (exclusive end).

    A date without a time is the whole day (month, year) in ``zone`` (behaviour.md: date-only
    bounds are whole days in the clinic zone); a time without a zone is read in ``zone`` too.
    DateTimeFormatError when ``text`` is not a FHIR date or dateTime.
    """
    value = parse_datetime(text)
    if not value.has_time:
        start = datetime(value.year, value.month or 1, value.day or 1, tzinfo=zone)
        if value.day is not None:
            # Wall-clock arithmetic (same tzinfo): the next midnight, even across a DST change.
            end = start + timedelta(days=1)
        elif value.month is not None:
            year, month = divmod(value.month, 12)
            end = start.replace(year=value.year + year, month=month + 1)
        else:
            end = start.replace(year=value.year + 1)
        return start, end
    start = value.earliest()
    if value.zone is None:
        start = start.replace(tzinfo=zone)
    if value.fraction is not None:
        return start, start + timedelta(microseconds=1)
    return start, start + timedelta(seconds=1 if value.second is not None else 60)


def period_covers(period: Any, at: datetime, zone: tzinfo) -> bool:
    """Whether a FHIR Period covers the instant ``at``: both ends inclusive, absent ends open.

    A Period that is not an object, or a bound that is not a FHIR dateTime, covers nothing:
    unreadable data must not grant a license or an availability.
    """
    if period is None:
        return True
    if not isinstance(period, dict):
        return False
    start, end = period.get("start"), period.get("end")
    try:
        if start is not None and (not isinstance(start, str) or at < bounds(start, zone)[0]):
            return False
        if end is not None and (not isinstance(end, str) or at >= bounds(end, zone)[1]):
            return False
    except DateTimeFormatError:
        return False
    return True


def parse_moment(text: str) -> datetime:
    """A date-time with a zone as an aware datetime; ValueError for a date alone, a time
    without a zone, or anything that is not a FHIR dateTime."""
    value = parse_datetime(text)
    if not value.has_time or value.zone is None:
        raise ValueError("needs a date, a time and a time zone")
    return value.earliest()
