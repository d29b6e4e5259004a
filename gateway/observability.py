"""Logging set-up and the request-id middleware; logs carry no query strings, bodies or tokens."""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# (method, route_label, status, seconds) of each answered request, e.g. for metrics.
ResponseObserver = Callable[[str, str, int, float], None]
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9\-_.]{1,64}")
_ROUTES = ("/graphql", "/healthz", "/readyz", "/metrics")
log = logging.getLogger("gateway.http")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    root = logging.getLogger("gateway")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


# Methods named in logs and metric labels; any other is "other", so labels stay bounded.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestIdMiddleware:
    """Tags each HTTP request with an id (the client's X-Request-ID if sane) and logs its outcome.

    Only method, route label, status and duration are logged: paths hold resource ids, query
    strings can hold GraphQL variables, and bodies hold patient data.
    """

    def __init__(self, app: ASGIApp, on_response: ResponseObserver | None = None) -> None:
        self.app = app
        self.on_response = on_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_label(scope["path"])
            method = scope["method"] if scope["method"] in _METHODS else "other"
            log.info("%s %s %d %.1fms", method, route, status, elapsed * 1000)
            if self.on_response is not None:
                self.on_response(method, route, status, elapsed)
            request_id_var.reset(token)


def route_label(path: str) -> str:
    """A route name from a fixed set, fit for logs and metric labels: no ids, no client text."""
    if path in _ROUTES:
        return path
    if path == "/fhir/R4" or path.startswith("/fhir/R4/"):
        return "/fhir/R4"
    return "other"
