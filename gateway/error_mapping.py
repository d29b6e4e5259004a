"""The one translation of the lower layers' errors into the client-facing GatewayError tree."""

from __future__ import annotations

from gateway.changes import SubscriberFellBehind
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
from gateway.fhir import (
    FhirAuthError,
    FhirConflictError,
    FhirError,
    FhirNotFoundError,
    FhirRequestError,
    FhirThrottledError,
    FhirTimeoutError,
    FhirUnavailableError,
)


def gateway_error(exc: BaseException) -> GatewayError | None:
    """The client-facing error for ``exc``; None for a failure nobody expected (masked)."""
    if isinstance(exc, GatewayError):
        return exc
    if isinstance(exc, FhirError):
        return from_fhir(exc)
    if isinstance(exc, SubscriberFellBehind):
        # Over WebSocket the connection closes with 1013; an HTTP stream ends with this.
        return ThrottledError(
            "The subscription fell behind the changes and was ended: subscribe again",
            retry_after=1,
        )
    return None


def from_fhir(exc: FhirError) -> GatewayError:
    """The client-facing error for a failed FHIR request."""
    if isinstance(exc, FhirNotFoundError):
        return NotFoundError(exc.message)
    if isinstance(exc, FhirConflictError):
        return VersionConflictError(exc.message)
    if isinstance(exc, FhirRequestError):
        return BadUserInputError(exc.message)
    if isinstance(exc, FhirAuthError):
        if exc.callers and exc.status == 403:
            return ForbiddenError("The FHIR server refused the caller's token", reason="server")
        if exc.callers and exc.status == 401:
            return UnauthenticatedError(
                "The FHIR server refused the caller's token", reason="invalid"
            )
        # The gateway's own credentials failed: the caller can do nothing about it.
        return UpstreamError(exc.message)
    if isinstance(exc, FhirThrottledError):
        return ThrottledError(exc.message, retry_after=exc.retry_after)
    if isinstance(exc, FhirUnavailableError):
        return UpstreamUnavailableError(exc.message)
    if isinstance(exc, FhirTimeoutError):
        return UpstreamTimeoutError(exc.message)
    return UpstreamError(exc.message)
