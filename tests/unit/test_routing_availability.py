"""Availability of a PractitionerRole at chosen moments: weekdays, times, zone, notAvailable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.routing import available_at, is_active

CHICAGO = ZoneInfo("America/Chicago")


def local(text: str) -> datetime:
    """A wall-clock moment in Chicago (2026-05-04 is a Monday; CDT, UTC-5)."""
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO).astimezone(UTC)


def role(*times: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "PractitionerRole", "availableTime": list(times), **fields}


WEEKDAYS = {
    "daysOfWeek": ["mon", "tue", "wed", "thu", "fri"],
    "availableStartTime": "09:00:00",
    "availableEndTime": "17:00:00",
}
NIGHTS = {"daysOfWeek": ["fri"], "availableStartTime": "22:00:00", "availableEndTime": "06:00:00"}


@pytest.mark.parametrize(
    ("entry", "at", "available"),
    [
        (WEEKDAYS, "2026-05-04T09:00:00", True),
        (WEEKDAYS, "2026-05-04T08:59:59", False),
        (WEEKDAYS, "2026-05-04T16:59:59", True),
        (WEEKDAYS, "2026-05-04T17:00:00", False),  # end times are exclusive
        (WEEKDAYS, "2026-05-09T12:00:00", False),  # Saturday
        (NIGHTS, "2026-05-08T23:00:00", True),  # Friday night
        (NIGHTS, "2026-05-09T05:59:00", True),  # ... running into Saturday morning
        (NIGHTS, "2026-05-09T06:00:00", False),
        (NIGHTS, "2026-05-09T23:00:00", False),  # Saturday night is not listed
        (NIGHTS, "2026-05-08T05:00:00", False),  # Friday early: Thursday night is not listed
        ({"daysOfWeek": ["sun"], "allDay": True}, "2026-05-10T00:00:00", True),
        ({"daysOfWeek": ["sun"], "allDay": True}, "2026-05-11T00:00:00", False),
        ({"availableStartTime": "09:00:00"}, "2026-05-09T23:59:59", True),  # no days: every day
        (
            {"availableStartTime": "12:00:00", "availableEndTime": "12:00:00"},
            "2026-05-05T11:00:00",
            True,
        ),
    ],
)
def test_available_time(entry: dict[str, Any], at: str, available: bool) -> None:
    assert available_at(role(entry), local(at), CHICAGO) is available


def test_times_are_read_in_the_clinic_zone() -> None:
    monday_nine_chicago = local("2026-05-04T09:30:00")
    assert available_at(role(WEEKDAYS), monday_nine_chicago, CHICAGO)
    assert not available_at(role(WEEKDAYS), monday_nine_chicago, ZoneInfo("Asia/Tokyo"))


def test_not_available_during_wins() -> None:
    away = role(
        WEEKDAYS,
        notAvailable=[
            {"description": "Leave", "during": {"start": "2026-05-04", "end": "2026-05-05"}}
        ],
    )
    assert not available_at(away, local("2026-05-04T10:00:00"), CHICAGO)
    assert not available_at(away, local("2026-05-05T16:00:00"), CHICAGO)
    assert available_at(away, local("2026-05-06T10:00:00"), CHICAGO)
    no_during = role(WEEKDAYS, notAvailable=[{"description": "Sometimes"}])
    assert available_at(no_during, local("2026-05-04T10:00:00"), CHICAGO)


@pytest.mark.parametrize(
    ("fields", "active"),
    [
        ({}, True),
        ({"active": True}, True),
        ({"active": False}, False),
        ({"period": {"end": "2026-05-03"}}, False),
        ({"period": {"start": "2026-05-04"}}, True),
        ({"period": {"start": "2026-05-05"}}, False),
    ],
)
def test_a_role_is_available_only_while_active_and_in_its_period(
    fields: dict[str, Any], active: bool
) -> None:
    at = local("2026-05-04T10:00:00")
    assert is_active(role(**fields), at, CHICAGO) is active
    assert available_at(role(WEEKDAYS, **fields), at, CHICAGO) is active
    assert available_at({"resourceType": "PractitionerRole", **fields}, at, CHICAGO) is active


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
    st.sampled_from(["UTC", "America/Chicago", "Australia/Lord_Howe", "Asia/Kathmandu"]),
    st.integers(0, 23),
    st.integers(1, 23),
)
def test_an_overnight_shift_covers_the_start_day_from_start_and_the_next_day_until_end(
    moment: datetime, zone_name: str, start_hour: int, length: int
) -> None:
    zone = ZoneInfo(zone_name)
    at = moment.replace(tzinfo=UTC)
    wall = at.astimezone(zone)
    day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][wall.weekday()]
    end_hour = (start_hour + length) % 24
    entry = {
        "daysOfWeek": [day],
        "availableStartTime": f"{start_hour:02d}:00:00",
        "availableEndTime": f"{end_hour:02d}:00:00",
    }
    hour = wall.hour
    # Overnight: this morning belongs to yesterday's shift, which is not listed.
    expected = start_hour <= hour < end_hour if end_hour > start_hour else hour >= start_hour
    assert available_at(role(entry), at, zone) is expected
    next_day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][(wall.weekday() + 1) % 7]
    tomorrow = dict(entry, daysOfWeek=[next_day])
    # A shift listed for tomorrow never reaches back into today.
    assert available_at(role(tomorrow), at, zone) is False
