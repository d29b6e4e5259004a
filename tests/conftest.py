"""Fixtures shared by every suite: the Medplum peer process and a gateway on each FHIR server."""

from __future__ import annotations

import contextlib
import json
import os
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx2
import pytest
from hypothesis import settings as hypothesis_settings

from gateway.app import create_app
from gateway.config import Settings
from gateway.fhir import FhirClient
from gateway.runtime import Runtime
from gateway.server_profile import PRESETS, ServerProfile
from tests.oidc_provider import OidcProvider, running_oidc_provider

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

# CI runs the same examples every time (a red CI names a reproducible input); locally,
# Hypothesis explores new ones on each run.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


@pytest.fixture(scope="session")
def medplum_base_url() -> Iterator[str]:
    """One Medplum router process for the whole session; tests reset its repository."""
    from tests.peer.medplum import running_medplum

    with running_medplum() as base_url:
        yield base_url


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server of this test's own on a free port (tests may stop and restart it)."""
    from tests.redis_server import running_redis

    with running_redis() as server:
        yield server


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Gateway:
    """A running gateway app on one FHIR server, with the FHIR requests it sent counted."""

    name: str
    client: httpx2.AsyncClient
    runtime: Runtime
    requests: list[httpx2.Request] = field(default_factory=list)

    @property
    def fhir(self) -> FhirClient:
        """Direct FHIR access, for arranging data and checking what was stored."""
        return self.runtime.fhir

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of a query that must succeed without errors."""
        body = await self.gql(query, variables)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The first error of a query that must fail."""
        body = await self.gql(query, variables)
        assert body.get("errors"), body
        first: dict[str, Any] = body["errors"][0]
        return first

    @property
    def caps(self) -> ServerProfile:
        """What its FHIR server does where servers differ: the gateway's preset for it."""
        return PRESETS[self.name]

    @property
    def writes(self) -> list[httpx2.Request]:
        """The requests sent that write: PUT, PATCH, DELETE, and every POST but a search."""
        return [
            r
            for r in self.requests
            if r.method in ("PUT", "PATCH", "DELETE")
            or (r.method == "POST" and not r.url.path.endswith("/_search"))
        ]

    def task_writes(self) -> list[tuple[dict[str, Any], str | None]]:
        """Each Task sent to be written, with its If-Match: alone (PUT) or in a transaction."""
        found: list[tuple[dict[str, Any], str | None]] = []
        for request in self.writes:
            body = json.loads(request.content)
            if body.get("resourceType") == "Task":
                found.append((body, request.headers.get("If-Match")))
            for entry in body.get("entry", []) if body.get("type") == "transaction" else []:
                if entry["resource"].get("resourceType") == "Task":
                    found.append((entry["resource"], entry["request"].get("ifMatch")))
        return found

    def count(self, method: str | None = None) -> int:
        return sum(1 for r in self.requests if method is None or r.method == method)

    @contextlib.contextmanager
    def counting(self) -> Iterator[list[httpx2.Request]]:
        """Collect the FHIR requests sent inside the block."""
        self.requests.clear()
        yield self.requests


def settings_for(name: str, medplum_base_url: str | None = None, **extra: Any) -> Settings:
    # No change poller unless a test asks for one: its requests would mix with those counted.
    common: dict[str, Any] = {
        "seed_demo": False,
        "cursor_secret": "test-secret",
        "changes_poll_interval": 0,
        **extra,
    }
    if name == "embedded":
        return Settings(store_path=":memory:", **common)
    # Medplum's router has no CapabilityStatement to be discovered from: its preset is named.
    return Settings(fhir_base_url=medplum_base_url, fhir_server="medplum", **common)


@contextlib.asynccontextmanager
async def running_gateway(settings: Settings, name: str) -> AsyncIterator[Gateway]:
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://gateway.test"
        ) as client:
            gateway = Gateway(name=name, client=client, runtime=runtime)

            async def record(request: httpx2.Request) -> None:
                gateway.requests.append(request)

            runtime.http.event_hooks["request"].append(record)
            yield gateway


SERVERS = ["embedded", pytest.param("medplum", marks=pytest.mark.medplum)]


@contextlib.asynccontextmanager
async def gateway_on(request: pytest.FixtureRequest, **extra: Any) -> AsyncIterator[Gateway]:
    """A gateway on an empty FHIR server of the kind ``request.param`` names."""
    base_url: str | None = None
    if request.param == "medplum":
        base_url = request.getfixturevalue("medplum_base_url")
        async with httpx2.AsyncClient() as client:
            reset = await client.post(base_url.split("/fhir/R4")[0] + "/reset")
            assert reset.status_code == 204
    settings = settings_for(request.param, base_url, **extra)
    async with running_gateway(settings, request.param) as gw:
        yield gw


@pytest.fixture(params=SERVERS)
async def gateway(request: pytest.FixtureRequest) -> AsyncIterator[Gateway]:
    """A gateway on an empty FHIR server of each kind."""
    async with gateway_on(request) as gw:
        yield gw


@pytest.fixture(params=SERVERS)
async def secured(
    request: pytest.FixtureRequest, oidc_provider: OidcProvider
) -> AsyncIterator[Gateway]:
    """A gateway on each kind of FHIR server whose callers authenticate with the suite's
    OpenID provider (GATEWAY_AUTH_MODE=jwt)."""
    async with gateway_on(
        request,
        auth_mode="jwt",
        auth_issuer=oidc_provider.issuer,
        auth_audience=oidc_provider.audience,
    ) as gw:
        yield gw


@pytest.fixture
def oidc_provider() -> Iterator[OidcProvider]:
    """An OpenID provider on localhost: discovery, JWKS with rotation, and signed tokens."""
    with running_oidc_provider() as provider:
        yield provider
