"""fhir/datetimes.py: the one FHIR dateTime grammar, and instants written in one format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.fhir.datetimes import DateTimeFormatError, format_instant, parse_datetime


@pytest.mark.parametrize(
    ("text", "earliest"),
    [
        ("2026", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-11", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-02", datetime(2026, 11, 2, tzinfo=UTC)),
        ("2026-11-02T09:00Z", datetime(2026, 11, 2, 9, tzinfo=UTC)),
        ("2026-11-02T09:00:00Z", datetime(2026, 11, 2, 9, tzinfo=UTC)),
        ("2026-11-02T09:00:00.1234567Z", datetime(2026, 11, 2, 9, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-02T09:00:00+02:00", datetime(2026, 11, 2, 7, tzinfo=UTC)),
        ("2026-11-02T09:00:00-05:30", datetime(2026, 11, 2, 14, 30, tzinfo=UTC)),
        ("2026-11-02T09:00:00+14:00", datetime(2026, 11, 1, 19, tzinfo=UTC)),
        # A leap second reads as the second before it; a missing zone as UTC.
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2026-11-02T09:00:00", datetime(2026, 11, 2, 9, tzinfo=UTC)),
    ],
)
def test_earliest_instant_of_each_precision(text: str, earliest: datetime) -> None:
    assert parse_datetime(text).earliest() == earliest


@pytest.mark.parametrize(
    "text",
    [
        "",
        "26",
        "yesterday",
        "0000-01-01",
        "2026-13",
        "2026-02-30",
        "2026-11-25T24:00Z",
        "2026-11-25T10:61Z",
        "2026-11-25T10:00:61Z",
        "2026-11-25T10:00:00+15:00",
        "2026-11-25T10:00:00+14:30",
        "2026-11-25T10:00:00.1234567890Z",
        "2026-11-25 10:00",
        "25/11/2026",
        "٢٠٢٦-11-25",  # Arabic-Indic digits are digits to \d, not to FHIR
    ],
)
def test_what_is_not_a_fhir_datetime_is_refused(text: str) -> None:
    with pytest.raises(DateTimeFormatError):
        parse_datetime(text)


@pytest.mark.parametrize(
    ("text", "has_time", "is_instant"),
    [
        ("2026-11-02", False, False),
        ("2026-11-02T09:00Z", True, False),
        ("2026-11-02T09:00:00", True, False),
        ("2026-11-02T09:00:00Z", True, True),
        ("2026-11-02T09:00:00.5+01:00", True, True),
    ],
)
def test_precision_is_reported(text: str, has_time: bool, is_instant: bool) -> None:
    value = parse_datetime(text)
    assert (value.has_time, value.is_instant) == (has_time, is_instant)


def test_instants_are_written_in_utc_with_milliseconds() -> None:
    assert format_instant(datetime(2026, 11, 2, 9, tzinfo=UTC)) == "2026-11-02T09:00:00.000Z"
    plus_one = timezone(timedelta(hours=1))
    moment = datetime(2026, 11, 2, 10, 0, 0, 250999, tzinfo=plus_one)
    assert format_instant(moment) == "2026-11-02T09:00:00.250Z"
    assert format_instant(datetime(999, 1, 2, tzinfo=UTC)) == "0999-01-02T00:00:00.000Z"


MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)


def _to_milliseconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@given(MOMENTS, MOMENTS)
def test_written_instants_read_back_and_order_as_text(first: datetime, second: datetime) -> None:
    a, b = format_instant(first), format_instant(second)
    assert parse_datetime(a).earliest() == _to_milliseconds(first)
    assert (a < b) == (_to_milliseconds(first) < _to_milliseconds(second))
