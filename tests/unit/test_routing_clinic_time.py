"""Periods read in the clinic's zone: instants compared, date-only bounds whole days, open ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.routing.clinic_time import bounds, parse_moment, period_covers

NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "at", "covered"),
    [
        (None, "2026-05-01T12:00:00", True),
        ({}, "2026-05-01T12:00:00", True),
        ({"start": "2026-05-01"}, "2026-05-01T04:00:00", True),  # 00:00 in New York
        ({"start": "2026-05-01"}, "2026-05-01T03:59:59", False),  # still April 30 there
        ({"end": "2026-05-01"}, "2026-05-02T03:59:59", True),  # the whole last day, inclusive
        ({"end": "2026-05-01"}, "2026-05-02T04:00:00", False),
        ({"end": "2026-05"}, "2026-06-01T03:00:00", True),
        ({"end": "2026"}, "2027-01-01T05:00:00", False),
        (
            {"start": "2026-05-01T10:00:00Z", "end": "2026-05-01T11:00:00Z"},
            "2026-05-01T11:00:00",
            True,
        ),
        (
            {"start": "2026-05-01T10:00:00Z", "end": "2026-05-01T11:00:00Z"},
            "2026-05-01T11:00:01",
            False,
        ),
        ({"start": "2026-05-01T10:00:00+02:00"}, "2026-05-01T07:59:59", False),
        ({"start": "2026-05-01T10:00:00+02:00"}, "2026-05-01T08:00:00", True),
        ({"start": "not a date"}, "2026-05-01T12:00:00", False),
        ({"end": 20260501}, "2026-05-01T12:00:00", False),
        ("2026", "2026-05-01T12:00:00", False),
    ],
)
def test_period_covers(period: object, at: str, covered: bool) -> None:
    assert period_covers(period, utc(at), NEW_YORK) is covered


def test_a_day_across_a_dst_change_ends_at_the_next_local_midnight() -> None:
    start, end = bounds("2026-03-08", NEW_YORK)  # 23 hours long in New York
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    assert end.astimezone(UTC) == utc("2026-03-09T04:00:00")


@given(
    st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2100, 1, 1).date()),
    st.sampled_from(["UTC", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]),
)
def test_a_date_bound_is_the_whole_local_day(day: object, zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    start, end = bounds(str(day), zone)
    local_start, local_end = (
        start.astimezone(zone),
        (end - timedelta(microseconds=1)).astimezone(zone),
    )
    assert (local_start.hour, local_start.minute) == (0, 0)
    assert local_start.date() == local_end.date() == day
    assert period_covers({"start": str(day), "end": str(day)}, start, zone)
    assert not period_covers({"start": str(day), "end": str(day)}, end, zone)


@pytest.mark.parametrize("text", ["2026-05-01", "2026-05-01T10:00:00", "2026", "soon"])
def test_a_moment_needs_a_time_and_a_zone(text: str) -> None:
    with pytest.raises(ValueError, match=r"FHIR dateTime|time zone"):
        parse_moment(text)


def test_a_moment_with_a_zone_is_that_instant() -> None:
    assert parse_moment("2026-05-01T10:00:00-04:00") == utc("2026-05-01T14:00:00")
