"""Requests refused before GraphQL runs: a GraphQL error body with its HTTP status, counted."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from gateway.errors import BadRequestError, GatewayError
from gateway.metrics import Metrics


class RequestRefused(Exception):
    """Raised where a request is found unusable before GraphQL runs; answered by ``refusal``.
    A message alone is a BAD_REQUEST."""

    def __init__(
        self,
        error: str | GatewayError,
        status: int = 400,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.error = BadRequestError(error) if isinstance(error, str) else error
        super().__init__(self.error.message)
        self.status = status
        self.headers = dict(headers or {})


def refusal(
    error: GatewayError,
    status: int,
    metrics: Metrics,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The answer to a request refused before GraphQL, in the shape clients parse errors in."""
    metrics.count_error(error.code)
    body = {"errors": [{"message": error.message, "extensions": error.graphql_extensions()}]}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


async def close_websocket(
    scope: Scope, receive: Receive, send: Send, code: int, reason: str
) -> None:
    """A WebSocket upgrade refused with a close code: accepted first (graphql-transport-ws when
    offered, else the first subprotocol offered), so the client sees the code rather than a
    failed handshake."""
    offered = list(scope.get("subprotocols") or [])
    chosen = GRAPHQL_TRANSPORT_WS_PROTOCOL if GRAPHQL_TRANSPORT_WS_PROTOCOL in offered else None
    websocket = WebSocket(scope, receive, send)
    await websocket.accept(subprotocol=chosen or (offered[0] if offered else None))
    await websocket.close(code, reason)
