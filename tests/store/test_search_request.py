"""Parsing search parameters: values, modifiers, controls, and what is refused."""

from __future__ import annotations

import pytest

from gateway.store.errors import InvalidRequestError
from gateway.store.search_request import encode_page_token, parse_search
from gateway.store.search_values import (
    RangeValue,
    ReferenceValue,
    TokenValue,
    parse_number,
    parse_reference_value,
    parse_token,
    split_values,
)

BASE = "http://example.test/fhir/R4"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("code", TokenValue(None, "code")),
        ("sys|code", TokenValue("sys", "code")),
        ("|code", TokenValue("", "code")),
        ("sys|", TokenValue("sys", None)),
        (r"a\|b", TokenValue(None, "a|b")),
    ],
)
def test_token_values(text: str, expected: TokenValue) -> None:
    assert parse_token(text) == expected


def test_commas_split_unless_escaped() -> None:
    assert split_values(r"a,b\,c,d") == ["a", r"b\,c", "d"]


@pytest.mark.parametrize(
    ("text", "restriction", "expected"),
    [
        ("Patient/1", None, ReferenceValue("Patient", "1")),
        ("Patient/1/_history/2", None, ReferenceValue("Patient", "1")),
        ("1", None, ReferenceValue(None, "1")),
        ("1", "Patient", ReferenceValue("Patient", "1")),
        (f"{BASE}/Patient/1", None, ReferenceValue("Patient", "1")),
        (
            "https://other.test/fhir/Patient/1",
            None,
            ReferenceValue("", "https://other.test/fhir/Patient/1"),
        ),
    ],
)
def test_reference_values(text: str, restriction: str | None, expected: ReferenceValue) -> None:
    assert parse_reference_value(text, base_url=BASE, type_restriction=restriction) == expected


def test_number_values_carry_their_precision() -> None:
    assert parse_number("3") == RangeValue("eq", 2.5, 3.5)
    assert parse_number("ge3.0") == RangeValue("ge", 2.95, 3.05)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("nope", "1")], "nope"),
        ([("owner.name", "x")], "owner.name"),
        ([("status:text", "x")], ":text"),
        ([("owner:missing", "maybe")], "missing"),
        ([("authored-on", "2026-99")], "date"),
        ([("authored-on", "zz2026")], "prefix"),
        ([("_count", "-1")], "_count"),
        ([("_sort", "owner")], "owner"),
        ([("_sort", "bogus")], "bogus"),
        ([("_include", "Task:status")], "status"),
        ([("_include", "Task")], "Task"),
        ([("_total", "maybe")], "_total"),
        ([("_page_token", "!!!")], "_page_token"),
        ([("_has:Task:owner:status", "ready")], "_has"),
    ],
)
def test_refused_parameters_name_the_problem(params: list[tuple[str, str]], message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        parse_search("Task", params)


def test_controls() -> None:
    request = parse_search(
        "Task",
        [
            ("_count", "5000"),
            ("_sort", "-priority-order,due-date,_id"),
            ("_include:iterate", "Task:part-of"),
            ("_revinclude", "Task:part-of:Task"),
            ("_total", "accurate"),
            ("_format", "json"),
            ("_page_token", encode_page_token([1, None, "abc"])),
        ],
    )

    assert (request.count, request.count_clamped) == (1000, True)
    assert [(k.param.name, k.descending) for k in request.sort] == [
        ("priority-order", True),
        ("due-date", False),
        ("_id", False),
    ]
    assert [(i.reverse, i.iterate, i.target_type) for i in request.includes] == [
        (False, True, None),
        (True, False, "Task"),
    ]
    assert request.total == "accurate"
    assert request.after == (1, None, "abc")
    assert ("_page_token", request.link_params[-1][1]) not in request.link_params[:-1]
    assert all(name != "_page_token" for name, _ in request.link_params)


def test_empty_values_are_ignored_and_repeats_are_and() -> None:
    request = parse_search("Task", [("status", ""), ("owner", "a"), ("owner", "b,c")])

    assert [(f.param.name, len(f.values)) for f in request.filters] == [("owner", 1), ("owner", 2)]


def test_any_type_has_id_and_last_updated_only() -> None:
    parse_search("Observation", [("_id", "x"), ("_lastUpdated", "gt2026")])
    with pytest.raises(InvalidRequestError):
        parse_search("Observation", [("code", "x")])
