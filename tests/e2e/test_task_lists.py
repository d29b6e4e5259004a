"""tasks(filter, sort, first, after) and taskQueue: filters, paging, cursors, queue order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Gateway, running_gateway, settings_for
from tests.e2e.builders import DOCTOR, NURSE, SNOMED, patient, practitioner, put_all, role, task

LIST = """
query($filter: TaskFilter, $sort: TaskSort, $first: Int, $after: String) {
  tasks(filter: $filter, sort: $sort, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id } }
  }
}
"""
QUEUE = """
query($p: ID!, $first: Int, $after: String) {
  taskQueue(practitioner: $p, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id priority dueDate }
  }
}
"""


async def ids(gateway: Gateway, **variables: Any) -> list[str]:
    data = await gateway.data(LIST, {"first": 100, **variables})
    return [edge["node"]["id"] for edge in data["tasks"]["edges"]]


async def walk(
    gateway: Gateway, query: str, field: str, after: str | None = None, **variables: Any
) -> list[str]:
    """Every id of a listing from ``after`` on, page by page through endCursor."""
    seen: list[str] = []
    for _ in range(50):
        data = (await gateway.data(query, {**variables, "after": after}))[field]
        nodes = data.get("nodes") or [e["node"] for e in data["edges"]]
        seen.extend(n["id"] for n in nodes)
        if not data["pageInfo"]["hasNextPage"]:
            return seen
        after = data["pageInfo"]["endCursor"]
    raise AssertionError("paging did not end")


@pytest.fixture
async def varied(gateway: Gateway) -> Gateway:
    await put_all(
        gateway.fhir,
        [
            practitioner("p1"),
            patient("pt1"),
            patient("pt2"),
            task(
                "a", status="ready", owner="Practitioner/p1", role=NURSE, **{"for": "Patient/pt1"}
            ),
            task("b", status="requested", role=DOCTOR, due="2026-11-10", **{"for": "Patient/pt2"}),
            task("c", status="in-progress", owner="Practitioner/p1", priority="stat"),
            task("d", status="on-hold", parent="a", due="2026-11-20", priority="urgent"),
            task(
                "e",
                status="completed",
                parent="a",
                businessStatus={
                    "text": "x",
                    "coding": [{"system": "http://example.org/funnel", "code": "closed"}],
                },
            ),
        ],
    )
    return gateway


async def test_filters_map_to_fhir_search(varied: Gateway) -> None:
    g = varied
    assert sorted(await ids(g, filter={"status": ["READY", "REQUESTED"]})) == ["a", "b"]
    assert sorted(await ids(g, filter={"statusNot": ["READY", "COMPLETED"]})) == ["b", "c", "d"]
    assert sorted(await ids(g, filter={"unassigned": True})) == ["b", "d", "e"]
    assert sorted(await ids(g, filter={"unassigned": False})) == ["a", "c"]
    assert sorted(await ids(g, filter={"owner": "Practitioner/p1"})) == ["a", "c"]
    assert await ids(g, filter={"patient": "pt2"}) == ["b"]
    assert await ids(g, filter={"patient": "Patient/pt1"}) == ["a"]
    assert sorted(await ids(g, filter={"partOf": "a"})) == ["d", "e"]
    assert sorted(await ids(g, filter={"topLevel": True})) == ["a", "b", "c"]
    assert sorted(await ids(g, filter={"priority": ["STAT", "URGENT"]})) == ["c", "d"]
    performer = {"system": SNOMED, "code": NURSE}
    assert await ids(g, filter={"performerType": performer}) == ["a"]
    funnel = {"system": "http://example.org/funnel", "code": "closed"}
    assert await ids(g, filter={"businessStatus": funnel}) == ["e"]


async def test_due_date_filters(varied: Gateway) -> None:
    # On Medplum the gateway re-checks the bounds (GATEWAY_FHIR_RECHECK_PARAMS=due-date).
    assert await ids(varied, filter={"dueAfter": "2026-11-15"}) == ["d"]
    assert await ids(varied, filter={"dueBefore": "2026-11-15"}) == ["b"]
    assert await ids(varied, filter={"dueBefore": "2026-11-10"}) == ["b"]
    assert await ids(varied, filter={"dueAfter": "2026-11-10", "dueBefore": "2026-11-19"}) == ["b"]


async def test_paging_never_repeats_or_skips(gateway: Gateway) -> None:
    # Equal authoredOn everywhere: the order rests on the id tie-break alone.
    await put_all(gateway.fhir, [task(f"t{n:02d}") for n in range(23)])
    expected = [f"t{n:02d}" for n in range(23)]
    for first in (1, 5, 7, 23, 50):
        got = await walk(gateway, LIST, "tasks", first=first, sort="AUTHORED_ON_ASC")
        assert got == expected, first
    exact = await gateway.data(LIST, {"first": 23})
    assert exact["tasks"]["pageInfo"]["hasNextPage"] is False


async def test_total_count_and_sorts(gateway: Gateway) -> None:
    await put_all(
        gateway.fhir,
        [
            task("x", authoredOn="2026-11-03T00:00:00Z", due="2026-11-09", priority="routine"),
            task("y", authoredOn="2026-11-01T00:00:00Z", due="2026-11-08", priority="stat"),
            task("z", authoredOn="2026-11-02T00:00:00Z", due="2026-11-07", priority="asap"),
        ],
    )
    data = await gateway.data(LIST, {"first": 2, "sort": "AUTHORED_ON_DESC"})
    assert data["tasks"]["totalCount"] == 3
    assert [e["node"]["id"] for e in data["tasks"]["edges"]] == ["x", "z"]
    assert data["tasks"]["pageInfo"]["hasNextPage"] is True
    assert await ids(gateway, sort="DUE_DATE_ASC") == ["z", "y", "x"]
    assert await ids(gateway, sort="PRIORITY_DESC") == ["y", "z", "x"]


async def test_total_count_costs_nothing_when_not_selected(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("a")])
    with gateway.counting() as sent:
        await gateway.data("query { tasks { nodes { id } } }")
    assert len(sent) <= 2  # the search (+ the server's metadata, read once per process)
    assert all("_total" not in str(r.url) for r in sent)


async def test_cursor_is_tamper_proof_and_bound_to_its_query(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task(f"t{n}") for n in range(3)])
    data = await gateway.data(LIST, {"first": 1})
    cursor = data["tasks"]["pageInfo"]["endCursor"]
    forged = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    with gateway.counting() as sent:
        for variables in (
            {"first": 1, "after": forged},
            {"first": 1, "after": "not-a-cursor"},
            {"first": 2, "after": cursor},  # another query
            {"first": 1, "after": cursor, "filter": {"status": ["READY"]}},
        ):
            error = await gateway.error(LIST, variables)
            assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}
    assert sent == []


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_first_out_of_range(gateway: Gateway, first: int) -> None:
    with gateway.counting() as sent:
        error = await gateway.error(LIST, {"first": first})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}
    assert sent == []


async def test_bad_filter_references_are_refused(gateway: Gateway) -> None:
    for filter_, argument in [
        ({"owner": "p1"}, "filter.owner"),
        ({"owner": "Practitioner/../x"}, "filter.owner"),
        ({"focus": "http://other.example/ServiceRequest/1"}, "filter.focus"),
        ({"partOf": ".."}, "filter.partOf"),
        ({"partOf": "Patient/1"}, "filter.partOf"),
        ({"patient": "Practitioner/1"}, "filter.patient"),
    ]:
        error = await gateway.error(LIST, {"filter": filter_})
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}


QUEUE_ORDER = [
    "q-stat-early",
    "q-stat-late",
    "q-asap-nodue",
    "q-urgent",
    "q-accepted",
    "q-none-early",
    "q-routine-late",
    "q-routine-nodue",
]


async def arrange_queue(gateway: Gateway) -> None:
    """Tasks for a nurse's queue, listed in QUEUE_ORDER, among others the queue leaves out."""
    await put_all(
        gateway.fhir,
        [
            practitioner("nurse"),
            role("r1", "nurse", NURSE),
            role("r2", "nurse", DOCTOR, active=False),
            task("q-routine-late", role=NURSE, priority="routine", due="2026-12-01"),
            task("q-none-early", role=NURSE, due="2026-11-05"),
            task("q-routine-nodue", role=NURSE, priority="routine"),
            task("q-stat-late", role=NURSE, priority="stat", due="2026-12-05"),
            task("q-stat-early", role=NURSE, priority="stat", due="2026-11-02"),
            task("q-asap-nodue", role=NURSE, priority="asap"),
            task("q-urgent", role=NURSE, priority="urgent", due="2026-11-03", status="received"),
            task("q-accepted", role=NURSE, status="accepted", due="2026-11-04"),
            task("x-owned", role=NURSE, priority="stat", owner="Practitioner/nurse"),
            task("x-done", role=NURSE, priority="stat", status="completed"),
            task("x-inprogress", role=NURSE, status="in-progress"),
            task("x-doctor", role=DOCTOR, priority="stat"),
        ],
    )


async def test_task_queue_orders_by_urgency_then_due_then_id(gateway: Gateway) -> None:
    await arrange_queue(gateway)
    expected = QUEUE_ORDER
    for first in (3, 20):
        assert await walk(gateway, QUEUE, "taskQueue", p="nurse", first=first) == expected
    exact = await gateway.data(QUEUE, {"p": "nurse", "first": len(expected)})
    assert exact["taskQueue"]["pageInfo"]["hasNextPage"] is False
    short = await gateway.data(QUEUE, {"p": "nurse", "first": len(expected) - 1})
    assert short["taskQueue"]["pageInfo"]["hasNextPage"] is True


async def test_task_queue_order_holds_where_the_server_cannot_sort_priorities() -> None:
    # The embedded store as a server that only has the two parameters, not their ordering:
    # the queue is then read bucket by bucket, in the same order, at more searches.
    settings = settings_for(
        "embedded",
        fhir_server="generic",
        fhir_extra_search_params=frozenset({"due-date", "priority-order"}),
    )
    async with running_gateway(settings, "generic") as gateway:
        await arrange_queue(gateway)
        with gateway.counting() as sent:
            assert await walk(gateway, QUEUE, "taskQueue", p="nurse", first=20) == QUEUE_ORDER
    task_searches = [r for r in sent if r.url.path.endswith("/Task")]
    assert len(task_searches) > 1


async def test_one_search_lists_the_queue_where_the_server_sorts_priorities(
    gateway: Gateway,
) -> None:
    await arrange_queue(gateway)
    await gateway.data(QUEUE, {"p": "nurse", "first": 1})  # the server's metadata, read once
    with gateway.counting() as sent:
        assert await walk(gateway, QUEUE, "taskQueue", p="nurse", first=20) == QUEUE_ORDER
    task_searches = [r for r in sent if r.url.path.endswith("/Task")]
    caps = gateway.caps
    if (
        caps.supports("priority-order")
        and caps.absent_priority_is_routine
        and caps.missing_sorts_last
    ):
        # Licensure where the server chains: one search per way a Task passes it (the nurse
        # holds no license: Tasks for a patient without a state, Tasks for no patient).
        expected = 2 if caps.chained_search else 1
        assert len(task_searches) == expected, [str(r.url) for r in task_searches]
    else:
        assert len(task_searches) > 1


async def test_task_queue_unknown_practitioner_and_no_roles(gateway: Gateway) -> None:
    error = await gateway.error(QUEUE, {"p": "ghost"})
    assert error["extensions"]["code"] == "NOT_FOUND"
    await put_all(gateway.fhir, [practitioner("loner"), task("t", role=NURSE)])
    data = await gateway.data(QUEUE, {"p": "loner"})
    assert data["taskQueue"]["nodes"] == []


CLAIM = """mutation($id: ID!) {
  claimTask(id: $id, owner: { reference: "Practitioner/nurse" }) { id } }"""


async def test_claiming_between_pages_skips_no_task(gateway: Gateway) -> None:
    """The queue's own flow: claim what page 1 showed, then ask for page 2."""
    tasks = [task(f"q{n}", role=NURSE, priority="stat", due=f"2026-11-{n + 10}") for n in range(8)]
    await put_all(gateway.fhir, [practitioner("nurse"), role("r1", "nurse", NURSE), *tasks])
    first = (await gateway.data(QUEUE, {"p": "nurse", "first": 2}))["taskQueue"]
    assert [n["id"] for n in first["nodes"]] == ["q0", "q1"]
    for node in first["nodes"]:
        await gateway.data(CLAIM, {"id": node["id"]})
    after = first["pageInfo"]["endCursor"]
    second = (await gateway.data(QUEUE, {"p": "nurse", "first": 2, "after": after}))["taskQueue"]
    assert [n["id"] for n in second["nodes"]] == ["q2", "q3"]


async def test_updates_between_pages_skip_no_task(gateway: Gateway) -> None:
    """Newest first: Tasks changed after page 1 move to the top and are not shown again."""
    await put_all(gateway.fhir, [task(f"t{n}") for n in range(6)])
    listed = await ids(gateway, sort="LAST_UPDATED_DESC")
    page = await gateway.data(LIST, {"first": 2, "sort": "LAST_UPDATED_DESC"})
    shown = [e["node"]["id"] for e in page["tasks"]["edges"]]
    assert shown == listed[:2]
    update = 'mutation($id: ID!) { updateTask(id: $id, input: { description: "x" }) { id } }'
    for task_id in shown:
        await gateway.data(update, {"id": task_id})
    after = page["tasks"]["pageInfo"]["endCursor"]
    rest = await walk(gateway, LIST, "tasks", first=2, sort="LAST_UPDATED_DESC", after=after)
    assert rest == listed[2:]
