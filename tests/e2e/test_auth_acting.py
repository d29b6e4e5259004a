"""Acting as the caller: with authentication on, a write names the caller, never someone else."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.fhir import Ref
from tests.conftest import Gateway
from tests.e2e.builders import put_all, referenced, task
from tests.oidc_provider import OidcProvider

CREATE = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }"
SUBTASK = (
    'mutation($input: CreateTaskInput!) { createSubtask(parentId: "t1", input: $input) { id } }'
)
NOTE = (
    "mutation($author: ReferenceInput) {"
    ' addTaskNote(id: "t1", text: "seen", author: $author) { id } }'
)
CLAIM = 'mutation($owner: ReferenceInput) { claimTask(id: "t1", owner: $owner) { id } }'

ADA = {"reference": "Practitioner/ada"}
ME_AS_DR_HART = {"reference": "Practitioner/p1", "display": "Dr Hart (chief)"}


async def post(gateway: Gateway, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = (
        await gateway.client.post("/graphql", json={"query": query, "variables": variables})
    ).json()
    return body


def as_practitioner(gateway: Gateway, provider: OidcProvider, **claims: Any) -> None:
    token = provider.mint(provider.claims(**claims))
    gateway.client.headers["Authorization"] = f"Bearer {token}"


def refusal(body: dict[str, Any]) -> dict[str, Any]:
    [error] = body["errors"]
    extensions: dict[str, Any] = error["extensions"]
    return extensions


@pytest.mark.parametrize("named", [ADA, ME_AS_DR_HART], ids=["someone else", "a display"])
@pytest.mark.parametrize("query", [CREATE, SUBTASK], ids=["createTask", "createSubtask"])
async def test_a_caller_cannot_name_another_requester(
    secured: Gateway, oidc_provider: OidcProvider, query: str, named: dict[str, str]
) -> None:
    await put_all(secured.fhir, [*referenced(), task("t1")])
    as_practitioner(secured, oidc_provider)
    with secured.counting():
        body = await post(secured, query, {"input": {"requester": named}})
    assert body["data"] is None
    assert refusal(body) == {"code": "FORBIDDEN", "reason": "requester"}
    assert secured.writes == []


async def test_a_caller_may_name_itself_as_requester(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, referenced())
    as_practitioner(secured, oidc_provider)
    body = await post(secured, CREATE, {"input": {"requester": {"reference": "Practitioner/p1"}}})
    stored = await secured.fhir.read(Ref("Task", body["data"]["createTask"]["id"]))
    assert stored["requester"] == {"reference": "Practitioner/p1"}


@pytest.mark.parametrize("named", [ADA, ME_AS_DR_HART], ids=["someone else", "a display"])
async def test_a_caller_cannot_write_a_note_as_someone_else(
    secured: Gateway, oidc_provider: OidcProvider, named: dict[str, str]
) -> None:
    await put_all(secured.fhir, [*referenced(), task("t1")])
    as_practitioner(secured, oidc_provider)
    with secured.counting():
        body = await post(secured, NOTE, {"author": named})
    assert refusal(body) == {"code": "FORBIDDEN", "reason": "author"}
    assert secured.writes == []
    assert "note" not in await secured.fhir.read(Ref("Task", "t1"))


async def test_a_caller_may_name_itself_as_the_note_author(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, [*referenced(), task("t1")])
    as_practitioner(secured, oidc_provider)
    body = await post(secured, NOTE, {"author": {"reference": "Practitioner/p1"}})
    assert "errors" not in body
    stored = await secured.fhir.read(Ref("Task", "t1"))
    assert [n["authorReference"] for n in stored["note"]] == [{"reference": "Practitioner/p1"}]


async def test_a_claim_names_the_caller_without_a_display(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, [*referenced(), task("t1")])
    as_practitioner(secured, oidc_provider)
    with secured.counting():
        body = await post(secured, CLAIM, {"owner": ME_AS_DR_HART})
    assert refusal(body) == {"code": "FORBIDDEN", "reason": "owner"}
    assert secured.writes == []
    assert "owner" not in await secured.fhir.read(Ref("Task", "t1"))


async def test_a_system_token_names_whom_it_acts_for(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    # A backend integration acts for no one of its own; what it names is its record to keep.
    await put_all(secured.fhir, [*referenced(), task("t1")])
    as_practitioner(secured, oidc_provider, fhirUser=None, scope="system/Task.cruds")
    created = await post(secured, CREATE, {"input": {"requester": ADA}})
    assert "errors" not in await post(secured, NOTE, {"author": ADA})
    stored = await secured.fhir.read(Ref("Task", created["data"]["createTask"]["id"]))
    assert stored["requester"] == ADA
    noted = await secured.fhir.read(Ref("Task", "t1"))
    assert noted["note"][0]["authorReference"] == ADA


async def test_anonymous_mode_keeps_what_the_client_names(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1")])
    named = {"reference": "Practitioner/ada", "display": "Dr Ada Hart"}
    created = await post(gateway, CREATE, {"input": {"requester": named}})
    assert "errors" not in await post(gateway, NOTE, {"author": named})
    stored = await gateway.fhir.read(Ref("Task", created["data"]["createTask"]["id"]))
    assert stored["requester"] == named
    noted = await gateway.fhir.read(Ref("Task", "t1"))
    assert noted["note"][0]["authorReference"] == named
