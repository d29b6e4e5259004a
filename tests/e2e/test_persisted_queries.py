"""Automatic persisted queries (Apollo's protocol) and trusted documents, over HTTP."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Gateway, running_gateway, settings_for
from tests.e2e.builders import put_all, task
from tests.oidc_provider import OidcProvider

APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
TASKS = "query Tasks { tasks(first: 5) { totalCount nodes { id } } }"
HASH_ARGUMENT = "extensions.persistedQuery.sha256Hash"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apq(document: str, *, send_document: bool) -> dict[str, Any]:
    """A request in Apollo's persisted-query protocol."""
    body: dict[str, Any] = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}
    }
    if send_document:
        body["query"] = document
    return body


async def post(gateway: Gateway, body: dict[str, Any], accept: str | None = None) -> Any:
    headers = {"Accept": accept} if accept else {}
    response = await gateway.client.post("/graphql", json=body, headers=headers)
    return response.status_code, response.json()


def code_of(body: Any) -> str:
    return str(body["errors"][0]["extensions"]["code"])


@pytest.fixture
async def embedded() -> AsyncIterator[Gateway]:
    async with running_gateway(settings_for("embedded"), "embedded") as gateway:
        await put_all(gateway.fhir, [task("a")])
        yield gateway


async def test_an_unknown_hash_is_asked_for_then_served_by_hash(embedded: Gateway) -> None:
    with embedded.counting() as sent:
        status, body = await post(embedded, apq(TASKS, send_document=False), APOLLO_ACCEPT)
    assert (status, code_of(body), "data" in body) == (400, "PERSISTED_QUERY_NOT_FOUND", False)
    assert body["errors"][0]["message"] == "PersistedQueryNotFound"  # what Apollo looks for
    assert sent == []
    status, body = await post(embedded, apq(TASKS, send_document=False))
    assert (status, body["data"], code_of(body)) == (200, None, "PERSISTED_QUERY_NOT_FOUND")

    expected = {"tasks": {"totalCount": 1, "nodes": [{"id": "a"}]}}
    status, body = await post(embedded, apq(TASKS, send_document=True))
    assert (status, body) == (200, {"data": expected})
    status, body = await post(embedded, apq(TASKS, send_document=False))
    assert (status, body) == (200, {"data": expected})
    extensions = json.dumps(apq(TASKS, send_document=False)["extensions"])
    response = await embedded.client.get("/graphql", params={"extensions": extensions})
    assert (response.status_code, response.json()) == (200, {"data": expected})
    assert "cache-control" not in response.headers  # anonymous: a CDN may keep it


async def test_a_hash_that_is_not_the_documents_is_refused_and_not_kept(
    embedded: Gateway,
) -> None:
    body = {**apq(TASKS, send_document=True), "query": "query { __typename }"}
    status, answer = await post(embedded, body, APOLLO_ACCEPT)
    assert status == 400
    assert answer["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": HASH_ARGUMENT,
    }
    _, answer = await post(embedded, apq(TASKS, send_document=False))
    assert code_of(answer) == "PERSISTED_QUERY_NOT_FOUND"


async def test_an_invalid_document_is_not_kept(embedded: Gateway) -> None:
    invalid = "query { nope }"
    _, answer = await post(embedded, apq(invalid, send_document=True))
    assert code_of(answer) == "GRAPHQL_VALIDATION_FAILED"
    _, answer = await post(embedded, apq(invalid, send_document=False))
    assert code_of(answer) == "PERSISTED_QUERY_NOT_FOUND"


async def test_apq_off_says_not_supported_and_plain_queries_still_run() -> None:
    async with running_gateway(settings_for("embedded", apq=False), "embedded") as gateway:
        for send_document in (False, True):
            _, answer = await post(gateway, apq(TASKS, send_document=send_document))
            assert code_of(answer) == "PERSISTED_QUERY_NOT_SUPPORTED"
        assert await gateway.data("query { __typename }") == {"__typename": "Query"}


async def test_the_cache_keeps_the_most_recently_used_documents() -> None:
    documents = [f"query Q{n} {{ __typename }}" for n in range(3)]
    async with running_gateway(settings_for("embedded", apq_cache_size=2), "embedded") as gateway:
        for document in documents:
            _, answer = await post(gateway, apq(document, send_document=True))
            assert answer == {"data": {"__typename": "Query"}}
        _, first = await post(gateway, apq(documents[0], send_document=False))
        assert code_of(first) == "PERSISTED_QUERY_NOT_FOUND"
        for document in documents[1:]:
            _, answer = await post(gateway, apq(document, send_document=False))
            assert answer == {"data": {"__typename": "Query"}}


async def test_get_by_hash_in_production_is_private_to_an_authenticated_caller(
    oidc_provider: OidcProvider,
) -> None:
    settings = settings_for(
        "embedded",
        env="production",
        auth_mode="jwt",
        auth_issuer=oidc_provider.issuer,
        auth_audience=oidc_provider.audience,
    )
    async with running_gateway(settings, "embedded") as gateway:
        gateway.client.headers["Authorization"] = f"Bearer {oidc_provider.mint()}"
        _, answer = await post(gateway, apq(TASKS, send_document=True))
        assert "errors" not in answer, answer
        extensions = json.dumps(apq(TASKS, send_document=False)["extensions"])
        response = await gateway.client.get("/graphql", params={"extensions": extensions})
        assert response.status_code == 200
        assert response.json() == {"data": {"tasks": {"totalCount": 0, "nodes": []}}}
        assert response.headers["cache-control"] == "private, no-store"
        # The document itself still needs POST in production.
        response = await gateway.client.get("/graphql", params={"query": TASKS})
        assert response.status_code == 405
        # A browser's page GET needs no token; one naming an operation is not a page.
        del gateway.client.headers["Authorization"]
        response = await gateway.client.get(
            "/graphql", params={"extensions": extensions}, headers={"Accept": "text/html"}
        )
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"] == {
            "code": "UNAUTHENTICATED",
            "reason": "missing",
        }


# --- trusted documents ----------------------------------------------------------------


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({sha256(TASKS): TASKS}))
    return path


async def test_a_trusted_document_runs_by_its_id(manifest: Path) -> None:
    settings = settings_for("embedded", trusted_documents=str(manifest))
    async with running_gateway(settings, "embedded") as gateway:
        await put_all(gateway.fhir, [task("a")])
        for document_id in (f"sha256:{sha256(TASKS)}", sha256(TASKS)):
            _, answer = await post(gateway, {"documentId": document_id})
            assert answer == {"data": {"tasks": {"totalCount": 1, "nodes": [{"id": "a"}]}}}
        response = await gateway.client.get("/graphql", params={"documentId": sha256(TASKS)})
        assert response.json()["data"]["tasks"]["totalCount"] == 1
        status, answer = await post(gateway, {"documentId": sha256("{ x }")}, APOLLO_ACCEPT)
        assert (status, code_of(answer)) == (400, "PERSISTED_QUERY_NOT_FOUND")
        # Without trusted-only mode, other documents still run.
        assert await gateway.data("query { __typename }") == {"__typename": "Query"}


async def test_trusted_only_mode_refuses_any_other_document_without_a_fhir_request(
    manifest: Path,
) -> None:
    settings = settings_for(
        "embedded", trusted_documents=str(manifest), trusted_documents_only=True
    )
    async with running_gateway(settings, "embedded") as gateway:
        ad_hoc = "query { tasks { nodes { id description } } }"
        with gateway.counting() as sent:
            status, answer = await post(gateway, {"query": ad_hoc}, APOLLO_ACCEPT)
            assert (status, code_of(answer), "data" in answer) == (
                400,
                "PERSISTED_QUERY_NOT_ALLOWED",
                False,
            )
            _, answer = await post(gateway, apq(ad_hoc, send_document=True))
            assert code_of(answer) == "PERSISTED_QUERY_NOT_ALLOWED"
        assert sent == []
        # The shipped operation runs, by id, by hash, or sent in full.
        for body in (
            {"documentId": sha256(TASKS)},
            apq(TASKS, send_document=False),
            {"query": TASKS},
        ):
            _, answer = await post(gateway, body)
            assert answer == {"data": {"tasks": {"totalCount": 0, "nodes": []}}}
        metrics = (await gateway.client.get("/metrics")).text
        assert 'gateway_graphql_errors_total{code="PERSISTED_QUERY_NOT_ALLOWED"} 2.0' in metrics
