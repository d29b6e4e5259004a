"""suggestedAssignees: who could do a Task, best first, at a fixed number of FHIR requests."""

from __future__ import annotations

import pytest

from tests.conftest import Gateway
from tests.e2e.builders import put_all, task

SUGGEST = """
query ($id: ID!, $first: Int) { task(id: $id) { suggestedAssignees(first: $first) {
  practitioner { id } role { id } licensed availableNow openTasks
} } }
"""


async def suggestions(gw: Gateway, task_id: str, first: int = 5) -> list[tuple[object, ...]]:
    data = await gw.data(SUGGEST, {"id": task_id, "first": first})
    return [
        (
            s["practitioner"]["id"],
            (s["role"] or {}).get("id"),
            s["licensed"],
            s["availableNow"],
            s["openTasks"],
        )
        for s in data["task"]["suggestedAssignees"]
    ]


async def test_licensed_available_then_fewer_open_tasks(routed: Gateway) -> None:
    assert await suggestions(routed, "t-ny") == [
        ("bob", "r-bob", True, True, 0),
        ("amy", "r-amy", True, True, 2),
        ("cat", "r-cat", True, False, 0),
    ]


async def test_states_match_case_insensitively(routed: Gateway) -> None:
    assert await suggestions(routed, "t-ca") == [("eve", "r-eve", True, True, 0)]


async def test_a_patient_without_a_state_restricts_nobody(routed: Gateway) -> None:
    assert await suggestions(routed, "t-none", first=20) == [
        ("bob", "r-bob", None, True, 0),
        ("dan", "r-dan", None, True, 0),
        ("eve", "r-eve", None, True, 0),
        ("amy", "r-amy", None, True, 2),
        ("cat", "r-cat", None, False, 0),
    ]


async def test_a_task_without_performer_type_takes_any_active_role(routed: Gateway) -> None:
    assert await suggestions(routed, "t-any", first=3) == [
        ("bob", None, True, True, 0),
        ("fay", None, True, True, 0),
        ("amy", None, True, True, 2),
    ]


async def test_without_licensure_the_unlicensed_rank_last(unlicensed: Gateway) -> None:
    assert await suggestions(unlicensed, "t-ny", first=20) == [
        ("bob", "r-bob", True, True, 0),
        ("amy", "r-amy", True, True, 2),
        ("cat", "r-cat", True, False, 0),
        ("dan", "r-dan", False, True, 0),
        ("eve", "r-eve", False, True, 0),
    ]


@pytest.mark.parametrize("first", [0, 21])
async def test_first_is_bounded(routed: Gateway, first: int) -> None:
    error = await routed.error(SUGGEST, {"id": "t-ny", "first": first})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}


async def test_requests_do_not_grow_with_the_candidates_tasks(routed: Gateway) -> None:
    await suggestions(routed, "t-none")  # the server's metadata is read once per process
    with routed.counting() as few:
        before = await suggestions(routed, "t-none", first=20)
    sent_for_few = len(few)
    more = [
        task(f"busy-{pid}-{n}", owner=f"Practitioner/{pid}")
        for n in range(25)
        for pid in ("amy", "bob", "dan")
    ]
    await put_all(routed.fhir, more)
    with routed.counting() as many:
        after = await suggestions(routed, "t-none", first=20)
    assert len(many) == sent_for_few
    assert [s[4] for s in before] == [0, 0, 0, 2, 0]
    assert sorted((s[0], s[4]) for s in after) == [
        ("amy", 27),
        ("bob", 25),
        ("cat", 0),
        ("dan", 25),
        ("eve", 0),
    ]
