"""references.py: the FHIR id grammar and which references the gateway may follow."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.fhir.references import (
    InvalidReferenceError,
    Ref,
    is_valid_id,
    parse_reference,
    same_origin_and_prefix,
    try_parse_reference,
)

BASE = "https://fhir.example.org/R4/"


@pytest.mark.parametrize("good", ["1", "abc-DEF.9", "x" * 64, "a.b", "-"])
def test_valid_ids(good: str) -> None:
    assert is_valid_id(good)


@pytest.mark.parametrize("bad", ["", ".", "..", "x" * 65, "a/b", "a b", "é", "a?b", "a#b", "%2e"])
def test_invalid_ids(bad: str) -> None:
    assert not is_valid_id(bad)


def test_parse_relative_and_versioned() -> None:
    assert parse_reference("Patient/1") == Ref("Patient", "1")
    assert parse_reference("Task/a.b/_history/3") == Ref("Task", "a.b")
    assert str(Ref("Task", "x")) == "Task/x"


@pytest.mark.parametrize(
    "bad",
    ["Patient", "Patient/", "patient/1", "Patient/..", "Patient/1/2", "/Patient/1", "#contained"],
)
def test_malformed_references(bad: str) -> None:
    with pytest.raises(InvalidReferenceError):
        parse_reference(bad)
    assert try_parse_reference(bad) is None


def test_absolute_references_only_on_our_base() -> None:
    assert parse_reference(BASE + "Patient/1", base_url=BASE) == Ref("Patient", "1")
    for other in [
        "https://evil.example/R4/Patient/1",
        "http://fhir.example.org/R4/Patient/1",
        "https://fhir.example.org:8443/R4/Patient/1",
        "https://fhir.example.org/other/Patient/1",
        "https://fhir.example.org/R4/Patient/1?x=1",
    ]:
        with pytest.raises(InvalidReferenceError):
            parse_reference(other, base_url=BASE)
    with pytest.raises(InvalidReferenceError):
        parse_reference(BASE + "Patient/1")  # no base configured: never followed


def test_next_link_check() -> None:
    assert same_origin_and_prefix(BASE + "Task?_page=2", BASE)
    assert not same_origin_and_prefix("https://fhir.example.org/R4/../admin", BASE)
    assert not same_origin_and_prefix("https://internal:8080/R4/Task?_page=2", BASE)
    assert not same_origin_and_prefix("https://fhir.example.org/R4x/Task", BASE)


_PIECES = st.sampled_from(
    ["Task", "Patient", "task", "..", ".", "%2e", "a", "1", "/", "//", "@", ":", "?", "#",
     "_history", "https:", "evil.example", "fhir.example.org", "R4", ":443", "user@"]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=8).map("".join), st.booleans())
def test_parsed_references_are_always_safe_paths(text: str, with_base: bool) -> None:
    ref = try_parse_reference(text, base_url=BASE if with_base else None)
    if ref is None:
        return
    assert ref.path == f"{ref.type}/{ref.id}"
    assert is_valid_id(ref.id)
    assert ref.type[0].isupper()
    assert ref.type.isalpha()
    # Whatever parsed stays under the base once joined to it.
    assert same_origin_and_prefix(BASE + ref.path, BASE)
