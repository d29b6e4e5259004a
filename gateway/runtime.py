"""Runtime: the process-wide pieces (settings, FHIR client, embedded store, cursor key, server
profile, workflow rules, authenticator, persisted queries, Redis) built once from Settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx2
from redis.asyncio import Redis
from starlette.types import ASGIApp

from gateway.auth import Authenticator
from gateway.changes import ChangeHub, StoreFeed
from gateway.config import Settings
from gateway.cursors import CursorCodec
from gateway.fhir import ClientCredentialsAuth, FhirClient
from gateway.http import PersistedQueries
from gateway.limits import CHANGES_REMEMBERED, SUBSCRIBER_BUFFER
from gateway.live_connections import LiveConnections
from gateway.metrics import Metrics
from gateway.redis_connection import connect
from gateway.server_profile import ServerProfileCache
from gateway.workflow import WorkflowRules

if TYPE_CHECKING:
    from gateway.store import FhirStore

from gateway.upstream import EMBEDDED_BASE_URL, embedded_client, fhir_credentials, remote_client


@dataclass
class Runtime:
    """What the gateway holds while it runs; ``store_app`` is set only for the embedded store."""

    settings: Settings
    http: httpx2.AsyncClient
    fhir: FhirClient
    cursors: CursorCodec
    profiles: ServerProfileCache
    rules: WorkflowRules
    authenticator: Authenticator
    # The identity provider's keys come through a client of their own: the FHIR client's
    # defaults (a bearer token) must never reach another host.
    auth_http: httpx2.AsyncClient
    documents: PersistedQueries
    store: FhirStore | None = None
    store_app: ASGIApp | None = None
    metrics: Metrics = field(default_factory=Metrics)
    # Shared by the replicas when GATEWAY_REDIS_URL is set.
    redis: Redis | None = None
    # The gateway's own FHIR credentials; client_credentials holds a token client to close.
    fhir_auth: httpx2.Auth | None = None
    # Task changes for subscriptions; on the embedded store fed by its change log.
    changes: ChangeHub = field(
        default_factory=lambda: ChangeHub(buffer=SUBSCRIBER_BUFFER, remember=CHANGES_REMEMBERED)
    )
    feed: StoreFeed | None = None
    connections: LiveConnections = field(init=False)

    def __post_init__(self) -> None:
        self.connections = LiveConnections(self.settings.max_connections)
        self.metrics.watch_live(
            lambda: self.changes.subscriber_count, lambda: self.connections.count
        )

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        # Built before anything is opened: a bad transition table fails with nothing to close.
        rules = WorkflowRules.from_settings(
            settings.transitions, settings.status_reason_required_for
        )
        metrics = Metrics()
        redis = connect(settings.redis_url.get_secret_value()) if settings.redis_url else None
        documents = PersistedQueries.from_settings(
            settings,
            redis,
            on_redis_fallback=lambda operation: metrics.count_redis_fallback("apq", operation),
        )
        if settings.fhir_base_url is None:
            from gateway.store import FhirStore, create_store_app

            store = FhirStore.open(settings.store_path)
            store_app = create_store_app(store)
            http = embedded_client(settings, store_app)
            base_url = EMBEDDED_BASE_URL
        else:
            store, store_app = None, None
            base_url = settings.fhir_base_url.rstrip("/") + "/"
            http = remote_client(settings, base_url)
        auth_http = httpx2.AsyncClient(follow_redirects=False)
        fhir_auth = fhir_credentials(settings, base_url)
        fhir = FhirClient(
            http,
            base_url,
            total_timeout=settings.upstream_total_timeout,
            observe=metrics.observe_fhir,
            auth=fhir_auth,
        )
        return cls(
            settings=settings,
            http=http,
            fhir=fhir,
            cursors=CursorCodec(settings.cursor_secret),
            profiles=ServerProfileCache(settings),
            rules=rules,
            authenticator=Authenticator(settings, auth_http),
            auth_http=auth_http,
            documents=documents,
            store=store,
            store_app=store_app,
            metrics=metrics,
            redis=redis,
            fhir_auth=fhir_auth,
        )

    async def start(self) -> None:
        """Start what runs in the background: the embedded store's change feed."""
        if self.store is not None and self.feed is None:
            self.feed = StoreFeed(self.store, self.changes)
            await self.feed.start()

    async def aclose(self) -> None:
        if self.feed is not None:
            await self.feed.aclose()
        await self.http.aclose()
        await self.auth_http.aclose()
        if isinstance(self.fhir_auth, ClientCredentialsAuth):
            await self.fhir_auth.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        if self.store is not None:
            self.store.close()
