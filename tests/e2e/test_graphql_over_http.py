"""GraphQL over HTTP as off-the-shelf clients expect it: the spec's media type, and every
request refused before GraphQL answered as a JSON GraphQL error with its status."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Gateway, running_gateway, settings_for
from tests.serve import gateway_process

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
AUDIT_TIMEOUT = 120.0
# What Apollo Client 4 sends.
APOLLO_ACCEPT = "application/graphql-response+json,application/json;q=0.9"
SPEC_JSON = "application/graphql-response+json; charset=utf-8"


@pytest.fixture
async def embedded() -> AsyncIterator[Gateway]:
    async with running_gateway(settings_for("embedded"), "embedded") as gateway:
        yield gateway


def test_the_graphql_http_audit_passes_without_warnings() -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed for the graphql-http audit"
    assert (CLIENTS / "node_modules" / "graphql-http").is_dir(), f"run npm ci in {CLIENTS}"
    with gateway_process({}) as url:
        finished = subprocess.run(
            [node, "audit.mjs", f"{url}/graphql"],
            cwd=CLIENTS,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=AUDIT_TIMEOUT,
            check=False,
        )
    assert finished.returncode == 0, finished.stderr
    results = json.loads(finished.stdout)
    assert len(results) > 50  # the suite ran, not an empty list
    not_ok = [
        f"{r['id']} {r['status']}: {r['name']} ({r['reason']})"
        for r in results
        if r["status"] != "ok"
    ]
    assert not_ok == []


async def _post(gateway: Gateway, body: Any, accept: str | None = None) -> tuple[int, str, Any]:
    headers = {"Accept": accept} if accept else {}
    response = await gateway.client.post("/graphql", json=body, headers=headers)
    return response.status_code, response.headers["content-type"], response.json()


async def test_the_spec_media_type_when_the_client_accepts_it(embedded: Gateway) -> None:
    status, media_type, body = await _post(embedded, {"query": "{ __typename }"}, APOLLO_ACCEPT)
    assert (status, media_type, body) == (200, SPEC_JSON, {"data": {"__typename": "Query"}})
    status, media_type, _ = await _post(embedded, {"query": "{ __typename }"})
    assert (status, media_type) == (200, "application/json")


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("query {", None, "GRAPHQL_PARSE_FAILED"),
        ("query { nope }", None, "GRAPHQL_VALIDATION_FAILED"),
        (
            "query($d: DateTime) { tasks(filter: { dueAfter: $d }) { totalCount } }",
            {"d": "x"},
            "BAD_USER_INPUT",
        ),
    ],
)
async def test_requests_that_never_execute(
    embedded: Gateway, query: str, variables: dict[str, Any] | None, code: str
) -> None:
    request = {"query": query, "variables": variables}
    with embedded.counting() as sent:
        status, _, body = await _post(embedded, request, APOLLO_ACCEPT)
    assert status == 400
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == code
    # application/json clients keep what they had: 200 and "data": null.
    status, _, body = await _post(embedded, request, "application/json")
    assert status == 200
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == code
    assert sent == []


async def test_an_execution_error_keeps_200_and_its_data(embedded: Gateway) -> None:
    status, _, body = await _post(
        embedded, {"query": 'query { task(id: "..") { id } }'}, APOLLO_ACCEPT
    )
    assert status == 200
    assert body["data"] == {"task": None}
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def _refusal(body: Any) -> dict[str, Any]:
    assert set(body) == {"errors"}
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    assert isinstance(error["message"], str) and error["message"]
    return dict(error)


async def test_every_refusal_is_a_counted_bad_request(embedded: Gateway) -> None:
    client = embedded.client
    cases = [
        (await client.post("/graphql", content=b"{}", headers={"Content-Type": "text/plain"}), 400),
        (
            await client.post(
                "/graphql", content=b'{"query": ', headers={"Content-Type": "application/json"}
            ),
            400,
        ),
        (await client.post("/graphql", json={"variables": {}}), 400),
        (await client.post("/graphql", json={"query": 1}), 400),
        (
            await client.post(
                "/graphql", json=[{"query": "{ __typename }"}, {"query": "{ __typename }"}]
            ),
            400,
        ),
        (await client.get("/graphql", params={"query": "mutation { __typename }"}), 405),
        (await client.put("/graphql", json={"query": "{ __typename }"}), 405),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"
        _refusal(response.json())
    assert cases[5][0].headers["allow"] == "POST"
    assert cases[6][0].headers["allow"] == "GET, POST"
    metrics = (await client.get("/metrics")).text
    assert f'gateway_graphql_errors_total{{code="BAD_REQUEST"}} {len(cases)}.0' in metrics


async def test_a_refusal_comes_in_the_media_type_the_client_accepts(embedded: Gateway) -> None:
    response = await embedded.client.post(
        "/graphql", json={"query": None}, headers={"Accept": APOLLO_ACCEPT}
    )
    assert (response.status_code, response.headers["content-type"]) == (400, SPEC_JSON)
    _refusal(response.json())


async def test_a_mutation_over_get_writes_nothing(embedded: Gateway) -> None:
    create = "mutation { createTask(input: {status: REQUESTED}) { id } }"
    with embedded.counting() as sent:
        response = await embedded.client.get("/graphql", params={"query": create})
    assert response.status_code == 405
    assert sent == []


async def test_production_runs_get_only_for_persisted_queries() -> None:
    settings = settings_for("embedded", env="production", auth_mode="none", allow_anonymous=True)
    async with running_gateway(settings, "embedded") as prod:
        response = await prod.client.get("/graphql", params={"query": "{ __typename }"})
        assert response.status_code == 405
        _refusal(response.json())
        # The page GET of development is an ordinary request without a query here.
        page = await prod.client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 400
        _refusal(page.json())
