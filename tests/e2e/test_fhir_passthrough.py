"""GATEWAY_FHIR_AUTH=passthrough: each caller's own token reaches the FHIR server, and only
it; the server's 401/403 are the caller's, while with static credentials they are the gateway's."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.changes import TaskChangeEvent
from gateway.config import Settings
from tests.conftest import running_gateway
from tests.e2e.live_server import serving, socket
from tests.fhir_servers import RecordingFhir, running_fhir
from tests.oidc_provider import OidcProvider

QUERY = '{ task(id: "t1") { id owner { __typename } } }'


@pytest.fixture
def foreign() -> Iterator[RecordingFhir]:
    with running_fhir() as server:
        yield server


@pytest.fixture
def fhir_server(foreign: RecordingFhir) -> Iterator[RecordingFhir]:
    with running_fhir() as server:
        task = {
            "resourceType": "Task",
            "id": "t1",
            "status": "ready",
            "intent": "order",
            "meta": {"versionId": "1"},
            # An absolute reference to another server: not followed, so nothing goes there.
            "owner": {"reference": foreign.base_url + "Practitioner/p9"},
        }
        found = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": task}]}
        server.answer = lambda path, authorization: (200, found)
        yield server


def settings(fhir: RecordingFhir, oidc: OidcProvider, **extra: Any) -> dict[str, Any]:
    return {
        "fhir_base_url": fhir.base_url,
        "fhir_server": "generic",
        "seed_demo": False,
        "cursor_secret": "test-secret",
        # The change poller's requests (the gateway's own token) would mix with the callers'.
        "changes_poll_interval": 0,
        "auth_mode": "jwt",
        "auth_issuer": oidc.issuer,
        "auth_audience": oidc.audience,
        **extra,
    }


async def ask(oidc_provider: OidcProvider, token: str, **config: Any) -> dict[str, Any]:
    async with running_gateway(Settings(**config), "generic") as gateway:
        response = await gateway.client.post(
            "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_each_caller_token_goes_to_the_fhir_server_and_nowhere_else(
    oidc_provider: OidcProvider, fhir_server: RecordingFhir, foreign: RecordingFhir
) -> None:
    alice = oidc_provider.mint(oidc_provider.claims(sub="alice"))
    bob = oidc_provider.mint(oidc_provider.claims(sub="bob", fhirUser="Practitioner/p2"))
    config = Settings(**settings(fhir_server, oidc_provider, fhir_auth="passthrough"))

    async with running_gateway(config, "generic") as gateway:
        answers = [
            await gateway.client.post(
                "/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
            )
            for token in (alice, bob, alice)
        ]

    assert [a.json() for a in answers] == [{"data": {"task": {"id": "t1", "owner": None}}}] * 3
    assert fhir_server.tokens() == [f"Bearer {alice}", f"Bearer {bob}", f"Bearer {alice}"]
    assert foreign.seen == []


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("passthrough", 401, "UNAUTHENTICATED"),
        ("passthrough", 403, "FORBIDDEN"),
        ("static", 401, "UPSTREAM_ERROR"),
        ("static", 403, "UPSTREAM_ERROR"),
    ],
)
async def test_who_a_refusal_of_the_fhir_server_is_for(
    mode: str,
    status: int,
    code: str,
    oidc_provider: OidcProvider,
    fhir_server: RecordingFhir,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    fhir_server.answer = lambda path, authorization: (status, {"resourceType": "OperationOutcome"})
    token = oidc_provider.mint()
    extra: dict[str, Any] = {"fhir_auth": mode}
    if mode == "static":
        extra["fhir_auth_token"] = "gateway-own-token"

    body = await ask(oidc_provider, token, **settings(fhir_server, oidc_provider, **extra))

    assert body["data"] == {"task": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    sent = f"Bearer {token}" if mode == "passthrough" else "Bearer gateway-own-token"
    assert fhir_server.tokens() == [sent]
    assert token not in caplog.text
    assert "gateway-own-token" not in caplog.text
    assert "gateway-own-token" not in str(body)


@pytest.mark.parametrize(("status", "ready"), [(200, 200), (401, 200), (403, 200), (500, 503)])
async def test_readyz_asks_the_fhir_server_without_credentials_and_says_they_are_per_caller(
    status: int, ready: int, oidc_provider: OidcProvider, fhir_server: RecordingFhir
) -> None:
    metadata = {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance"}
    fhir_server.answer = lambda path, authorization: (status, metadata)
    config = Settings(**settings(fhir_server, oidc_provider, fhir_auth="passthrough"))

    async with running_gateway(config, "generic") as gateway:
        response = await gateway.client.get("/readyz")

    assert response.status_code == ready
    assert response.json()["fhirCredentials"] == "per-caller"
    assert response.json()["status"] == ("ready" if ready == 200 else "unavailable")
    assert fhir_server.seen == [("GET", "/fhir/R4/metadata", None)]


async def test_readyz_with_the_gateways_own_credentials_fails_when_they_are_refused(
    oidc_provider: OidcProvider, fhir_server: RecordingFhir
) -> None:
    fhir_server.answer = lambda path, authorization: (401, {"resourceType": "OperationOutcome"})
    extra = {"fhir_auth": "static", "fhir_auth_token": "gateway-own-token"}
    config = Settings(**settings(fhir_server, oidc_provider, **extra))

    async with running_gateway(config, "generic") as gateway:
        response = await gateway.client.get("/readyz")

    # The poller is off here (settings()): /readyz names that too.
    poller_off = {"poller": "off", "pollerReason": "GATEWAY_CHANGES_POLL_INTERVAL=0"}
    assert (response.status_code, response.json()) == (
        503,
        {"status": "unavailable", "code": "UPSTREAM_ERROR", **poller_off},
    )


async def test_a_subscriber_gets_a_change_only_as_the_fhir_server_shows_it_to_its_token(
    oidc_provider: OidcProvider, foreign: RecordingFhir
) -> None:
    alice = oidc_provider.mint(oidc_provider.claims(sub="alice"))
    bob = oidc_provider.mint(oidc_provider.claims(sub="bob", fhirUser="Practitioner/p2"))

    def task(version: str, status: str) -> dict[str, Any]:
        return {
            "resourceType": "Task",
            "id": "t1",
            "status": status,
            "intent": "order",
            "meta": {"versionId": version},
        }

    shown = {"version": "1", "status": "ready"}

    def answer(path: str, authorization: str | None) -> tuple[int, Any]:
        # The server's own access policy: bob may read t1 only from version 2 on.
        if authorization == f"Bearer {bob}" and shown["version"] == "1":
            return 403, {"resourceType": "OperationOutcome"}
        return 200, task(shown["version"], shown["status"])

    foreign.answer = answer
    config = Settings(**settings(foreign, oidc_provider, fhir_auth="passthrough"))
    query = "subscription { taskChanged { versionId task { status } } }"
    now = datetime.now(UTC)
    async with (
        serving(config) as gateway,
        socket(gateway) as alices,
        socket(gateway) as bobs,
    ):
        for ws, token in ((alices, alice), (bobs, bob)):
            assert (await ws.init({"Authorization": f"Bearer {token}"}))["type"] == "connection_ack"
            await ws.subscribe("1", query)
        await gateway.subscribers(2)
        # What the writer's token read; each subscriber is shown what the server shows it.
        written = task("1", "in-progress")
        gateway.runtime.changes.publish(TaskChangeEvent("t1", "1", "CREATED", written, now))
        alices_first = await alices.receive()
        shown.update(version="2", status="completed")
        gateway.runtime.changes.publish(
            TaskChangeEvent("t1", "2", "UPDATED", task("2", "in-progress"), now)
        )
        bobs_first = await bobs.receive()
    assert alices_first["payload"]["data"]["taskChanged"] == {
        "versionId": "1",
        "task": {"status": "READY"},
    }
    assert bobs_first["payload"]["data"]["taskChanged"] == {
        "versionId": "2",
        "task": {"status": "COMPLETED"},
    }
