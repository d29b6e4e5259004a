"""Searches use the indexes, and every query plan returns the same rows in the same order.

Plans are read as steps (table, index, seek columns), not as text, so the checks hold across
SQLite versions that word EXPLAIN QUERY PLAN differently."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.store import FhirStore
from gateway.store import search as search_module
from gateway.store.query import QueryBuilder
from gateway.store.search_request import encode_page_token
from tests.store.plan_steps import Step, full_scans, steps

SNOMED = "http://snomed.info/sct"
QUEUE = [
    ("status", "requested,received,accepted,ready"),
    ("performer", f"{SNOMED}|224535009"),
    ("owner:missing", "true"),
    ("_sort", "-priority-order,due-date"),
    ("_count", "50"),
]


@pytest.fixture(scope="module")
def store() -> Iterator[FhirStore]:
    rng = random.Random(11)
    store = FhirStore.open(":memory:")
    tasks: list[dict[str, Any]] = []
    for n in range(600):
        task: dict[str, Any] = {
            "resourceType": "Task",
            "id": f"t{n:03d}",
            "status": rng.choice(["requested", "ready", "accepted", "completed"]),
            "intent": "order",
            "performerType": [
                {"coding": [{"system": SNOMED, "code": rng.choice(["224535009", "158965000"])}]}
            ],
        }
        if rng.random() < 0.8:
            task["priority"] = rng.choice(["routine", "urgent", "asap", "stat"])
        if rng.random() < 0.7:
            task["restriction"] = {"period": {"end": f"2026-12-{rng.randrange(1, 8):02d}"}}
        if rng.random() < 0.6:
            task["authoredOn"] = f"2026-10-{rng.randrange(1, 20):02d}"
        if rng.random() < 0.5:
            task["owner"] = {"reference": f"Practitioner/p{rng.randrange(5)}"}
        if n >= 20:
            task["partOf"] = [{"reference": f"Task/t{rng.randrange(20):03d}"}]
        tasks.append(task)
    store.load(tasks)
    yield store
    store.close()


def plans(store: FhirStore, params: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Plan lines by label: 'index walk', 'driven by filters', or 'page'."""
    sections: dict[str, list[str]] = {}
    label = ""
    for line in store.query_plan("Task", params):
        if not line.startswith(" "):
            label = line.rstrip(":")
            sections[label] = []
        else:
            sections[label].append(line.strip())
    return sections


def plan(store: FhirStore, params: list[tuple[str, str]]) -> list[str]:
    return [line for lines in plans(store, params).values() for line in lines]


def indexes(lines: list[str]) -> set[str]:
    return {step.index for step in steps(lines) if step.index is not None}


def test_queue_search_walks_the_queue_index_then_falls_back_to_performer(
    store: FhirStore,
) -> None:
    sections = plans(store, QUEUE)

    assert "task_sort_queue" in indexes(sections["index walk"])
    driven = sections["driven by filters"]
    # The performer token is sought by its code, and owner presence probed per resource.
    assert any(s.primary_key and {"pid", "code", "system"} <= s.keys for s in steps(driven))
    assert "reference_by_resource" in indexes(driven)
    assert full_scans(driven) == []


def test_part_of_seeks_the_reference_index(store: FhirStore) -> None:
    driven = plans(store, [("part-of", "Task/t001,Task/t002,Task/t003")])["driven by filters"]

    seeks = [s for s in steps(driven) if s.table == "reference_idx"]
    assert any(s.primary_key and {"pid", "target_id", "target_type"} <= s.keys for s in seeks)
    assert full_scans(driven) == []


def test_probes_seek_by_resource(store: FhirStore) -> None:
    probes = plan(store, [("authored-on", "ge2026-10-05"), ("_count", "5")])
    driven = plans(store, [("authored-on", "ge2026-10-05")])["driven by filters"]

    assert any(s.index == "date_by_resource" and {"rid", "pid"} <= s.keys for s in steps(probes))
    assert "date_by_high" in indexes(driven)


def test_whole_queue_sort_walks_its_index(store: FhirStore) -> None:
    assert "task_sort_queue" in indexes(plan(store, [("_sort", "-priority-order,due-date")]))


def test_ids_seek_the_id_index(store: FhirStore) -> None:
    lines = plan(store, [("_id", "t001,t002")])

    assert any(s.index == "resources_by_id" and {"type", "id"} <= s.keys for s in steps(lines))
    assert full_scans(lines) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "SCAN s USING COVERING INDEX task_sort_queue",
            Step("SCAN", "s", "task_sort_queue", False, frozenset()),
        ),
        (
            "SCAN TABLE task_sort AS s USING COVERING INDEX task_sort_queue",
            Step("SCAN", "s", "task_sort_queue", False, frozenset()),
        ),
        (
            "SEARCH d USING PRIMARY KEY (pid=? AND code=? AND system=?)",
            Step("SEARCH", "d", None, True, frozenset({"pid", "code", "system"})),
        ),
        (
            "SEARCH TABLE token_idx AS d USING PRIMARY KEY (pid=? AND code=? AND system=?)",
            Step("SEARCH", "d", None, True, frozenset({"pid", "code", "system"})),
        ),
        (
            "SEARCH date_idx USING COVERING INDEX date_by_high (pid=? AND high>?)",
            Step("SEARCH", "date_idx", "date_by_high", False, frozenset({"pid", "high"})),
        ),
        (
            "SEARCH r USING INTEGER PRIMARY KEY (rowid=?)",
            Step("SEARCH", "r", None, True, frozenset({"rowid"})),
        ),
    ],
)
def test_plan_steps_read_both_sqlite_wordings(line: str, expected: Step) -> None:
    assert steps([line]) == [expected]


def test_full_scans_are_told_from_subquery_scans() -> None:
    newer = ["CO-ROUTINE h", "SCAN s USING COVERING INDEX task_sort_queue", "SCAN h", "SCAN r"]
    older = ["SCAN SUBQUERY 1", "SCAN TABLE resources AS r"]

    assert full_scans(newer) == ["SCAN r"]
    assert full_scans(older) == ["SCAN r"]


def _ids(store: FhirStore, params: list[tuple[str, str]]) -> list[str]:
    return [m.id for m in store.search("Task", params).matches]


def _all_pages(store: FhirStore, params: list[tuple[str, str]]) -> list[str]:
    seen: list[str] = []
    result = store.search("Task", params)
    while True:
        seen += [m.id for m in result.matches]
        if result.next_after is None:
            return seen
        token = encode_page_token(result.next_after)
        result = store.search("Task", [*params, ("_page_token", token)])


@pytest.mark.parametrize(
    "params",
    [
        QUEUE,
        [*QUEUE[:3], ("_sort", "-priority-order,due-date"), ("_count", "5")],
        [("performer", f"{SNOMED}|224535009"), ("_sort", "due-date"), ("_count", "7")],
        [("performer", f"{SNOMED}|158965000"), ("_sort", "-due-date,priority"), ("_count", "9")],
        [("part-of", ",".join(f"Task/t{n:03d}" for n in range(10))), ("_sort", "-priority-order")],
        [("owner:missing", "false"), ("_sort", "priority-order,-due-date"), ("_count", "11")],
        [("performer", f"{SNOMED}|224535009"), ("_count", "7")],
        [("performer", f"{SNOMED}|158965000"), ("_sort", "-_lastUpdated"), ("_count", "6")],
        [("performer", f"{SNOMED}|158965000"), ("_sort", "-authored-on,_id"), ("_count", "8")],
        [
            ("status", "ready,requested"),
            ("performer", f"{SNOMED}|224535009"),
            ("_sort", "authored-on"),
        ],
    ],
)
def test_index_walk_and_filter_driven_plans_agree(
    store: FhirStore, params: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "WALK_ROWS", 10**9)
    driven = _ids(store, params)
    driven_pages = _all_pages(store, params)
    monkeypatch.setattr(search_module, "WALK_ROWS", 40)
    walked = _ids(store, params)
    walked_pages = _all_pages(store, params)

    assert walked == driven
    assert walked_pages == driven_pages
    assert len(set(driven_pages)) == len(driven_pages)
    everything = _ids(store, [*[p for p in params if p[0] != "_count"], ("_count", "1000")])
    assert driven_pages == everything


def test_queue_order_is_right(store: FhirStore) -> None:
    rows = [store.read("Task", i) for i in _ids(store, [*QUEUE[:4], ("_count", "1000")])]
    keys = []
    for row in rows:
        task = json.loads(row.json or "{}")
        order = {"stat": 4, "asap": 3, "urgent": 2}.get(task.get("priority"), 1)
        due = task.get("restriction", {}).get("period", {}).get("end")
        keys.append((-order, due is None, due or "", task["id"]))
        assert task["status"] in ("requested", "received", "accepted", "ready")
        assert "owner" not in task

    assert keys == sorted(keys)


@pytest.mark.parametrize(
    "params",
    [
        [*QUEUE[:4], ("_count", "3")],
        [("performer", f"{SNOMED}|224535009"), ("_count", "3")],
        [("performer", f"{SNOMED}|224535009"), ("_sort", "-_lastUpdated"), ("_count", "3")],
        [("performer", f"{SNOMED}|224535009"), ("_sort", "authored-on"), ("_count", "3")],
        [("performer", f"{SNOMED}|224535009"), ("_sort", "-authored-on,status"), ("_count", "3")],
    ],
)
def test_a_dense_first_page_comes_from_the_index_walk(
    store: FhirStore, monkeypatch: pytest.MonkeyPatch, params: list[tuple[str, str]]
) -> None:
    expected = _ids(store, params)
    first = store.search("Task", params)
    assert first.next_after is not None
    later = [*params, ("_page_token", encode_page_token(first.next_after))]
    expected_later = _ids(store, later)
    monkeypatch.setattr(search_module, "WALK_ROWS", 100)

    def refuse(self: QueryBuilder, *, limit: int) -> object:
        raise AssertionError("the filter-driven plan ran")

    monkeypatch.setattr(QueryBuilder, "page", refuse)

    assert _ids(store, params) == expected
    assert _ids(store, later) == expected_later
