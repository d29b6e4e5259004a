"""FHIR dates as millisecond ranges at their precision."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.fhir.datetimes import DateTimeFormatError, format_instant
from gateway.store.dates import date_range, format_http_date, from_ms


def ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("2026", ms(2026, 1, 1), ms(2027, 1, 1) - 1),
        ("2024-02", ms(2024, 2, 1), ms(2024, 3, 1) - 1),
        ("2026-11-25", ms(2026, 11, 25), ms(2026, 11, 26) - 1),
        ("2026-11-25T10:00Z", ms(2026, 11, 25, 10), ms(2026, 11, 25, 10, 1) - 1),
        ("2026-11-25T10:00:05Z", ms(2026, 11, 25, 10, 0, 5), ms(2026, 11, 25, 10, 0, 6) - 1),
        (
            "2026-11-25T10:00:05.1Z",
            ms(2026, 11, 25, 10, 0, 5) + 100,
            ms(2026, 11, 25, 10, 0, 5) + 199,
        ),
        (
            "2026-11-25T10:00:05.123456Z",
            ms(2026, 11, 25, 10, 0, 5) + 123,
            ms(2026, 11, 25, 10, 0, 5) + 123,
        ),
        ("2026-11-25T10:00:00+02:00", ms(2026, 11, 25, 8), ms(2026, 11, 25, 8, 0, 1) - 1),
        ("2026-11-25T10:00:00-05:30", ms(2026, 11, 25, 15, 30), ms(2026, 11, 25, 15, 30, 1) - 1),
        ("2026-11-25T10:00:00", ms(2026, 11, 25, 10), ms(2026, 11, 25, 10, 0, 1) - 1),
    ],
)
def test_range_covers_the_precision(text: str, low: int, high: int) -> None:
    assert date_range(text) == (low, high)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "26",
        "2026-13",
        "2026-02-30",
        "2026-11-25T24:00Z",
        "2026-11-25T10:61Z",
        "25/11/2026",
        "2026-11-25T10:00:00+15:00",
        "2026-11-25 10:00",
    ],
)
def test_malformed_dates_are_refused(text: str) -> None:
    with pytest.raises(DateTimeFormatError):
        date_range(text)


def test_instant_and_http_date_formats() -> None:
    stamp = ms(2026, 11, 25, 12, 0, 0) + 123

    assert format_instant(from_ms(stamp)) == "2026-11-25T12:00:00.123Z"
    assert format_http_date(stamp) == "Wed, 25 Nov 2026 12:00:00 GMT"


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
def test_formatted_instants_read_back_to_the_same_millisecond(moment: datetime) -> None:
    stamp = int(moment.replace(tzinfo=UTC).timestamp() * 1000)

    assert date_range(format_instant(from_ms(stamp))) == (stamp, stamp)
