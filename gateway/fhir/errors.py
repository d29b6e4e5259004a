"""Translation of FHIR server answers and httpx failures into the gateway's error tree, once."""

from __future__ import annotations

import httpx

from gateway.errors import (
    BadUserInputError,
    ForbiddenError,
    GatewayError,
    NotFoundError,
    ThrottledError,
    UnauthenticatedError,
    UpstreamError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
    VersionConflictError,
)


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


def error_for_response(response: httpx.Response) -> GatewayError:
    """The GatewayError for a non-2xx FHIR answer (404/410, 409/412, 400/422, 401/403, 429, 5xx)."""
    status = response.status_code
    if status in (404, 410):
        return NotFoundError("The FHIR resource does not exist")
    if status in (409, 412):
        return VersionConflictError("The resource was changed by someone else")
    if status in (400, 422):
        # The server's diagnostics can quote stored content the caller never sent (PHI):
        # they stay out of the answer and out of the logs.
        return BadUserInputError(f"The FHIR server refused the request ({status})")
    if status == 401:
        return UnauthenticatedError("The FHIR server refused our credentials")
    if status == 403:
        return ForbiddenError("The FHIR server forbids this request")
    if status == 429:
        return ThrottledError("The FHIR server is throttling", retry_after=_retry_after(response))
    if status in (502, 503, 504):
        return UpstreamUnavailableError(f"The FHIR server is unavailable ({status})")
    return UpstreamError(f"The FHIR server answered {status}")


def error_for_transport(exc: Exception) -> GatewayError:
    """The GatewayError for an httpx failure or an exceeded total deadline."""
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return UpstreamTimeoutError("The FHIR server did not answer in time")
    if isinstance(exc, httpx.ConnectError | httpx.NetworkError | httpx.RemoteProtocolError):
        return UpstreamUnavailableError("The FHIR server cannot be reached")
    return UpstreamError("The FHIR request failed")
