"""The queue's order as the gateway merges searches by it, and its licensure alternatives."""

from __future__ import annotations

from typing import Any

from gateway.schema.work_queue import licensure_alternatives, queue_order


def queued(tid: str, priority: str | None = None, due: str | None = None) -> dict[str, Any]:
    task: dict[str, Any] = {"resourceType": "Task", "id": tid}
    if priority is not None:
        task["priority"] = priority
    if due is not None:
        task["restriction"] = {"period": {"end": due}}
    return task


def test_most_urgent_first_then_due_with_undated_last_then_id() -> None:
    tasks = [
        queued("a"),
        queued("b", "routine", "2026-12-01"),
        queued("c", None, "2026-11-30"),
        queued("d", "urgent"),
        queued("e", "asap", "2026-12-24"),
        queued("f", "stat"),
        queued("g", "stat", "2026-12-25"),
    ]
    assert [t["id"] for t in sorted(tasks, key=queue_order)] == ["g", "f", "e", "d", "c", "b", "a"]


def test_due_dates_compare_as_instants_and_a_malformed_one_as_undated() -> None:
    early = queued("z", due="2026-12-01T10:00:00+02:00")  # 08:00 UTC
    late = queued("y", due="2026-12-01T09:00:00Z")
    broken = queued("x", due="soon")
    undated = queued("w")
    order = sorted([broken, late, undated, early], key=queue_order)
    assert [t["id"] for t in order] == ["z", "y", "w", "x"]


def test_one_search_per_way_a_task_passes_licensure() -> None:
    assert licensure_alternatives(frozenset({"NY", "N,J"})) == [
        [("patient.address-state", "N\\,J,NY")],
        [("patient.address-state:missing", "true")],
        [("patient:missing", "true")],
    ]
    assert licensure_alternatives(frozenset()) == [
        [("patient.address-state:missing", "true")],
        [("patient:missing", "true")],
    ]
