"""The FHIR layer's own errors: httpx2 failures and FHIR answers translated once, here.

    FhirError                     any failure talking to the FHIR server
    ├── FhirRequestError          400/422: the server refused the request as sent
    │   └── IncludeRefusedError   ... because of its _include (a capability it lacks)
    ├── FhirNotFoundError         404/410: no such resource (or deleted)
    ├── FhirConflictError         409/412: a stale If-Match
    ├── FhirAuthError             401/403: the server refused the credentials sent, or the
    │                             token endpoint refused the gateway's
    ├── FhirThrottledError        429: retry_after seconds, when the server says
    ├── FhirUnavailableError      connection failed, or 502/503/504
    ├── FhirTimeoutError          no answer within the configured bounds
    └── FhirResponseError         any other status, or an answer that is not FHIR

These know nothing of GraphQL: the GraphQL boundary (gateway.schema.error_mapping) gives
each its client-facing code. Messages never quote what the server said: its diagnostics
can carry stored patient data.
"""

from __future__ import annotations

from typing import ClassVar

import httpx2


class FhirError(Exception):
    """A request to the FHIR server failed; ``status`` is the HTTP status when there was one."""

    # A short fixed name for logs and metric labels.
    kind: ClassVar[str] = "error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class FhirRequestError(FhirError):
    kind = "refused"


class FhirNotFoundError(FhirError):
    kind = "not_found"


class FhirConflictError(FhirError):
    kind = "conflict"


class FhirAuthError(FhirError):
    """``callers`` when the refused credentials were the caller's own (passthrough)."""

    kind = "auth"

    def __init__(self, message: str, *, status: int | None = None, callers: bool = False) -> None:
        super().__init__(message, status=status)
        self.callers = callers


class FhirThrottledError(FhirError):
    kind = "throttled"

    def __init__(self, message: str, *, status: int, retry_after: int | None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class FhirUnavailableError(FhirError):
    kind = "unavailable"


class FhirTimeoutError(FhirError):
    kind = "timeout"


class FhirResponseError(FhirError):
    kind = "bad_response"


class IncludeRefusedError(FhirRequestError):
    """A 400/422 whose OperationOutcome says the server refused the search's ``_include``."""


def _retry_after(response: httpx2.Response) -> int | None:
    value = response.headers.get("Retry-After", "")
    return int(value) if value.isdigit() else None


def error_for_response(response: httpx2.Response, *, callers: bool = False) -> FhirError:
    """The FhirError for a non-2xx FHIR answer; ``callers`` when the caller's own token went."""
    status = response.status_code
    if status in (404, 410):
        return FhirNotFoundError("The FHIR resource does not exist", status=status)
    if status in (409, 412):
        return FhirConflictError("The resource was changed by someone else", status=status)
    if status in (400, 422):
        # The diagnostics are read only to tell a refused _include apart, never passed on.
        if _names_include(response):
            return IncludeRefusedError(
                f"The FHIR server refused _include ({status})", status=status
            )
        return FhirRequestError(f"The FHIR server refused the request ({status})", status=status)
    if status in (401, 403):
        return FhirAuthError(
            f"The FHIR server refused the credentials ({status})", status=status, callers=callers
        )
    if status == 429:
        return FhirThrottledError(
            "The FHIR server is throttling", status=status, retry_after=_retry_after(response)
        )
    if status in (502, 503, 504):
        return FhirUnavailableError(f"The FHIR server is unavailable ({status})", status=status)
    return FhirResponseError(f"The FHIR server answered {status}", status=status)


def _names_include(response: httpx2.Response) -> bool:
    """Whether an issue of the OperationOutcome points at ``_include``, by its expression or
    location, or in its text (read only for this test, never passed on)."""
    try:
        outcome = response.json()
    except ValueError:
        return False
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return False
    for issue in outcome.get("issue") or []:
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        texts = [
            *(issue.get("expression") or []),
            *(issue.get("location") or []),
            issue.get("diagnostics"),
            details.get("text") if isinstance(details, dict) else None,
        ]
        if any(isinstance(text, str) and "_include" in text for text in texts):
            return True
    return False


def error_for_transport(exc: Exception) -> FhirError:
    """The FhirError for an httpx2 failure or an exceeded total deadline."""
    if isinstance(exc, httpx2.TimeoutException | TimeoutError):
        return FhirTimeoutError("The FHIR server did not answer in time")
    if isinstance(exc, httpx2.ConnectError | httpx2.NetworkError | httpx2.RemoteProtocolError):
        return FhirUnavailableError("The FHIR server cannot be reached")
    return FhirResponseError("The FHIR request failed")
