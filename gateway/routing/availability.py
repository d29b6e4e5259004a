"""Availability: whether a PractitionerRole may work at a moment, read in the clinic's zone."""

from __future__ import annotations

import re
from datetime import datetime, time, tzinfo
from typing import Any

from gateway.fhir import Resource
from gateway.routing.clinic_time import period_covers

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # FHIR days-of-week, datetime.weekday()
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(\.\d+)?", re.ASCII)


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _time(value: Any) -> time | None:
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return None
    return time(int(match[1]), int(match[2]), min(int(match[3]), 59))


def is_active(role: Resource, at: datetime, zone: tzinfo) -> bool:
    """The role is not marked inactive and its period covers ``at``."""
    return role.get("active") is not False and period_covers(role.get("period"), at, zone)


def _days(entry: dict[str, Any]) -> set[int]:
    named = [d for d in entry.get("daysOfWeek") or [] if d in DAYS]
    # No daysOfWeek: the times hold on every day.
    return {DAYS.index(d) for d in named} if named else set(range(7))


def _in_entry(entry: dict[str, Any], local: datetime) -> bool:
    days = _days(entry)
    today, yesterday = local.weekday(), (local.weekday() - 1) % 7
    if entry.get("allDay") is True:
        return today in days
    start = _time(entry.get("availableStartTime")) or time(0)
    end = _time(entry.get("availableEndTime"))
    now = local.time().replace(tzinfo=None)
    if end is None:
        return today in days and now >= start
    if start < end:
        return today in days and start <= now < end
    # An end at or before the start runs past midnight into the next day (behaviour.md); it
    # counts for the day it began on (00:00-00:00 is the whole day).
    return (today in days and now >= start) or (yesterday in days and now < end)


def available_at(role: Resource, at: datetime, zone: tzinfo) -> bool:
    """Active, its period covering ``at``, not in a notAvailable ``during``, and inside one of
    its availableTime entries (a role that lists none is available whenever it is active).
    End times are exclusive: a role available 09:00-17:00 is not available at 17:00."""
    if not is_active(role, at, zone):
        return False
    for absence in _items(role.get("notAvailable")):
        during = absence.get("during")
        if during is not None and period_covers(during, at, zone):
            return False
    entries = _items(role.get("availableTime"))
    if not entries:
        return True
    local = at.astimezone(zone)
    return any(_in_entry(entry, local) for entry in entries)
