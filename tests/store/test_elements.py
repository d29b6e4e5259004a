"""_elements cut in SQL and _summary=count from the sort table's indexes: the same answers as
reading whole resources, without parsing them in Python."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from gateway.store import FhirStore
from gateway.store.elements import MAX_PROJECTED, subset

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
}
TASKS: list[dict[str, Any]] = [
    {
        "id": "a",
        "status": "requested",
        "priority": "urgent",
        "businessStatus": {"text": 'stap één "quoted" \\ back'},
        "statusReason": {"coding": [{"system": "urn:r", "code": "x"}]},
        "meta": {"tag": [{"system": "urn:t", "code": "kept"}], "profile": ["http://p"]},
        "description": None,
        "doNotPerform": False,
        "input": [{"type": {"text": "n"}, "valueDecimal": 0.12345678901234568}],
    },
    {"id": "b", "status": "completed", "description": "no business status", "doNotPerform": True},
    {"id": "c", "status": "ready", "meta": {"tag": None}, "businessStatus": {"text": "s"}},
]


def whole_then_cut(resource: dict[str, Any], elements: Sequence[str]) -> dict[str, Any]:
    """_elements as FHIR states it, applied to the whole resource."""
    kept = {k: v for k, v in resource.items() if k in {*elements, "resourceType", "id", "meta"}}
    tags = resource["meta"].get("tag") or []
    kept["meta"] = {**resource["meta"], "tag": [*tags, SUBSETTED]}
    return kept


@pytest.fixture
def store() -> Iterator[FhirStore]:
    store = FhirStore.open(":memory:")
    store.load([{"resourceType": "Task", "intent": "order", **t} for t in TASKS])
    yield store
    store.close()


@pytest.fixture
def python_cuts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of the resources cut in Python (parsed and serialised again)."""
    cut: list[str] = []

    def counting(text: str, elements: Sequence[str]) -> str:
        cut.append(json.loads(text)["id"])
        return subset(text, elements)

    monkeypatch.setattr("gateway.store.search.subset", counting)
    return cut


def subsets(store: FhirStore, elements: str) -> dict[str, dict[str, Any]]:
    result = store.search("Task", [("_elements", elements)])
    return {e.id: json.loads(e.json) for e in result.matches}


def wholes(store: FhirStore) -> dict[str, dict[str, Any]]:
    return {e.id: json.loads(e.json) for e in store.search("Task", []).matches}


@pytest.mark.parametrize(
    "elements",
    [
        "businessStatus,statusReason",
        "status",
        "description,doNotPerform,input",
        "meta,id",
        "nothingLikeThis",
    ],
)
def test_sql_subsets_equal_cutting_whole_resources_and_parse_nothing(
    store: FhirStore, python_cuts: list[str], elements: str
) -> None:
    names = elements.split(",")

    found = subsets(store, elements)

    assert found == {i: whole_then_cut(r, names) for i, r in wholes(store).items()}
    assert python_cuts == []


def test_kept_values_are_the_stored_text(store: FhirStore) -> None:
    text = store.search("Task", [("_id", "a"), ("_elements", "input,doNotPerform")]).matches[0]

    # Parsed, false == 0 and 0.12345678901234568 == 0.123456789012346 would pass unseen.
    assert '"valueDecimal":0.12345678901234568' in text.json
    assert '"doNotPerform":false' in text.json


def test_a_meta_tag_that_is_not_a_list_becomes_the_subsetted_tag(store: FhirStore) -> None:
    assert subsets(store, "status")["c"]["meta"]["tag"] == [SUBSETTED]


@pytest.mark.parametrize(
    "elements",
    [
        ["status", "odd\tname"],
        ["status", 'odd"name'],
        ["status", *(f"e{n}" for n in range(MAX_PROJECTED + 1))],
    ],
)
def test_names_sql_cannot_address_are_cut_in_python_alike(
    store: FhirStore, python_cuts: list[str], elements: list[str]
) -> None:
    odd = {"resourceType": "Task", "id": "d", "intent": "order", "status": "ready"}
    store.load([{**odd, elements[1]: "v", "description": "dropped"}])

    found = subsets(store, ",".join(elements))

    assert found == {i: whole_then_cut(r, elements) for i, r in wholes(store).items()}
    assert found["d"][elements[1]] == "v"
    assert sorted(python_cuts) == ["a", "b", "c", "d"]


def test_text_sqlite_cannot_read_is_cut_in_python(store: FhirStore, python_cuts: list[str]) -> None:
    # 1e400 parses to an infinite float, which json.dumps stores as Infinity (not JSON).
    huge = {"resourceType": "Task", "id": "h", "intent": "order", "status": "ready"}
    store.load([{**huge, "input": [{"type": {"text": "n"}, "valueDecimal": float("inf")}]}])

    found = subsets(store, "status")

    assert set(found["h"]) == {"resourceType", "id", "meta", "status"}
    assert found["h"]["meta"]["tag"] == [SUBSETTED]
    assert found["a"]["status"] == "requested"
    assert "h" in python_cuts


@pytest.mark.parametrize(
    "params",
    [
        [],
        [("status", "requested")],
        [("status", "requested,completed")],
        [("status:not", "requested")],
        [("priority:missing", "true")],
        [("priority", "urgent"), ("status", "requested")],
        [("status", "ready"), ("_id", "c")],
        [("status", "ready"), ("business-status", "s")],
    ],
)
def test_counts_equal_the_matches_after_updates_and_deletes(
    store: FhirStore, params: list[tuple[str, str]]
) -> None:
    store.update("Task", "b", {**wholes(store)["b"], "status": "requested"})
    store.delete("Task", "a")

    counted = store.search("Task", [*params, ("_summary", "count")])
    matched = store.search("Task", [*params, ("_count", "100")])

    assert counted.total == len(matched.matches)
    assert counted.matches == []
