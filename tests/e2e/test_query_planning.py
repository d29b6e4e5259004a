"""Query planning: a Task list with its subtask trees in at most two FHIR round trips, and
the same answers as per-level batching (GATEWAY_QUERY_PLANNING=false), for every caller."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.fhir import Resource
from gateway.limits import MAX_SUBTASKS
from tests.conftest import SERVERS, Gateway, gateway_on
from tests.e2e.builders import patient, practitioner, put_all, task
from tests.oidc_provider import OidcProvider

REFS = "owner { id } for { id } focus { id resourceType }"


def nested(levels: int, fields: str = f"id status {REFS}") -> str:
    """``fields`` on a Task with ``subtasks`` nested ``levels`` deep below it."""
    inner = fields
    for _ in range(levels):
        inner = f"{fields} subtasks {{ {inner} }}"
    return inner


def listing(
    node: str,
    args: str = "first: 50, sort: AUTHORED_ON_ASC",
    where: str = "topLevel: true",
    page: str = "",
) -> str:
    return f"query {{ tasks({args}, filter: {{ {where} }}) {{ nodes {{ {node} }} {page} }} }}"


def references() -> list[Resource]:
    found: list[Resource] = [practitioner(f"p{n}") for n in range(3)]
    found += [patient(f"pt{n}") for n in range(3)]
    found.append({"resourceType": "Questionnaire", "id": "q0", "status": "active"})
    return found


def forest(roots: int, levels: int, fanout: int = 1, prefix: str = "r") -> list[Resource]:
    """``roots`` trees ``levels`` deep below their root, ``fanout`` children per Task; owner,
    patient and focus vary by level."""
    tasks: list[Resource] = []

    def grow(tid: str, parent: str | None, level: int) -> None:
        tasks.append(
            task(
                tid,
                parent=parent,
                owner=f"Practitioner/p{level % 3}",
                focus="Questionnaire/q0",
                status="ready" if level % 2 else "requested",
                authoredOn=f"2026-11-01T09:{level:02d}:00Z",
                **{"for": f"Patient/pt{level % 3}"},
            )
        )
        for child in range(fanout if level < levels else 0):
            grow(f"{tid}-{child}", tid, level + 1)

    for root in range(roots):
        grow(f"{prefix}{root:02d}", None, 0)
    return tasks


def deepest_planned(gateway: Gateway) -> int:
    """Levels of subtasks (with references) one search walks on this server: its rounds of
    :iterate less the round for the deepest references and the round that finds nothing."""
    return min(6, gateway.caps.iterate_rounds - 2)


async def _warm(gateway: Gateway) -> None:
    # The server's metadata is read once per process; keep it out of the counts.
    await gateway.data("query { tasks(first: 1) { nodes { id } } }")


async def test_a_deep_tree_with_references_is_one_round_trip(gateway: Gateway) -> None:
    levels = deepest_planned(gateway)
    assert levels >= 3  # both servers walk the issue's shape: 3 levels below each listed Task
    await put_all(gateway.fhir, [*references(), *forest(50, levels)])
    await _warm(gateway)
    with gateway.counting() as sent:
        data = await gateway.data(listing(nested(levels)))
    roots = data["tasks"]["nodes"]
    assert len(roots) == 50
    node = roots[7]
    for level in range(1, levels + 1):
        (node,) = node["subtasks"]
        assert node["owner"] == {"id": f"p{level % 3}"}
        assert node["for"] == {"id": f"pt{level % 3}"}
        assert node["focus"] == {"id": "q0", "resourceType": "Questionnaire"}
    assert len(sent) == 1, [str(r.url) for r in sent]


async def test_parents_of_listed_tasks_take_the_second_round_trip(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*references(), task("top"), *forest(5, 3)])
    await put_all(gateway.fhir, [task(f"r{n:02d}", parent="top") for n in range(5)])
    await _warm(gateway)
    query = listing(f"partOf {{ id }} {nested(3, 'id owner { id }')}", where='partOf: "top"')
    with gateway.counting() as sent:
        data = await gateway.data(query)
    nodes = data["tasks"]["nodes"]
    assert len(nodes) == 5
    assert all(n["partOf"] == [{"id": "top"}] for n in nodes)
    assert nodes[0]["subtasks"][0]["subtasks"][0]["subtasks"][0]["owner"] == {"id": "p0"}
    assert len(sent) <= 2, [str(r.url) for r in sent]


async def test_a_subtask_tree_of_listed_tasks_is_one_round_trip(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*references(), *forest(20, 3, fanout=2)])
    await _warm(gateway)
    node = "id subtaskTree(maxDepth: 3) { depth parentId task { id owner { id } for { id } } }"
    with gateway.counting() as sent:
        data = await gateway.data(listing(node))
    roots = data["tasks"]["nodes"]
    assert len(roots) == 20
    assert [e["depth"] for e in roots[0]["subtaskTree"]] == [1] * 2 + [2] * 4 + [3] * 8
    assert roots[0]["subtaskTree"][-1]["task"]["owner"] == {"id": "p0"}
    assert len(sent) == 1, [str(r.url) for r in sent]


async def test_without_planning_each_level_is_a_round_trip(
    request: pytest.FixtureRequest,
) -> None:
    request.param = "embedded"  # the setting, not the server, decides here
    async with gateway_on(request, query_planning=False) as batched:
        await put_all(batched.fhir, [*references(), *forest(10, 3)])
        await _warm(batched)
        with batched.counting() as sent:
            await batched.data(listing(nested(3, "id owner { id }")))
    task_searches = [r for r in sent if r.url.path.endswith("/Task")]
    assert len(task_searches) == 4, [str(r.url) for r in sent]
    assert not any("include" in str(r.url) for r in sent)


# --- the same answers with planning on and off ---------------------------------------------


@contextlib.asynccontextmanager
async def planned_and_batched(
    request: pytest.FixtureRequest, **settings: Any
) -> AsyncIterator[tuple[Gateway, Gateway]]:
    """Two gateways on one kind of server, planning on and off. On Medplum both read the
    same server; the embedded store lives in each gateway, so data goes to both."""
    async with (
        gateway_on(request, **settings) as planned,
        gateway_on(request, query_planning=False, **settings) as batched,
    ):
        yield planned, batched


async def arrange(pair: tuple[Gateway, Gateway], resources: list[Resource]) -> None:
    planned, batched = pair
    await put_all(planned.fhir, resources)
    if planned.name == "embedded":
        await put_all(batched.fhir, resources)


async def same_answers(pair: tuple[Gateway, Gateway], query: str) -> dict[str, Any]:
    answers = [await gw.gql(query) for gw in pair]
    for answer in answers:
        # Errors come in the order fields resolved, which the number of round trips changes.
        answer.get("errors", []).sort(key=lambda e: (str(e.get("path")), e["message"]))
    assert answers[0] == answers[1], query
    return answers[0]


def shapes() -> list[Resource]:
    found = [*references(), *forest(3, 3, fanout=2), *forest(3, 6, prefix="deep")]
    # A partOf cycle, and a Task with more children than one list holds.
    found += [task("loop", parent="lb", authoredOn="2026-10-01T00:00:00Z")]
    found += [task("la", parent="loop"), task("lb", parent="la")]
    found += [task("wide", authoredOn="2026-10-02T00:00:00Z")]
    found += [task(f"w{n:03d}", parent="wide") for n in range(MAX_SUBTASKS + 1)]
    return found


@pytest.fixture(params=SERVERS)
async def pair(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Gateway, Gateway]]:
    async with planned_and_batched(request) as gateways:
        await arrange(gateways, shapes())
        yield gateways


@pytest.mark.parametrize(
    "node",
    [
        nested(1),
        nested(3),
        nested(6, "id owner { id }"),
        "id ready: subtasks(status: [READY]) { id for { id } } "
        "subtasks { id ready: subtasks(status: [READY]) { id owner { id } } }",
        "id subtaskTree { depth parentId task { id status owner { id } } }",
        "id subtaskTree(maxDepth: 2) { depth task { id subtasks { id focus { id } } } }",
        f"id partOf {{ id }} {nested(2, 'id partOf { id } requester { id }')}",
    ],
    ids=["one level", "three levels", "six levels", "status filter", "tree", "tree+subtasks",
         "parents"],
)  # fmt: skip
async def test_planning_changes_no_answer(pair: tuple[Gateway, Gateway], node: str) -> None:
    # Every Task listed: the cycle's and the wide Task's children too.
    answer = await same_answers(pair, listing(node, "first: 100, sort: AUTHORED_ON_ASC", ""))
    nodes = answer["data"]["tasks"]["nodes"]
    assert len(nodes) == 100
    # The wide Task's list is refused, the same way, wherever it is asked for.
    if "subtasks" in node:
        codes = {e["extensions"]["code"] for e in answer.get("errors", [])}
        assert codes == {"QUERY_TOO_COMPLEX"}


async def test_planning_changes_no_page(pair: tuple[Gateway, Gateway]) -> None:
    node = nested(3, "id owner { id }")
    after = None
    pages = 0
    while True:
        args = "first: 3, sort: AUTHORED_ON_ASC" + (f', after: "{after}"' if after else "")
        page = "pageInfo { hasNextPage endCursor }"
        query = listing(node, args, 'topLevel: true, patient: "Patient/pt0"', page)
        answers = [await gw.data(query) for gw in pair]
        # Cursors are encrypted afresh each time: compare what they lead to, not their text.
        assert answers[0]["tasks"]["nodes"] == answers[1]["tasks"]["nodes"]
        info = answers[0]["tasks"]["pageInfo"]
        pages += 1
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert pages == 2  # 3 + 3 roots


async def test_a_refused_walk_falls_back_to_the_same_answer(
    pair: tuple[Gateway, Gateway],
) -> None:
    # Three levels selected, six in the data: Medplum's walk passes its bound and is
    # refused; the embedded store walks all six. Either way the answer is the same.
    planned, _ = pair
    node = nested(3, "id owner { id }")
    query = listing(node, where='topLevel: true, patient: "Patient/pt0"')
    await _warm(planned)
    with planned.counting() as sent:
        answer = await same_answers(pair, query)
    assert "errors" not in answer
    roots = answer["data"]["tasks"]["nodes"]
    assert [r["id"] for r in roots] == ["deep00", "deep01", "deep02", "r00", "r01", "r02"]
    if planned.caps.iterate_rounds >= 6 + 2:
        assert len(sent) == 1, [str(r.url) for r in sent]
    else:
        walk, plain = sent[0], sent[1]
        assert "_revinclude" in str(walk.url) and "_revinclude" not in str(plain.url)


# --- authorization: the includes show nothing a read by id would not ---------------------------

PATIENT_SCOPES = (
    "openid fhirUser launch/patient patient/Task.rs patient/Practitioner.r patient/Patient.r"
)


@pytest.fixture(params=SERVERS)
async def secured_pair(
    request: pytest.FixtureRequest, oidc_provider: OidcProvider
) -> AsyncIterator[tuple[Gateway, Gateway]]:
    async with planned_and_batched(
        request,
        auth_mode="jwt",
        auth_issuer=oidc_provider.issuer,
        auth_audience=oidc_provider.audience,
    ) as gateways:
        resources = [*references()]
        # pt1's Tasks, with subtasks of pt1 and of pt2 below them; pt2's own tree.
        for root, owner in (("a", "pt1"), ("b", "pt2")):
            resources.append(task(root, owner="Practitioner/p0", **{"for": f"Patient/{owner}"}))
            for n, who in enumerate(("pt1", "pt2", "pt1")):
                child = f"{root}{n}"
                resources.append(
                    task(child, parent=root, owner="Practitioner/p1", **{"for": f"Patient/{who}"})
                )
                resources.append(task(f"{child}x", parent=child, **{"for": f"Patient/{who}"}))
        await arrange(gateways, resources)
        yield gateways


def use(pair: tuple[Gateway, Gateway], token: str) -> None:
    for gateway in pair:
        gateway.client.headers["Authorization"] = f"Bearer {token}"


TREE = listing(
    "id for { id } owner { id } subtasks { id for { id } owner { id } "
    "subtasks { id for { id } } } subtaskTree { task { id for { id } } }"
)


async def test_a_patient_sees_only_its_own_subtasks_planned_or_not(
    secured_pair: tuple[Gateway, Gateway], oidc_provider: OidcProvider
) -> None:
    claims = oidc_provider.claims(fhirUser="Patient/pt1", patient="pt1", scope=PATIENT_SCOPES)
    use(secured_pair, oidc_provider.mint(claims))
    answer = await same_answers(secured_pair, TREE)
    assert "errors" not in answer
    (root,) = answer["data"]["tasks"]["nodes"]
    assert root["id"] == "a"
    assert [s["id"] for s in root["subtasks"]] == ["a0", "a2"]
    below = [s["subtasks"] for s in root["subtasks"]]
    assert below == [[{"id": "a0x", "for": {"id": "pt1"}}], [{"id": "a2x", "for": {"id": "pt1"}}]]
    seen = {e["task"]["for"]["id"] for e in root["subtaskTree"]}
    assert seen == {"pt1"}


async def test_a_missing_read_scope_is_refused_planned_or_not(
    secured_pair: tuple[Gateway, Gateway], oidc_provider: OidcProvider
) -> None:
    # Task lists, but no Practitioner reads: the owners the walk brought stay unread.
    use(secured_pair, oidc_provider.mint(oidc_provider.claims(scope="openid user/Task.rs")))
    answer = await same_answers(secured_pair, TREE)
    assert {e["extensions"]["code"] for e in answer["errors"]} == {"FORBIDDEN"}
    assert {e["path"][-1] for e in answer["errors"]} == {"owner", "for"}
