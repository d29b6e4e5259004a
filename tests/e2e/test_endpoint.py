"""The /graphql endpoint's guards: limits, error codes, masking, production mode, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from gateway.fhir.errors import FhirRequestError
from gateway.schema.task import Task
from tests.conftest import Gateway, free_port, running_gateway, settings_for
from tests.e2e.builders import put_all, task


@pytest.fixture
async def embedded() -> AsyncIterator[Gateway]:
    async with running_gateway(settings_for("embedded"), "embedded") as gateway:
        yield gateway


@pytest.fixture
async def unreachable() -> AsyncIterator[Gateway]:
    """A gateway whose FHIR server refuses connections (nothing listens on the port)."""
    base = f"http://127.0.0.1:{free_port()}/fhir/R4/"
    settings = settings_for("medplum", base, upstream_connect_timeout=0.5)
    async with running_gateway(settings, "unreachable") as gateway:
        yield gateway


def nested(depth: int) -> str:
    """A query ``depth`` fields deep: task, then subtasks, then id."""
    inner = "id"
    for _ in range(depth - 2):
        inner = f"subtasks {{ {inner} }}"
    return f'query {{ task(id: "a") {{ {inner} }} }}'


async def test_depth_limit(embedded: Gateway) -> None:
    with embedded.counting() as sent:
        error = await embedded.error(nested(13))
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 12, "value": 13}
    assert sent == []
    assert "errors" not in await embedded.gql(nested(12))


async def test_alias_limit_counts_aliases_inside_fragments(embedded: Gateway) -> None:
    aliases = " ".join(f"a{n}: id" for n in range(11))
    query = f"""fragment F on Task {{ {aliases} }}
        query {{ x: task(id: "a") {{ ...F }} y: task(id: "b") {{ ...F }} }}"""
    with embedded.counting() as sent:
        error = await embedded.error(query)
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 20, "value": 24}
    assert sent == []


async def test_token_limit(embedded: Gateway) -> None:
    query = "query { " + " ".join("__typename" for _ in range(3000)) + " }"
    with embedded.counting() as sent:
        error = await embedded.error(query)
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 3000, "value": 3001}
    assert sent == []


async def test_fragments_spread_many_times_are_measured_once(embedded: Gateway) -> None:
    # Each fragment spreads the next twice: 2**40 expansions if measured naively.
    fragments = [
        f"fragment F{n} on Task {{ id x{n}: status subtasks {{ ...F{n + 1} ...F{n + 1} }} }}"
        for n in range(40)
    ]
    fragments.append("fragment F40 on Task { id }")
    query = 'query { task(id: "a") { ...F0 } } ' + " ".join(fragments)
    error = await embedded.error(query)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_introspection_is_not_limited_in_development(embedded: Gateway) -> None:
    from graphql import get_introspection_query

    data = await embedded.data(get_introspection_query())
    assert data["__schema"]["queryType"]["name"] == "Query"


async def test_parse_and_validation_failures(embedded: Gateway) -> None:
    assert (await embedded.error("query {"))["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    error = await embedded.error("query { task(id: 1) { nope } }")
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_bad_variable_values(embedded: Gateway) -> None:
    query = "query($d: DateTime) { tasks(filter: { dueAfter: $d }) { nodes { id } } }"
    error = await embedded.error(query, {"d": "next tuesday"})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "d"}
    inline = 'query { tasks(filter: { modifiedSince: "garbage" }) { nodes { id } } }'
    assert (await embedded.error(inline))["extensions"] == {"code": "BAD_USER_INPUT"}
    query = "query($s: [TaskStatus!]) { tasks(filter: { status: $s }) { nodes { id } } }"
    error = await embedded.error(query, {"s": ["on-hold"]})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "s"}


async def test_unexpected_errors_are_masked(
    embedded: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    await put_all(embedded.fhir, [task("a", description="Patient Jane Secret, HIV test")])

    def broken(resource: dict[str, Any]) -> Task:
        raise KeyError(resource["description"])

    monkeypatch.setattr(Task, "from_fhir", classmethod(lambda cls, r: broken(r)))
    body = await embedded.gql('query { task(id: "a") { id } }')
    assert body["errors"][0]["message"] == "Internal server error"
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "Secret" not in str(body)
    assert "Secret" not in caplog.text


async def test_body_limit(embedded: Gateway) -> None:
    padding = "#" + "x" * 1_100_000 + "\n"
    response = await embedded.client.post("/graphql", json={"query": padding + "{ __typename }"})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"] == {
        "code": "BAD_REQUEST",
        "limit": 1_048_576,
        "value": int(response.request.headers["content-length"]),
    }
    assert response.headers["content-type"] == "application/json"
    metrics = (await embedded.client.get("/metrics")).text
    assert 'gateway_graphql_errors_total{code="BAD_REQUEST"} 1.0' in metrics


async def test_body_limit_answers_in_the_media_type_asked_for(embedded: Gateway) -> None:
    padding = "#" + "x" * 1_100_000 + "\n"
    response = await embedded.client.post(
        "/graphql",
        json={"query": padding + "{ __typename }"},
        headers={"Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_upstream_unreachable_is_typed(unreachable: Gateway) -> None:
    error = await unreachable.error("query { tasks { nodes { id } } }")
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE"}
    response = await unreachable.client.get("/readyz")
    assert response.status_code == 503
    assert (await unreachable.client.get("/healthz")).status_code == 200


async def test_failing_subtasks_keep_the_rest_of_the_answer(embedded: Gateway) -> None:
    await put_all(embedded.fhir, [task("a"), task("b", parent="a")])

    async def fail_part_of(request: httpx2.Request) -> None:
        if b"part-of" in request.url.query:
            raise httpx2.ConnectError("down", request=request)

    embedded.runtime.http.event_hooks["request"].append(fail_part_of)
    body = await embedded.gql('query { task(id: "a") { id status subtasks { id } } }')
    assert body["data"] == {"task": {"id": "a", "status": "READY", "subtasks": None}}
    assert body["errors"][0]["path"] == ["task", "subtasks"]
    assert body["errors"][0]["extensions"] == {"code": "UPSTREAM_UNAVAILABLE"}


async def test_graphiql_in_development_only() -> None:
    page_headers = {"Accept": "text/html"}
    async with running_gateway(settings_for("embedded"), "embedded") as dev:
        response = await dev.client.get("/graphql", headers=page_headers)
        assert response.status_code == 200 and "graphiql" in response.text.lower()
    prod_settings = settings_for(
        "embedded", env="production", auth_mode="none", allow_anonymous=True
    )
    async with running_gateway(prod_settings, "embedded") as prod:
        response = await prod.client.get("/graphql", headers=page_headers)
        assert response.status_code != 200
        response = await prod.client.get("/graphql", params={"query": "{ __typename }"})
        assert response.status_code != 200
        error = await prod.error("query { __schema { types { name } } }")
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert (await prod.data("query { __typename }")) == {"__typename": "Query"}
        # The embedded store has no authentication: production keeps it in-process only.
        assert (await prod.client.get("/fhir/R4/metadata")).status_code == 404
        assert (await prod.data("query { tasks { nodes { id } } }")) == {"tasks": {"nodes": []}}


async def test_metrics_count_requests_without_ids(embedded: Gateway) -> None:
    await put_all(embedded.fhir, [task("secret-id-42", description="Jane Roe")])
    await embedded.data('query { task(id: "secret-id-42") { id } }')
    await embedded.error('query { task(id: "..") { id } }')
    response = await embedded.client.get("/metrics")
    assert response.status_code == 200
    text = response.text
    assert 'gateway_fhir_requests_total{operation="search",outcome="200"}' in text
    assert 'gateway_graphql_errors_total{code="BAD_USER_INPUT"} 1.0' in text
    assert 'gateway_http_requests_total{method="POST",route="/graphql",status="200"} 2.0' in text
    assert "secret-id-42" not in text
    assert "Jane" not in text


async def test_requests_are_logged_and_counted_by_route_without_ids(
    embedded: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.http")
    await put_all(embedded.fhir, [task("secret-id-42")])
    assert (await embedded.client.get("/fhir/R4/Task/secret-id-42")).status_code == 200
    assert (await embedded.client.get("/secret-id-42")).status_code == 404
    text = (await embedded.client.get("/metrics")).text
    assert 'gateway_http_requests_total{method="GET",route="/fhir/R4",status="200"} 1.0' in text
    assert 'gateway_http_requests_total{method="GET",route="other",status="404"} 1.0' in text
    assert "GET /fhir/R4 200" in caplog.text and "GET other 404" in caplog.text
    assert "secret-id-42" not in text and "secret-id-42" not in caplog.text


async def test_a_task_with_a_non_r4_status_is_an_upstream_error(gateway: Gateway) -> None:
    if gateway.caps.validates_writes:
        # A validating server refuses such a write (422): nothing to read back.
        with pytest.raises(FhirRequestError):
            await gateway.fhir.update({"resourceType": "Task", "id": "odd", "status": "paused",
                                       "intent": "order"})  # fmt: skip
        return
    await gateway.fhir.update({"resourceType": "Task", "id": "odd", "status": "paused",
                               "intent": "order"})  # fmt: skip
    error = await gateway.error('query { task(id: "odd") { id status } }')
    assert error["extensions"] == {"code": "UPSTREAM_ERROR"}


async def test_cors_only_for_configured_origins() -> None:
    settings = settings_for("embedded", cors_origins="https://app.clinic.example")
    async with running_gateway(settings, "embedded") as gateway:
        preflight = {
            "Origin": "https://app.clinic.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        allowed = await gateway.client.options("/graphql", headers=preflight)
        assert allowed.headers["access-control-allow-origin"] == "https://app.clinic.example"
        other = await gateway.client.options(
            "/graphql", headers={**preflight, "Origin": "https://evil.example"}
        )
        assert "access-control-allow-origin" not in other.headers
    async with running_gateway(settings_for("embedded"), "embedded") as plain:
        response = await plain.client.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": "https://app.clinic.example"},
        )
        assert "access-control-allow-origin" not in response.headers
