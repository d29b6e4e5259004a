"""What a query costs in FHIR requests, counted at the transport: part of the contract."""

from __future__ import annotations

import httpx2

from tests.conftest import Gateway
from tests.e2e.builders import patient, practitioner, put_all, task

PAGE = """
query {
  tasks(first: 50, sort: AUTHORED_ON_ASC, filter: { topLevel: true }) {
    nodes {
      id
      owner { id ... on Practitioner { displayName } }
      for { id ... on Patient { displayName } }
      focus { id resourceType }
      requester { id }
    }
  }
}
"""

TREE = """
fragment T on Task { id status owner { id } }
query {
  tasks(first: 50, sort: AUTHORED_ON_ASC, filter: { topLevel: true }) {
    nodes { ...T subtasks { ...T subtasks { ...T subtasks { ...T subtasks { ...T } } } } }
  }
}
"""


async def _warm(gateway: Gateway) -> None:
    # The server's metadata is read once per process; keep it out of the counts.
    await gateway.data("query { tasks(first: 1) { nodes { id } } }")


async def arrange_page(gateway: Gateway) -> None:
    resources = [practitioner(f"p{n}") for n in range(5)]
    resources += [patient(f"pt{n}") for n in range(10)]
    resources += [
        {
            "resourceType": "ServiceRequest",
            "id": f"sr{n}",
            "status": "active",
            "intent": "order",
            "subject": {"reference": "Patient/pt0"},
        }
        for n in range(4)
    ]
    resources += [{"resourceType": "Questionnaire", "id": "q0", "status": "active"}]
    for n in range(50):
        focus = f"ServiceRequest/sr{n % 4}" if n % 5 else "Questionnaire/q0"
        resources.append(
            task(
                f"t{n:02d}",
                owner=f"Practitioner/p{n % 5}",
                requester=f"Practitioner/p{(n + 1) % 5}",
                focus=focus,
                **{"for": f"Patient/pt{n % 10}"},
            )
        )
    await put_all(gateway.fhir, resources)


async def test_page_with_references_costs_one_search_plus_one_per_type(gateway: Gateway) -> None:
    await arrange_page(gateway)
    await _warm(gateway)
    with gateway.counting() as sent:
        data = await gateway.data(PAGE)
    nodes = data["tasks"]["nodes"]
    assert len(nodes) == 50
    assert all(n["owner"] and n["for"] and n["focus"] and n["requester"] for n in nodes)
    # The contract bound is 1 search + 1 per referenced type (Practitioner, Patient,
    # ServiceRequest, Questionnaire); planning with _include brings all in the one search.
    assert len(sent) == 1, [str(r.url) for r in sent]


async def test_four_levels_of_subtasks_cost_one_task_search_per_level(gateway: Gateway) -> None:
    resources = [practitioner(f"p{n}") for n in range(3)]
    for root in range(50):
        parent = None
        for level in range(5):
            tid = f"r{root:02d}-l{level}"
            resources.append(task(tid, parent=parent, owner=f"Practitioner/p{level % 3}"))
            parent = tid
    await put_all(gateway.fhir, resources)
    await _warm(gateway)
    with gateway.counting() as sent:
        data = await gateway.data(TREE)
    roots = data["tasks"]["nodes"]
    assert len(roots) == 50
    node = roots[0]
    for level in range(1, 5):
        (node,) = node["subtasks"]
        assert node["id"] == f"r00-l{level}"
        assert node["owner"] == {"id": f"p{level % 3}"}
    task_requests = [r for r in sent if r.url.path.endswith("/Task") or "/Task/" in r.url.path]
    # The top-level search, then one batched part-of search per level below it.
    assert len(task_requests) <= 1 + 4, [str(r.url) for r in task_requests]
    # Owners: at most one Practitioner request per level (5 levels).
    assert len(sent) - len(task_requests) <= 5


class RefuseIncludes(httpx2.AsyncBaseTransport):
    """A FHIR server that answers 400 to any search asking for _include, with ``issue``."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, issue: dict[str, str]) -> None:
        self.inner = inner
        self.issue = issue

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if b"_include" in request.url.query:
            outcome = {"resourceType": "OperationOutcome", "issue": [self.issue]}
            return httpx2.Response(400, json=outcome)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def refuse_includes(gateway: Gateway, issue: dict[str, str]) -> None:
    http = gateway.runtime.http
    http._transport = RefuseIncludes(http._transport, issue)  # the transport is httpx2's test seam


async def test_servers_refusing_includes_fall_back_to_batched_loads(gateway: Gateway) -> None:
    await arrange_page(gateway)
    await _warm(gateway)
    issue = {"severity": "error", "code": "not-supported", "diagnostics": "_include: not supported"}
    refuse_includes(gateway, issue)
    with gateway.counting() as sent:
        data = await gateway.data(PAGE)
    nodes = data["tasks"]["nodes"]
    assert len(nodes) == 50
    assert all(n["owner"] and n["for"] and n["focus"] and n["requester"] for n in nodes)
    # The refused search, the search again, then one request per referenced type.
    assert len(sent) == 2 + 4, [str(r.url) for r in sent]
    # Learned once: the next listing does not ask for _include again.
    with gateway.counting() as sent:
        await gateway.data(PAGE)
    assert len(sent) == 1 + 4, [str(r.url) for r in sent]


async def test_a_refusal_about_something_else_is_an_error_not_a_fallback(
    gateway: Gateway,
) -> None:
    await arrange_page(gateway)
    await _warm(gateway)
    issue = {"severity": "error", "code": "invalid", "diagnostics": "Unknown sort 'authored-on'"}
    refuse_includes(gateway, issue)
    with gateway.counting() as sent:
        error = await gateway.error(PAGE)
    assert error["path"] == ["tasks"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert len(sent) == 1, [str(r.url) for r in sent]
