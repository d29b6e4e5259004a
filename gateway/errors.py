"""The gateway's error tree; each class carries its stable GraphQL ``extensions.code``.

    GatewayError
    ├── BadUserInputError            BAD_USER_INPUT             argument
    ├── StatusReasonRequiredError    STATUS_REASON_REQUIRED     status
    ├── InvalidStatusTransitionError INVALID_STATUS_TRANSITION  from, to, allowed
    ├── VersionConflictError         VERSION_CONFLICT           currentVersion
    ├── AlreadyClaimedError          ALREADY_CLAIMED            currentOwner
    ├── RoutingNoCandidateError      ROUTING_NO_CANDIDATE
    ├── TaskClosedError              TASK_CLOSED                status
    ├── NotFoundError                NOT_FOUND
    ├── UnauthenticatedError         UNAUTHENTICATED            reason
    ├── ForbiddenError               FORBIDDEN                  reason, scope
    ├── QueryTooComplexError         QUERY_TOO_COMPLEX          limit, value
    ├── UnsupportedByServerError     UNSUPPORTED_BY_SERVER
    ├── BadRequestError              BAD_REQUEST                limit, value (before GraphQL)
    ├── PersistedQueryNotFoundError  PERSISTED_QUERY_NOT_FOUND
    ├── PersistedQueryNotAllowedError PERSISTED_QUERY_NOT_ALLOWED
    ├── PersistedQueryNotSupportedError PERSISTED_QUERY_NOT_SUPPORTED
    └── UpstreamError                UPSTREAM_ERROR             (the FHIR server misbehaved)
        ├── ThrottledError           THROTTLED                  retryAfter
        ├── UpstreamUnavailableError UPSTREAM_UNAVAILABLE
        └── UpstreamTimeoutError     UPSTREAM_TIMEOUT

The workflow refusals (STATUS_REASON_REQUIRED, INVALID_STATUS_TRANSITION, TASK_CLOSED,
VERSION_CONFLICT for a stale expectedVersion, ALREADY_CLAIMED, ROUTING_NO_CANDIDATE) are
raised by the pure workflow rules (gateway.workflow) themselves. Errors of the layers below
(the FHIR client's FhirError, a malformed reference) are translated into this tree once, by
gateway.error_mapping. Messages never carry resource content, tokens or query variables: they
are shown to clients and may be logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar


class GatewayError(Exception):
    """An expected failure: shown to the client with its code; everything else is masked."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {k: v for k, v in extensions.items() if v is not None}

    def graphql_extensions(self) -> dict[str, Any]:
        return {"code": self.code, **self.extensions}


class BadUserInputError(GatewayError):
    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message, argument=argument)


def status_name(code: str) -> str:
    """A FHIR Task status code as the contract's enum name (on-hold -> ON_HOLD)."""
    return code.upper().replace("-", "_")


class StatusReasonRequiredError(GatewayError):
    """A Task is entering (or staying in) ``status`` (a FHIR code) without a usable statusReason."""

    code = "STATUS_REASON_REQUIRED"

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(
            f"a statusReason (a coding with a code, or text) is required for {status_name(status)}",
            status=status_name(status),
        )


class InvalidStatusTransitionError(GatewayError):
    """A Task may not move from ``from_status`` to ``to_status`` (FHIR codes).

    ``from_status`` is None when the Task is being created and ``to_status`` is not a
    status a Task may start in; ``allowed`` lists what would have been accepted.
    """

    code = "INVALID_STATUS_TRANSITION"

    def __init__(self, from_status: str | None, to_status: str, allowed: Sequence[str]) -> None:
        self.from_status = from_status
        self.to_status = to_status
        self.allowed = tuple(allowed)
        origin = "creation" if from_status is None else status_name(from_status)
        options = ", ".join(status_name(s) for s in self.allowed) or "none"
        super().__init__(
            f"a Task cannot move from {origin} to {status_name(to_status)}; allowed: {options}",
            to=status_name(to_status),
            allowed=[status_name(s) for s in self.allowed],
        )
        # "from" is part of the contract even when null (creation), so it is set explicitly.
        self.extensions = {
            "from": None if from_status is None else status_name(from_status),
            **self.extensions,
        }


class VersionConflictError(GatewayError):
    code = "VERSION_CONFLICT"

    def __init__(self, message: str, *, current_version: str | None = None) -> None:
        super().__init__(message, currentVersion=current_version)


class AlreadyClaimedError(GatewayError):
    code = "ALREADY_CLAIMED"

    def __init__(self, current_owner: str | None) -> None:
        super().__init__("The Task is already claimed", currentOwner=current_owner)


class RoutingNoCandidateError(GatewayError):
    """routeTask found nobody who fits the Task (role, licensure, an active Practitioner)."""

    code = "ROUTING_NO_CANDIDATE"

    def __init__(self) -> None:
        super().__init__("Nobody fits this Task; nothing was written")


class TaskClosedError(GatewayError):
    """The change is not allowed because the Task is closed (``status``, a FHIR code)."""

    code = "TASK_CLOSED"

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(
            f"The Task is closed ({status_name(status)}); nothing was written",
            status=status_name(status),
        )


class NotFoundError(GatewayError):
    code = "NOT_FOUND"


class UnauthenticatedError(GatewayError):
    """No usable caller identity; ``reason`` is missing, expired or invalid for bearer tokens."""

    code = "UNAUTHENTICATED"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message, reason=reason)


class ForbiddenError(GatewayError):
    """The caller may not do this: ``reason`` scope (with the missing ``scope``), owner,
    requester, author (acting as someone else), patient."""

    code = "FORBIDDEN"

    def __init__(self, message: str, *, reason: str, scope: str | None = None) -> None:
        super().__init__(message, reason=reason, scope=scope)


class QueryTooComplexError(GatewayError):
    code = "QUERY_TOO_COMPLEX"

    def __init__(self, message: str, *, limit: int, value: int) -> None:
        super().__init__(message, limit=limit, value=value)


class UnsupportedByServerError(GatewayError):
    code = "UNSUPPORTED_BY_SERVER"


class BadRequestError(GatewayError):
    """A request refused before GraphQL saw it (its size, its content type, its method)."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, *, limit: int | None = None, value: int | None = None) -> None:
        super().__init__(message, limit=limit, value=value)


class PersistedQueryNotFoundError(GatewayError):
    """The hash or documentId names no document this gateway knows: the client sends it again
    with the document. The message is the one Apollo's clients look for."""

    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self, message: str = "PersistedQueryNotFound") -> None:
        super().__init__(message)


class PersistedQueryNotAllowedError(GatewayError):
    """Only the trusted documents run here (GATEWAY_TRUSTED_DOCUMENTS_ONLY)."""

    code = "PERSISTED_QUERY_NOT_ALLOWED"

    def __init__(self) -> None:
        super().__init__("Only trusted documents run on this gateway; this one is not among them")


class PersistedQueryNotSupportedError(GatewayError):
    """Automatic persisted queries are off (GATEWAY_APQ=false)."""

    code = "PERSISTED_QUERY_NOT_SUPPORTED"

    def __init__(self) -> None:
        super().__init__("PersistedQueryNotSupported")


class UpstreamError(GatewayError):
    code = "UPSTREAM_ERROR"


class ThrottledError(UpstreamError):
    code = "THROTTLED"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        if retry_after is not None:
            self.extensions["retryAfter"] = retry_after


class UpstreamUnavailableError(UpstreamError):
    code = "UPSTREAM_UNAVAILABLE"


class UpstreamTimeoutError(UpstreamError):
    code = "UPSTREAM_TIMEOUT"
