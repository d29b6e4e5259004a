"""Requests refused before GraphQL runs: a GraphQL error body with its HTTP status, counted."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse, Response

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
