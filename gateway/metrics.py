"""Prometheus metrics for /metrics: HTTP, FHIR and GraphQL error counts, with bounded labels.

Labels never carry ids, resource types from client text, or query content: only fixed
route names, FHIR operation kinds, status codes and the gateway's error codes.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.requests import Request
from starlette.responses import Response


class Metrics:
    """One registry per app, so several apps in one process (tests) never collide."""

    def watch_live(self, subscriptions: Callable[[], int], connections: Callable[[], int]) -> None:
        """Report the live subscriptions and connections as they are at each scrape."""
        Gauge(
            "gateway_live_subscriptions",
            "Subscriptions now reading Task changes",
            registry=self.registry,
        ).set_function(subscriptions)
        Gauge(
            "gateway_live_connections",
            "WebSockets and HTTP subscription streams now open",
            registry=self.registry,
        ).set_function(connections)

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter(
            "gateway_http_requests",
            "HTTP requests served",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "gateway_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route"],
            registry=self.registry,
        )
        self.fhir_requests = Counter(
            "gateway_fhir_requests",
            "Requests sent to the FHIR server",
            ["operation", "outcome"],
            registry=self.registry,
        )
        self.fhir_seconds = Histogram(
            "gateway_fhir_request_duration_seconds",
            "Time the FHIR server took to answer",
            ["operation"],
            registry=self.registry,
        )
        self.graphql_errors = Counter(
            "gateway_graphql_errors",
            "GraphQL errors answered, by extensions.code",
            ["code"],
            registry=self.registry,
        )

        self.audit_failures = Counter(
            "gateway_audit_failures",
            "Task changes that stand without the Provenance that should record them",
            registry=self.registry,
        )

        self.redis_fallbacks = Counter(
            "gateway_redis_fallbacks",
            "Operations on shared state that Redis failed, served from this process's memory",
            ["feature", "operation"],
            registry=self.registry,
        )

        self.fanout_failures = Counter(
            "gateway_changes_fanout_failures",
            "Changes or connections the Redis fan-out failed: replicas missed those changes",
            ["operation"],
            registry=self.registry,
        )
        self.fanout_reconnects = Counter(
            "gateway_changes_fanout_reconnects",
            "Times the Redis fan-out came back by itself after an outage",
            registry=self.registry,
        )
        self.change_polls = Counter(
            "gateway_changes_polls",
            "Rounds of the external FHIR server's change poller, by outcome",
            ["outcome"],
            registry=self.registry,
        )

    def observe_http(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_seconds.labels(route).observe(seconds)

    def count_error(self, code: str) -> None:
        """One error answered with ``code``, whether GraphQL or the HTTP layer refused."""
        self.graphql_errors.labels(code).inc()

    def count_redis_fallback(self, feature: str, operation: str) -> None:
        self.redis_fallbacks.labels(feature, operation).inc()

    def count_fanout_failure(self, operation: str) -> None:
        self.fanout_failures.labels(operation).inc()

    def count_fanout_reconnect(self) -> None:
        self.fanout_reconnects.inc()

    def count_change_poll(self, outcome: str) -> None:
        self.change_polls.labels(outcome).inc()

    def count_audit_failure(self) -> None:
        self.audit_failures.inc()

    def observe_fhir(self, operation: str, outcome: str, seconds: float) -> None:
        self.fhir_requests.labels(operation, outcome).inc()
        self.fhir_seconds.labels(operation).observe(seconds)

    async def endpoint(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
