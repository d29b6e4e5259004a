"""The read side over GraphQL: a Task, its references, parents and subtasks, on both servers."""

from __future__ import annotations

import pytest

from gateway import loaders
from gateway.limits import MAX_SUBTASKS
from gateway.schema import task as task_type
from tests.conftest import Gateway
from tests.e2e.builders import patient, practitioner, put_all, task

DETAIL = """
query($id: ID!) {
  task(id: $id) {
    id resourceType versionId status intent priority description dueDate startDate
    ownerReference { reference }
    owner { id resourceType ... on Practitioner { displayName name { family given } } }
    for { id ... on Patient { displayName birthDate gender } }
    focus { id resourceType raw }
    requester { id }
    partOf { id }
    subtasks { id }
  }
}
"""


async def test_task_detail_resolves_references(gateway: Gateway) -> None:
    await put_all(
        gateway.fhir,
        [
            practitioner("p1", "Hart", "Ada"),
            patient("pt1", "Lind", "Eva"),
            {"resourceType": "Questionnaire", "id": "q1", "status": "active"},
            task("parent"),
            task(
                "t1",
                owner="Practitioner/p1",
                requester="Practitioner/p1",
                focus="Questionnaire/q1",
                due="2026-12-01T10:00:00Z",
                parent="parent",
                priority="urgent",
                description="Call the patient",
                **{"for": "Patient/pt1"},
            ),
            task("c1", parent="t1"),
        ],
    )
    data = await gateway.data(DETAIL, {"id": "t1"})
    t = data["task"]
    assert t["status"] == "READY" and t["intent"] == "ORDER" and t["priority"] == "URGENT"
    assert t["dueDate"] == "2026-12-01T10:00:00Z"
    assert t["owner"] == {
        "id": "p1",
        "resourceType": "Practitioner",
        "displayName": "Ada Hart",
        "name": [{"family": "Hart", "given": ["Ada"]}],
    }
    assert t["for"] == {
        "id": "pt1",
        "displayName": "Eva Lind",
        "birthDate": "1970-01-01",
        "gender": "female",
    }
    assert t["focus"]["resourceType"] == "Questionnaire"
    assert t["focus"]["raw"]["status"] == "active"
    assert t["requester"] == {"id": "p1"}
    assert t["partOf"] == [{"id": "parent"}]
    assert t["subtasks"] == [{"id": "c1"}]
    assert t["versionId"]


async def test_missing_task_is_null_and_dangling_reference_is_null(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1", owner="Practitioner/gone")])
    data = await gateway.data(DETAIL, {"id": "nope"})
    assert data == {"task": None}
    data = await gateway.data(DETAIL, {"id": "t1"})
    assert data["task"]["owner"] is None
    assert data["task"]["ownerReference"] == {"reference": "Practitioner/gone"}


async def test_bad_ids_are_refused_before_any_fhir_request(gateway: Gateway) -> None:
    with gateway.counting() as sent:
        for bad in ["..", ".", "a/b", "x" * 65, "Task/1", "a b"]:
            error = await gateway.error(DETAIL, {"id": bad})
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["extensions"]["argument"] == "id"
        error = await gateway.error(
            "query($r: String!) { resource(reference: $r) { id } }",
            {"r": "https://evil.example/fhir/Patient/1"},
        )
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "reference"}
    assert sent == []


async def test_resource_reads_any_type(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [patient("pt1"), practitioner("p1")])
    query = """query($r: String!) { resource(reference: $r) {
        id resourceType ... on Patient { displayName } ... on Practitioner { displayName } } }"""
    assert (await gateway.data(query, {"r": "Patient/pt1"}))["resource"] == {
        "id": "pt1",
        "resourceType": "Patient",
        "displayName": "Ann Roe",
    }
    assert (await gateway.data(query, {"r": "Patient/none"}))["resource"] is None


async def test_subtask_tree_ends_on_cycles_with_each_task_once(gateway: Gateway) -> None:
    # a -> b -> c -> a (partOf cycle), and b -> d.
    await put_all(
        gateway.fhir,
        [
            task("a", partOf=[{"reference": "Task/c"}]),
            task("b", parent="a"),
            task("c", parent="b"),
            task("d", parent="b", authoredOn="2026-11-02T09:00:00Z"),
        ],
    )
    query = """query { task(id: "a") { subtaskTree(maxDepth: 20) {
        depth parentId task { id } } } }"""
    with gateway.counting() as sent:
        data = await gateway.data(query)
    entries = [(e["depth"], e["parentId"], e["task"]["id"]) for e in data["task"]["subtaskTree"]]
    assert entries == [(1, "a", "b"), (2, "b", "c"), (2, "b", "d")]
    # One Task read for the root, then one batched children search per level (3 levels).
    assert len(sent) <= 1 + 4


async def test_subtasks_filter_by_status_and_order(gateway: Gateway) -> None:
    await put_all(
        gateway.fhir,
        [
            task("root"),
            task("k2", parent="root", authoredOn="2026-11-03T00:00:00Z"),
            task("k1", parent="root", authoredOn="2026-11-02T00:00:00Z", status="completed"),
            task("k0", parent="root", authoredOn="2026-11-03T00:00:00Z", status="draft"),
        ],
    )
    query = """query { task(id: "root") {
        all: subtasks { id } open: subtasks(status: [DRAFT, READY]) { id } } }"""
    data = await gateway.data(query)
    assert [t["id"] for t in data["task"]["all"]] == ["k1", "k0", "k2"]
    assert [t["id"] for t in data["task"]["open"]] == ["k0", "k2"]


async def test_max_depth_out_of_range(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("a")])
    error = await gateway.error('query { task(id: "a") { subtaskTree(maxDepth: 21) { depth } } }')
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "maxDepth"}


SUBTASK_COUNTS = """query { big: task(id: "big") { id subtasks { id } }
                            small: task(id: "small") { id subtasks { id } } }"""


async def test_subtasks_past_the_bound_are_query_too_complex_not_cut_short(
    gateway: Gateway,
) -> None:
    children = [task(f"b{n:03d}", parent="big") for n in range(MAX_SUBTASKS + 1)]
    await put_all(gateway.fhir, [task("big"), task("small"), *children])
    await put_all(gateway.fhir, [task("s1", parent="small"), task("s2", parent="small")])
    with gateway.counting() as sent:
        body = await gateway.gql(SUBTASK_COUNTS)
    assert body["data"]["big"] == {"id": "big", "subtasks": None}
    assert body["data"]["small"]["subtasks"] == [{"id": "s1"}, {"id": "s2"}]
    [error] = body["errors"]
    assert error["path"] == ["big", "subtasks"]
    assert error["extensions"] == {
        "code": "QUERY_TOO_COMPLEX",
        "limit": MAX_SUBTASKS,
        "value": MAX_SUBTASKS + 1,
    }
    # Both Tasks in one read, both parents' children in one search.
    assert len(sent) == 2


async def test_subtasks_up_to_the_bound_are_all_listed(gateway: Gateway) -> None:
    children = [task(f"c{n:03d}", parent="full") for n in range(MAX_SUBTASKS)]
    await put_all(gateway.fhir, [task("full"), *children])
    data = await gateway.data('query { task(id: "full") { subtasks { id } } }')
    assert [t["id"] for t in data["task"]["subtasks"]] == [f"c{n:03d}" for n in range(MAX_SUBTASKS)]


async def test_a_search_stopped_at_the_bound_reads_the_other_parents_alone(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With a bound of 2, three parents allow 6 children in the shared search; big's 5 and
    # mid's 2 and small's 1 pass it, so the search stops and only big is known to be over.
    monkeypatch.setattr(loaders, "MAX_SUBTASKS", 2)
    parents = [task("big"), task("mid"), task("small")]
    children = [task(f"b{n}", parent="big") for n in range(5)]
    children += [task("m1", parent="mid"), task("m2", parent="mid"), task("s1", parent="small")]
    await put_all(gateway.fhir, [*parents, *children])
    query = """query { big: task(id: "big") { subtasks { id } }
        mid: task(id: "mid") { subtasks { id } } small: task(id: "small") { subtasks { id } } }"""
    with gateway.counting() as sent:
        body = await gateway.gql(query)
    assert body["data"] == {
        "big": {"subtasks": None},
        "mid": {"subtasks": [{"id": "m1"}, {"id": "m2"}]},
        "small": {"subtasks": [{"id": "s1"}]},
    }
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["big", "subtasks"], "QUERY_TOO_COMPLEX")
    ]
    # One read of the three Tasks, the shared search (stopped after 7 of 8 children), then
    # one search each for mid and small.
    assert len(sent) == 1 + 1 + 2


async def test_subtask_tree_past_its_bound_is_query_too_complex(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_type, "MAX_TREE_TASKS", 3)
    await put_all(
        gateway.fhir,
        [
            task("root"),
            task("k1", parent="root"),
            task("k2", parent="root"),
            task("g1", parent="k1"),
            task("g2", parent="k2"),
        ],
    )
    query = 'query { task(id: "root") { id subtaskTree(maxDepth: %d) { task { id } } } }'
    data = await gateway.data(query % 1)
    assert len(data["task"]["subtaskTree"]) == 2
    body = await gateway.gql(query % 2)
    assert body["data"] == {"task": {"id": "root", "subtaskTree": None}}
    assert body["errors"][0]["path"] == ["task", "subtaskTree"]
    assert body["errors"][0]["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 3, "value": 4}
