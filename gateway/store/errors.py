"""The store's error tree; each error knows its HTTP status and becomes an OperationOutcome.

StoreError                    500  exception
├── InvalidRequestError       400  invalid     (malformed body, bad search parameter)
├── ResourceNotFoundError     404  not-found
├── MethodNotAllowedError     405  not-supported
├── ResourceGoneError         410  deleted
├── PreconditionFailedError   412  conflict    (stale If-Match)
├── PayloadTooLargeError      413  too-long
└── UnprocessableEntityError  422  required | code-invalid | value | invariant
"""

from __future__ import annotations

from typing import Any, ClassVar


class StoreError(Exception):
    """A failure the client is told about, as an OperationOutcome with ``status``."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "exception"

    def __init__(self, diagnostics: str, *, expression: str | None = None) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics
        self.expression = expression

    def outcome(self) -> dict[str, Any]:
        return operation_outcome("error", self.code, self.diagnostics, expression=self.expression)


class InvalidRequestError(StoreError):
    status = 400
    code = "invalid"


class ResourceNotFoundError(StoreError):
    status = 404
    code = "not-found"


class MethodNotAllowedError(StoreError):
    status = 405
    code = "not-supported"


class ResourceGoneError(StoreError):
    status = 410
    code = "deleted"


class PreconditionFailedError(StoreError):
    status = 412
    code = "conflict"


class PayloadTooLargeError(StoreError):
    status = 413
    code = "too-long"


class UnprocessableEntityError(StoreError):
    status = 422
    code = "invalid"

    def __init__(self, diagnostics: str, *, expression: str | None = None, code: str) -> None:
        super().__init__(diagnostics, expression=expression)
        self.issue_code = code

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(
            "error", self.issue_code, self.diagnostics, expression=self.expression
        )


def operation_outcome(
    severity: str, code: str, diagnostics: str, *, expression: str | None = None
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression is not None:
        issue["expression"] = [expression]
    return {"resourceType": "OperationOutcome", "issue": [issue]}
