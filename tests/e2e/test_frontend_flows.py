"""The queries a task-queue frontend sends, over HTTP against the app, on the seeded demo clinic."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.demo_clinic import demo_clinic
from gateway.seed import seed_demo_clinic
from tests.conftest import Gateway

PRIORITY_RANK = {"STAT": 0, "ASAP": 1, "URGENT": 2, "ROUTINE": 3, None: 3}


@pytest.fixture
async def clinic(gateway: Gateway) -> Gateway:
    written, present = await seed_demo_clinic(gateway.fhir)
    assert (written, present) == (len(demo_clinic()), 0)
    return gateway


def demo(resource_type: str) -> list[dict[str, Any]]:
    return [r for r in demo_clinic() if r["resourceType"] == resource_type]


async def test_seeding_twice_writes_nothing(clinic: Gateway) -> None:
    with clinic.counting() as sent:
        written, present = await seed_demo_clinic(clinic.fhir)
    assert written == 0
    assert present == len(demo_clinic())
    assert all(r.method == "GET" for r in sent)


async def test_role_queue_is_sorted_and_unassigned(clinic: Gateway) -> None:
    query = """query($p: ID!, $after: String) {
      taskQueue(practitioner: $p, first: 25, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { id status priority dueDate ownerReference { reference } } } }"""
    practitioner = demo("Practitioner")[0]["id"]
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await clinic.data(query, {"p": practitioner, "after": after}))["taskQueue"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert nodes, "the demo clinic has work for every practitioner"
    assert all(n["ownerReference"] is None for n in nodes)
    assert {n["status"] for n in nodes} <= {"REQUESTED", "RECEIVED", "ACCEPTED", "READY"}
    keys = [
        (PRIORITY_RANK[n["priority"]], n["dueDate"] is None, n["dueDate"] or "", n["id"])
        for n in nodes
    ]
    assert keys == sorted(keys)
    assert len({n["id"] for n in nodes}) == len(nodes)


async def test_my_tasks(clinic: Gateway) -> None:
    owned = [t for t in demo("Task") if (t.get("owner") or {}).get("reference")]
    me = owned[0]["owner"]["reference"]
    expected = {t["id"] for t in owned if t["owner"]["reference"] == me}
    query = """query($me: String!) { tasks(filter: { owner: $me }, first: 100) {
        totalCount nodes { id owner { id } } } }"""
    data = (await clinic.data(query, {"me": me}))["tasks"]
    assert {n["id"] for n in data["nodes"]} == expected
    assert data["totalCount"] == len(expected)


async def test_task_detail_page(clinic: Gateway) -> None:
    subtask = next(t for t in demo("Task") if t.get("partOf"))
    parent_id = subtask["partOf"][0]["reference"].split("/")[1]
    query = """query($id: ID!) { task(id: $id) {
        id status statusReason { text } owner { id } for { id ... on Patient { displayName } }
        focus { id resourceType } requester { id } partOf { id }
        subtasks { id } note { text } } }"""
    data = (await clinic.data(query, {"id": subtask["id"]}))["task"]
    assert data["partOf"] == [{"id": parent_id}]
    assert data["for"]["id"] == subtask["for"]["reference"].split("/")[1]
    assert data["for"]["displayName"]
    assert data["focus"]["id"] == subtask["focus"]["reference"].split("/")[1]


async def test_subtask_tree_of_the_deepest_demo_tree(clinic: Gateway) -> None:
    tasks = {t["id"]: t for t in demo("Task")}

    def parent(t: dict[str, Any]) -> str | None:
        part = t.get("partOf")
        return str(part[0]["reference"].split("/")[1]) if part else None

    def depth(tid: str) -> int:
        p = parent(tasks[tid])
        return 0 if p is None else 1 + depth(p)

    deepest = max(tasks, key=depth)
    root = deepest
    while parent(tasks[root]) is not None:
        root = str(parent(tasks[root]))
    query = """query($id: ID!) { task(id: $id) { subtaskTree { depth parentId task { id } } } }"""
    tree = (await clinic.data(query, {"id": root}))["task"]["subtaskTree"]
    assert any(e["task"]["id"] == deepest and e["depth"] == depth(deepest) for e in tree)
    assert len({e["task"]["id"] for e in tree}) == len(tree)
    depths = [e["depth"] for e in tree]
    assert depths == sorted(depths)
