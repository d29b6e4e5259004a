"""The shared httpx client to the FHIR server: the embedded store in-process, or a base URL."""

from __future__ import annotations

import httpx2
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from gateway.config import Settings
from gateway.fhir import BearerAuth, ClientCredentialsAuth, SigningKey, token_client

EMBEDDED_BASE_URL = "http://embedded.local/fhir/R4/"


def timeouts(settings: Settings) -> httpx2.Timeout:
    return httpx2.Timeout(
        connect=settings.upstream_connect_timeout,
        read=settings.upstream_read_timeout,
        write=settings.upstream_read_timeout,
        pool=settings.upstream_connect_timeout,
    )


def remote_client(settings: Settings, base_url: str) -> httpx2.AsyncClient:
    """One pooled client for the process; connection failures are retried once by the transport."""
    headers = {"User-Agent": "fhir-task-gateway"}
    limits = httpx2.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_connections,
    )
    # With transport= given, httpx ignores the client's limits: they belong on the transport.
    transport = httpx2.AsyncHTTPTransport(retries=1, limits=limits)
    return httpx2.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=timeouts(settings),
        headers=headers,
        follow_redirects=False,
    )


def fhir_credentials(settings: Settings, base_url: str) -> httpx2.Auth | None:
    """The gateway's own credentials to the FHIR server (none with passthrough: they are
    each caller's, added per request). client_credentials holds a token client of its own,
    closed with ``aclose``."""
    mode = settings.effective_fhir_auth
    if mode == "static" and settings.fhir_auth_token is not None:
        return BearerAuth(settings.fhir_auth_token, base_url)
    if mode == "client_credentials":
        assert settings.fhir_token_url is not None
        assert settings.fhir_client_id is not None
        key = None
        if settings.fhir_private_key is not None:
            with open(settings.fhir_private_key, "rb") as pem:
                key = SigningKey.from_pem(pem.read(), settings.fhir_private_key_id)
        tokens = token_client(
            token_url=settings.fhir_token_url,
            client_id=settings.fhir_client_id,
            scopes=settings.fhir_scopes,
            secret=settings.fhir_client_secret,
            key=key,
            timeout=timeouts(settings),
        )
        return ClientCredentialsAuth(tokens, base_url=base_url, token_url=settings.fhir_token_url)
    return None


def embedded_client(settings: Settings, store_app: ASGIApp) -> httpx2.AsyncClient:
    """An httpx client that reaches the embedded store in-process, with no socket."""
    app = Starlette(routes=[Mount("/fhir/R4", app=store_app)])
    return httpx2.AsyncClient(
        base_url=EMBEDDED_BASE_URL,
        transport=httpx2.ASGITransport(app=app),
        timeout=timeouts(settings),
    )
