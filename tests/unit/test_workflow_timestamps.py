from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.workflow.timestamps import (
    format_instant,
    is_full_instant,
    not_before,
    parse_fhir_datetime,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-11", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-02", datetime(2026, 11, 2, tzinfo=UTC)),
        ("2026-11-02T09:00:00Z", datetime(2026, 11, 2, 9, tzinfo=UTC)),
        ("2026-11-02T09:00:00.1234567Z", datetime(2026, 11, 2, 9, 0, 0, 123456, tzinfo=UTC)),
        (
            "2026-11-02T09:00:00+02:00",
            datetime(2026, 11, 2, 9, tzinfo=timezone(timedelta(hours=2))),
        ),
        ("2026-11-02T09:00:00-05:30", datetime(2026, 11, 2, 14, 30, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        ("2026-11-02T09:00:00", datetime(2026, 11, 2, 9, tzinfo=UTC)),
    ],
)
def test_parse_fhir_datetime(value: str, expected: datetime) -> None:
    assert parse_fhir_datetime(value) == expected


@pytest.mark.parametrize(
    "value", ["", "yesterday", "2026-13-01", "2026-11-02T25:00:00Z", "2026-11-02 09:00:00Z"]
)
def test_parse_refuses_what_is_not_a_datetime(value: str) -> None:
    with pytest.raises(ValueError, match="not a FHIR dateTime"):
        parse_fhir_datetime(value)


def test_is_full_instant() -> None:
    assert is_full_instant("2026-11-02T09:00:00Z")
    assert is_full_instant("2026-11-02T09:00:00.5+01:00")
    assert not is_full_instant("2026-11-02")
    assert not is_full_instant("2026-11-02T09:00:00")


def test_format_instant() -> None:
    assert format_instant(datetime(2026, 11, 2, 9, tzinfo=UTC)) == "2026-11-02T09:00:00Z"
    assert (
        format_instant(datetime(2026, 11, 2, 10, 0, 0, 250000, tzinfo=timezone(timedelta(hours=1))))
        == "2026-11-02T09:00:00.250Z"
    )


@pytest.mark.parametrize(
    ("now", "floor", "expected"),
    [
        ("2026-11-02T09:00:00Z", None, "2026-11-02T09:00:00Z"),
        ("2026-11-02T09:00:00Z", "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z"),
        ("2026-11-02T09:00:00Z", "2026-11-02T09:00:00Z", "2026-11-02T09:00:00Z"),
        # Clock skew: the floor wins, in its own spelling when it is an instant.
        ("2026-11-02T09:00:00Z", "2026-11-02T10:30:00+01:00", "2026-11-02T10:30:00+01:00"),
        ("2026-11-02T09:00:00Z", "2026-11-03", "2026-11-03T00:00:00Z"),
        ("2026-11-02T09:00:00Z", "garbage", "2026-11-02T09:00:00Z"),
        ("2026-11-02T09:00:00Z", 42, "2026-11-02T09:00:00Z"),
    ],
)
def test_not_before(now: str, floor: object, expected: str) -> None:
    assert not_before(now, floor) == expected


@pytest.mark.parametrize("now", ["2026-11-02", "2026-11-02T09:00:00", "now"])
def test_not_before_needs_an_instant(now: str) -> None:
    with pytest.raises(ValueError, match="instant"):
        not_before(now, None)
