"""create_app(settings): the Starlette application; its lifespan owns the FHIR connection."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.types import ASGIApp

from gateway.auth import Authentication
from gateway.change_sources import ChangeSources
from gateway.config import Settings
from gateway.error_mapping import from_fhir
from gateway.fhir import FhirAuthError, FhirError
from gateway.graphiql_page import ASSETS_PATH, graphiql_assets
from gateway.graphql_app import BodyLimit, GatewayGraphQL
from gateway.observability import RequestIdMiddleware
from gateway.redis_connection import redis_state
from gateway.runtime import Runtime

log = logging.getLogger("gateway.app")


def create_app(settings: Settings | None = None) -> Starlette:
    """Build the gateway. With no FHIR base URL configured, the embedded store serves /fhir/R4."""
    runtime = Runtime.open(settings or Settings())
    sources = ChangeSources(runtime)
    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", runtime.metrics.endpoint, methods=["GET"]),
    ]
    graphql = BodyLimit(GatewayGraphQL(runtime), runtime.settings.max_body_bytes, runtime.metrics)
    # Every method reaches the GraphQL app, which refuses the others as a JSON GraphQL error.
    endpoint = _guarded(graphql, runtime, page=True)
    routes.append(Route("/graphql", endpoint))
    routes.append(WebSocketRoute("/graphql", endpoint))
    if not runtime.settings.production:
        # GraphiQL's scripts hold no data: like its page, they need no token.
        routes.append(Mount(ASSETS_PATH, app=graphiql_assets()))
    if runtime.store_app is not None and runtime.settings.store_exposed:
        # The raw FHIR API needs a valid token too when callers authenticate (behaviour.md).
        routes.append(Mount("/fhir/R4", app=_guarded(runtime.store_app, runtime, page=False)))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if runtime.store is not None and runtime.settings.seeds_demo and runtime.store.is_empty():
            from gateway.seed import seed_demo_clinic

            written, _ = await seed_demo_clinic(runtime.fhir)
            log.info("embedded store was empty: loaded the demo clinic (%d resources)", written)
        await runtime.start()
        sources.start()
        try:
            yield
        finally:
            await sources.stop()
            await runtime.aclose()

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.change_sources = sources
    if runtime.settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=sorted(runtime.settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestIdMiddleware, on_response=runtime.metrics.observe_http)
    return app


def _guarded(app: ASGIApp, runtime: Runtime, *, page: bool) -> ASGIApp:
    """``app`` behind authentication when callers must present a token."""
    if not runtime.authenticator.enabled:
        return app
    # Only /graphql keeps a patient-facing caller inside its compartment.
    return Authentication(
        app, runtime.authenticator, runtime.metrics, page_is_public=page, patients_allowed=page
    )


async def healthz(request: Request) -> JSONResponse:
    """Answers while the process lives."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """Answers 200 only while the FHIR server answers its /metadata; names Redis's state too
    when there is one, without failing on it (a replica without Redis still serves), and the
    change poller's on an external server.

    With GATEWAY_FHIR_AUTH=passthrough the gateway has no credentials of its own: /metadata is
    asked without any (SMART servers serve it openly), a 401/403 still proves the server
    answers, and the body says that credentials are each caller's.
    """
    runtime: Runtime = request.app.state.runtime
    sources: ChangeSources = request.app.state.change_sources
    dependencies: dict[str, str] = sources.readiness()
    if runtime.redis is not None:
        dependencies["redis"] = await redis_state(runtime.redis)
    per_caller = runtime.settings.effective_fhir_auth == "passthrough"
    if per_caller:
        dependencies["fhirCredentials"] = "per-caller"
    try:
        await runtime.fhir.capabilities()
    except FhirError as exc:
        if not (per_caller and isinstance(exc, FhirAuthError)):
            body = {"status": "unavailable", "code": from_fhir(exc).code, **dependencies}
            return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ready", **dependencies})
