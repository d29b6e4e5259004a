"""Suggestions: which roles match a Task's performerType, and the order candidates come in."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.routing import Candidate, eligible, performer_codings, rank, role_matches

SNOMED = "http://snomed.info/sct"
NURSE = {"coding": [{"system": SNOMED, "code": "224535009"}]}


def role(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "PractitionerRole", **fields}


@pytest.mark.parametrize(
    ("role_fields", "matches"),
    [
        ({"code": [NURSE]}, True),
        ({"specialty": [NURSE]}, True),
        ({"code": [{"coding": [{"code": "224535009"}]}]}, True),  # a role code without system
        ({"code": [{"coding": [{"system": "http://other", "code": "224535009"}]}]}, False),
        ({"code": [{"coding": [{"system": SNOMED, "code": "309343006"}]}]}, False),
        ({"code": [{"text": "Nurse"}]}, False),
        ({}, False),
    ],
)
def test_role_matches_performer_type(role_fields: dict[str, Any], matches: bool) -> None:
    task = {"performerType": [NURSE]}
    assert role_matches(role(**role_fields), performer_codings(task)) is matches


def candidate(
    pid: str, licensed: bool | None = True, available: bool = True, tasks: int = 0
) -> Candidate:
    return Candidate(pid, None, licensed, available, tasks)


def test_rank_order() -> None:
    ranked = rank(
        [
            candidate("e", licensed=False),
            candidate("d", available=False),
            candidate("c", tasks=2),
            candidate("b", licensed=None, tasks=1),
            candidate("a", tasks=2),
        ]
    )
    assert [c.practitioner_id for c in ranked] == ["b", "a", "c", "d", "e"]


def test_unlicensed_candidates_are_out_while_licensure_applies() -> None:
    assert not eligible(candidate("a", licensed=False), licensure=True)
    assert eligible(candidate("a", licensed=False), licensure=False)
    assert eligible(candidate("a", licensed=None), licensure=True)


candidates = st.builds(
    Candidate,
    st.text("abc", min_size=1, max_size=3),
    st.none(),
    st.sampled_from([True, False, None]),
    st.booleans(),
    st.integers(0, 5),
)


@given(st.lists(candidates, max_size=12, unique_by=lambda c: c.practitioner_id))
def test_rank_is_a_total_order_that_respects_each_criterion(items: list[Candidate]) -> None:
    ranked = rank(items)
    assert sorted(map(repr, ranked)) == sorted(map(repr, items))
    assert rank(list(reversed(items))) == ranked
    for before, after in itertools.pairwise(ranked):
        if (before.licensed is False) != (after.licensed is False):
            assert after.licensed is False
        elif before.available_now != after.available_now:
            assert before.available_now
        elif before.open_tasks != after.open_tasks:
            assert before.open_tasks < after.open_tasks
        else:
            assert before.practitioner_id <= after.practitioner_id
