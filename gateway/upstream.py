"""The shared httpx client to the FHIR server: the embedded store in-process, or a base URL."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from gateway.config import Settings

EMBEDDED_BASE_URL = "http://embedded.local/fhir/R4/"


def timeouts(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.upstream_connect_timeout,
        read=settings.upstream_read_timeout,
        write=settings.upstream_read_timeout,
        pool=settings.upstream_connect_timeout,
    )


def remote_client(settings: Settings, base_url: str) -> httpx.AsyncClient:
    """One pooled client for the process; connection failures are retried once by the transport."""
    headers = {"User-Agent": "fhir-task-gateway"}
    if settings.fhir_auth_token is not None:
        headers["Authorization"] = f"Bearer {settings.fhir_auth_token.get_secret_value()}"
    limits = httpx.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_connections,
    )
    # With transport= given, httpx ignores the client's limits: they belong on the transport.
    transport = httpx.AsyncHTTPTransport(retries=1, limits=limits)
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=timeouts(settings),
        headers=headers,
        follow_redirects=False,
    )


def embedded_client(settings: Settings, store_app: ASGIApp) -> httpx.AsyncClient:
    """An httpx client that reaches the embedded store in-process, with no socket."""
    app = Starlette(routes=[Mount("/fhir/R4", app=store_app)])
    return httpx.AsyncClient(
        base_url=EMBEDDED_BASE_URL,
        transport=httpx.ASGITransport(app=app),
        timeout=timeouts(settings),
    )
