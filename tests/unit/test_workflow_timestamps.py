"""workflow/timestamps.py: stamps never go before what a Task already records."""

import pytest

from gateway.workflow.timestamps import not_before


@pytest.mark.parametrize(
    ("now", "floor", "expected"),
    [
        ("2026-11-02T09:00:00Z", None, "2026-11-02T09:00:00Z"),
        ("2026-11-02T09:00:00Z", "2026-11-02T08:00:00Z", "2026-11-02T09:00:00Z"),
        ("2026-11-02T09:00:00Z", "2026-11-02T09:00:00Z", "2026-11-02T09:00:00Z"),
        # Clock skew: the floor wins, in its own spelling when it is an instant.
        ("2026-11-02T09:00:00Z", "2026-11-02T10:30:00+01:00", "2026-11-02T10:30:00+01:00"),
        ("2026-11-02T09:00:00Z", "2026-11-03", "2026-11-03T00:00:00.000Z"),
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
