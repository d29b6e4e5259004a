"""The audit trail: a Provenance for every Task version the gateway writes, on each server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.fhir import Resource
from tests.conftest import SERVERS, Gateway, gateway_on
from tests.e2e.builders import put_all, referenced
from tests.oidc_provider import OidcProvider

DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
ON_HOLD_REASON = {"coding": [{"system": "http://example.org/why", "code": "waiting"}]}
FIELDS = "id versionId"


def use(gateway: Gateway, token: str) -> None:
    gateway.client.headers["Authorization"] = f"Bearer {token}"


async def provenance_of(gateway: Gateway, answer: dict[str, Any]) -> Resource:
    """The one Provenance whose target is the version a mutation answered with."""
    target = f"Task/{answer['id']}/_history/{answer['versionId']}"
    page = await gateway.fhir.search("Provenance", [("target", target)])
    found = [
        p for p in page.matches if [t.get("reference") for t in p.get("target", [])] == [target]
    ]
    assert len(found) == 1, page.matches
    return found[0]


def activity(record: Resource) -> str:
    [coding] = record["activity"]["coding"]
    assert coding["system"] == DATA_OPERATION
    code: str = coding["code"]
    return code


# (mutation, variables, activity, reason): each applied to the Task the first one creates.
MUTATIONS: list[tuple[str, dict[str, Any], str, Any]] = [
    (f"mutation {{ createTask(input: {{}}) {{ {FIELDS} }} }}", {}, "CREATE", None),
    (
        f'mutation($id: ID!) {{ updateTask(id: $id, input: {{description: "x"}}) {{ {FIELDS} }} }}',
        {},
        "UPDATE",
        None,
    ),
    (
        "mutation($id: ID!, $r: CodeableConceptInput) {"
        f" updateTaskStatus(id: $id, status: ON_HOLD, statusReason: $r) {{ {FIELDS} }} }}",
        {"r": ON_HOLD_REASON},
        "UPDATE",
        ON_HOLD_REASON,
    ),
    (
        f"mutation($id: ID!) {{ updateTaskStatus(id: $id, status: READY) {{ {FIELDS} }} }}",
        {},
        "UPDATE",
        None,
    ),
    (
        'mutation($id: ID!) { assignTask(id: $id, owner: {reference: "Practitioner/ada"})'
        f" {{ {FIELDS} }} }}",
        {},
        "UPDATE",
        None,
    ),
    (f"mutation($id: ID!) {{ releaseTask(id: $id) {{ {FIELDS} }} }}", {}, "UPDATE", None),
    (f"mutation($id: ID!) {{ claimTask(id: $id) {{ {FIELDS} }} }}", {}, "UPDATE", None),
    (
        f'mutation($id: ID!) {{ addTaskNote(id: $id, text: "called") {{ {FIELDS} }} }}',
        {},
        "UPDATE",
        None,
    ),
    (
        f"mutation($id: ID!) {{ createSubtask(parentId: $id, input: {{}}) {{ {FIELDS} }} }}",
        {},
        "CREATE",
        None,
    ),
]


async def test_every_mutation_is_recorded_with_the_caller_as_agent(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, referenced())
    use(secured, oidc_provider.mint())
    task_id: str | None = None
    for document, variables, kind, reason in MUTATIONS:
        given = {**variables, "id": task_id} if task_id else variables
        [answer] = (await secured.data(document, given)).values()
        task_id = task_id or answer["id"]

        record = await provenance_of(secured, answer)
        assert activity(record) == kind, document
        assert [a["who"] for a in record["agent"]] == [{"reference": "Practitioner/p1"}]
        assert record.get("reason") == ([reason] if reason else None), document
        assert record["recorded"]


async def test_an_anonymous_write_is_recorded_as_the_gateway(gateway: Gateway) -> None:
    answer = (await gateway.data(MUTATIONS[0][0]))["createTask"]

    record = await provenance_of(gateway, answer)

    [agent] = record["agent"]
    assert agent["who"] == {"reference": "#gateway", "display": "fhir-task-gateway"}
    [device] = record["contained"]
    assert device["resourceType"] == "Device" and device["id"] == "gateway"
    assert "identifier" not in device


async def test_a_system_token_is_recorded_as_the_gateway_for_its_client(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    claims = oidc_provider.claims(
        fhirUser=None, scope="system/Task.cruds", client_id="nightly-import"
    )
    use(secured, oidc_provider.mint(claims))

    answer = (await secured.data(MUTATIONS[0][0]))["createTask"]

    record = await provenance_of(secured, answer)
    identifier = {"system": "urn:ietf:params:oauth:client-id", "value": "nightly-import"}
    assert record["agent"][0]["who"]["identifier"] == identifier
    assert record["contained"][0]["identifier"] == [identifier]


async def test_task_and_provenance_go_together_where_transactions_are_atomic(
    gateway: Gateway,
) -> None:
    await gateway.data(MUTATIONS[0][0])  # the server's profile is read at the first write

    with gateway.counting():
        answer = (await gateway.data(MUTATIONS[0][0]))["createTask"]

    if gateway.caps.atomic_transactions:
        [write] = gateway.writes
        assert write.url.path.endswith("/fhir/R4/")
    else:
        # The Task first, so that its change stands even if its record then fails.
        assert [r.url.path.rsplit("/", 1)[1] for r in gateway.writes] == ["Task", "Provenance"]
    assert activity(await provenance_of(gateway, answer)) == "CREATE"


async def test_writing_nothing_records_nothing(gateway: Gateway) -> None:
    answer = (await gateway.data(MUTATIONS[0][0]))["createTask"]
    release = MUTATIONS[5][0]

    with gateway.counting():
        again = (await gateway.data(release, {"id": answer["id"]}))["releaseTask"]

    assert again == answer
    assert gateway.writes == []


@pytest.fixture(params=SERVERS)
async def unaudited(request: pytest.FixtureRequest) -> AsyncIterator[Gateway]:
    async with gateway_on(request, audit="off") as gw:
        yield gw


async def test_audit_off_writes_the_task_alone(unaudited: Gateway) -> None:
    await unaudited.data(MUTATIONS[0][0])

    with unaudited.counting():
        answer = (await unaudited.data(MUTATIONS[0][0]))["createTask"]

    assert [r.method for r in unaudited.writes] == ["POST"]
    assert len(unaudited.task_writes()) == 1
    target = f"Task/{answer['id']}/_history/{answer['versionId']}"
    page = await unaudited.fhir.search("Provenance", [("target", target)])
    assert page.matches == []
