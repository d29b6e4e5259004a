"""Task analytics without I/O: group keys, ordering, counts that add up, turnaround quantiles."""

from __future__ import annotations

import statistics
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.task_groups import (
    Dimension,
    Group,
    Key,
    count_groups,
    hours_to_complete,
    key_of,
    median_and_p90,
    order_groups,
    turnaround_groups,
)

BASE = "https://fhir.example/R4/"
SCT = "http://snomed.info/sct"


@pytest.mark.parametrize(
    ("task", "dimension", "key"),
    [
        ({"status": "in-progress"}, Dimension.STATUS, Key("IN_PROGRESS")),
        ({"status": "entered-in-error"}, Dimension.STATUS, Key("ENTERED_IN_ERROR")),
        ({"priority": "stat"}, Dimension.PRIORITY, Key("STAT")),
        ({}, Dimension.PRIORITY, Key(None)),
        (
            {"code": {"coding": [{"system": SCT, "code": "1", "display": "One"}], "text": "t"}},
            Dimension.CODE,
            Key(f"{SCT}|1", "One"),
        ),
        ({"code": {"coding": [{"code": "1"}]}}, Dimension.CODE, Key("|1")),
        ({"code": {"coding": [{"code": "1"}], "text": "T"}}, Dimension.CODE, Key("|1", "T")),
        (
            {"statusReason": {"text": "Patient away"}},
            Dimension.STATUS_REASON,
            Key("Patient away", "Patient away"),
        ),
        ({"statusReason": {}}, Dimension.STATUS_REASON, Key(None)),
        (
            {"businessStatus": {"coding": [{"display": "no code"}, {"system": "s", "code": "b"}]}},
            Dimension.BUSINESS_STATUS,
            Key("s|b"),
        ),
        (
            {"performerType": [{"coding": [{"system": SCT, "code": "a"}]}, {"text": "second"}]},
            Dimension.PERFORMER_TYPE,
            Key(f"{SCT}|a"),
        ),
        ({"performerType": []}, Dimension.PERFORMER_TYPE, Key(None)),
        (
            {"owner": {"reference": "Practitioner/p1", "display": "Dr P"}},
            Dimension.OWNER,
            Key("Practitioner/p1", "Dr P"),
        ),
        (
            {"owner": {"reference": f"{BASE}Practitioner/p1"}},
            Dimension.OWNER,
            Key("Practitioner/p1"),
        ),
        ({"owner": {"display": "Someone"}}, Dimension.OWNER, Key(None, "Someone")),
        ({}, Dimension.OWNER, Key(None)),
    ],
)
def test_keys_are_named_as_the_contract_says(
    task: dict[str, Any], dimension: Dimension, key: Key
) -> None:
    assert key_of(task, dimension, base_url=BASE) == key


def test_groups_are_largest_first_then_keys_in_code_point_order_with_null_last() -> None:
    groups = [
        Group(("b",), (None,), 2),
        Group((None,), (None,), 2),
        Group(("B",), (None,), 2),
        Group(("a",), (None,), 1),
        Group(("z",), (None,), 5),
        Group(("gone",), (None,), 0),
    ]
    assert [(g.values[0], g.count) for g in order_groups(groups)] == [
        ("z", 5),
        ("B", 2),  # 'B' (U+0042) before 'b' (U+0062): code points, not case-folded
        ("b", 2),
        (None, 2),
        ("a", 1),
    ]


def test_two_dimensions_order_by_the_first_key_then_the_second() -> None:
    tasks: list[dict[str, Any]] = [
        {"status": "on-hold", "statusReason": {"text": "x"}},
        {"status": "on-hold"},
        {"status": "cancelled", "statusReason": {"text": "x"}},
        {"status": "cancelled", "statusReason": {"text": "a"}},
    ]
    groups = count_groups(tasks, [Dimension.STATUS, Dimension.STATUS_REASON])
    assert [g.values for g in groups] == [
        ("CANCELLED", "a"),
        ("CANCELLED", "x"),
        ("ON_HOLD", "x"),
        ("ON_HOLD", None),
    ]


def test_a_group_shows_the_least_display_whatever_the_reading_order() -> None:
    a = {"code": {"coding": [{"system": "s", "code": "1", "display": "Zeta"}]}}
    b = {"code": {"coding": [{"system": "s", "code": "1", "display": "Alpha"}]}}
    c = {"code": {"coding": [{"system": "s", "code": "1"}]}}
    for order in ([a, b, c], [c, b, a]):
        (group,) = count_groups(order, [Dimension.CODE])
        assert group.displays == ("Alpha",)
        assert group.count == 3


_codes = st.sampled_from(["a", "b", "c"])
_tasks = st.lists(
    st.fixed_dictionaries(
        {"status": st.sampled_from(["ready", "completed", "on-hold"])},
        optional={
            "priority": st.sampled_from(["routine", "stat"]),
            "code": st.builds(lambda c: {"coding": [{"system": "s", "code": c}]}, _codes),
            "performerType": st.lists(
                st.builds(lambda c: {"coding": [{"code": c}]}, _codes), max_size=3
            ),
            "owner": st.builds(lambda c: {"reference": f"Practitioner/{c}"}, _codes),
        },
    ),
    max_size=40,
)
_dimension_pairs = st.lists(st.sampled_from(list(Dimension)), min_size=1, max_size=2, unique=True)


@given(_tasks, _dimension_pairs)
def test_group_counts_add_up_to_the_tasks_and_equal_a_naive_count(
    tasks: list[dict[str, Any]], dimensions: list[Dimension]
) -> None:
    groups = count_groups(tasks, dimensions)
    assert sum(g.count for g in groups) == len(tasks)
    assert all(g.count > 0 for g in groups)
    naive = Counter(tuple(key_of(t, d).value for d in dimensions) for t in tasks)
    assert {g.values: g.count for g in groups} == dict(naive)
    counts = [g.count for g in groups]
    assert counts == sorted(counts, reverse=True)


def _completed(
    authored: str | None, end: str | None = None, modified: str | None = None
) -> dict[str, Any]:
    task: dict[str, Any] = {"status": "completed"}
    if authored is not None:
        task["authoredOn"] = authored
    if end is not None:
        task["executionPeriod"] = {"end": end}
    if modified is not None:
        task["lastModified"] = modified
    return task


@pytest.mark.parametrize(
    ("task", "hours"),
    [
        (_completed("2026-01-01T00:00:00Z", "2026-01-02T06:00:00Z"), 30.0),
        (_completed("2026-01-01T00:00:00Z", modified="2026-01-01T01:30:00Z"), 1.5),
        (  # executionPeriod.end wins over lastModified
            _completed("2026-01-01T00:00:00Z", "2026-01-01T02:00:00Z", "2026-01-09T00:00:00Z"),
            2.0,
        ),
        (_completed("2026-01-01T00:00:00+02:00", "2026-01-01T00:00:00Z"), 2.0),
        (_completed(None, "2026-01-02T00:00:00Z"), None),
        (_completed("2026-01-01T00:00:00Z"), None),
        (_completed("2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"), None),  # negative
        (_completed("not a date", "2026-01-01T00:00:00Z"), None),
        ({**_completed("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), "status": "failed"}, None),
    ],
)
def test_hours_to_complete(task: dict[str, Any], hours: float | None) -> None:
    assert hours_to_complete(task) == hours


def test_one_task_is_its_own_median_and_p90() -> None:
    assert median_and_p90([7.5]) == (7.5, 7.5)


def test_median_and_p90_are_pythons_inclusive_quantiles() -> None:
    hours = [float(h) for h in range(1, 11)]
    assert median_and_p90(hours) == (5.5, 9.1)
    assert median_and_p90([1.0, 3.0]) == (
        2.0,
        statistics.quantiles([1.0, 3.0], n=10, method="inclusive")[-1],
    )


def test_turnaround_leaves_out_tasks_without_a_duration_and_empty_groups() -> None:
    start = "2026-01-01T00:00:00Z"
    tasks = [
        {**_completed(start, "2026-01-01T10:00:00Z"), "code": {"text": "lab"}},
        {**_completed(start, "2026-01-01T20:00:00Z"), "code": {"text": "lab"}},
        {**_completed(None, "2026-01-01T20:00:00Z"), "code": {"text": "lab"}},
        {**_completed(None, "2026-01-01T20:00:00Z"), "code": {"text": "call"}},
        {**_completed(start, "2026-01-01T04:00:00Z")},
    ]
    groups = turnaround_groups(tasks, [Dimension.CODE])
    assert [(g.values, g.count, g.median_hours) for g in groups] == [
        (("lab",), 2, 15.0),
        ((None,), 1, 4.0),
    ]
    (whole,) = turnaround_groups(tasks, [])
    assert (whole.values, whole.count, whole.median_hours) == ((), 3, 10.0)


@given(st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=2, max_size=30))
def test_the_median_and_p90_lie_within_the_hours(hours: list[float]) -> None:
    median, p90 = median_and_p90(hours)
    # Python's interpolation may land one rounding step outside equal data points.
    slack = 1e-9 * max(hours)
    assert min(hours) - slack <= median <= p90 + slack <= max(hours) + 2 * slack
