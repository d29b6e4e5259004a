"""Licensure in taskQueue: Tasks for patients in states where the practitioner is not licensed
now are left out; pages still never repeat or skip a Task."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Gateway
from tests.e2e.builders import NURSE, put_all, task
from tests.e2e.routing_clinic import home

QUEUE = """
query ($p: ID!, $first: Int, $after: String, $ignore: Boolean) {
  taskQueue(practitioner: $p, first: $first, after: $after, ignoreLicensure: $ignore) {
    nodes { id } pageInfo { hasNextPage endCursor }
  }
}
"""
CLINIC_TASKS = ["t-ca", "t-none", "t-ny"]  # the queue's order: id, all routine and undated


async def walk(gw: Gateway, practitioner: str, first: int, **variables: Any) -> list[str]:
    """Every page of the queue, in order; each page's endCursor leads to the next."""
    seen: list[str] = []
    after = None
    for _ in range(100):
        page = (
            await gw.data(QUEUE, {"p": practitioner, "first": first, "after": after, **variables})
        )["taskQueue"]
        seen += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
        assert after is not None
    raise AssertionError("the queue did not end")


@pytest.mark.parametrize(
    ("practitioner", "queue"),
    [
        ("bob", ["t-none", "t-ny"]),  # NY and NJ
        ("eve", ["t-ca", "t-none"]),  # CA; the patient's "ca" matches case-insensitively
        ("dan", ["t-none"]),  # the NY license expired
    ],
)
async def test_a_practitioner_sees_only_tasks_they_are_licensed_for(
    routed: Gateway, practitioner: str, queue: list[str]
) -> None:
    assert await walk(routed, practitioner, 20) == queue
    assert await walk(routed, practitioner, 20, ignore=True) == CLINIC_TASKS


async def test_the_setting_turns_licensure_off(unlicensed: Gateway) -> None:
    assert await walk(unlicensed, "dan", 20) == CLINIC_TASKS


async def test_pages_never_repeat_or_skip_around_left_out_tasks(routed: Gateway) -> None:
    states = ["NY", "CA", "CA", "CA", "TX", "", "NJ", "CA", "CA", "CA", "CA", "NY"]
    resources: list[Any] = []
    for n, state in enumerate(states):
        resources.append(home(f"q{n}", *([state] if state else [])))
        resources.append(task(f"q{n:02d}", role=NURSE, **{"for": f"Patient/q{n}"}))
    await put_all(routed.fhir, resources)
    expected = ["q00", "q05", "q06", "q11", "t-none", "t-ny"]
    for first in (1, 2, 3, 5):
        assert await walk(routed, "bob", first) == expected, first
