"""Requests refused before GraphQL runs: a GraphQL error body with its HTTP status, counted."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

from gateway.errors import GatewayError
from gateway.metrics import Metrics


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
