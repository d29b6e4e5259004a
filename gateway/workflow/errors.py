"""Errors raised by the workflow rules: refused status changes and bad transition tables."""

from __future__ import annotations


class InvalidStatusTransitionError(Exception):
    """A Task may not move from `from_status` to `to_status`.

    `from_status` is None when the Task is being created and `to_status` is not a
    status a Task may start in; `allowed` lists what would have been accepted.
    """

    def __init__(self, from_status: str | None, to_status: str, allowed: tuple[str, ...]) -> None:
        self.from_status = from_status
        self.to_status = to_status
        self.allowed = allowed
        origin = "creation" if from_status is None else repr(from_status)
        options = ", ".join(allowed) or "none"
        super().__init__(f"a Task cannot move from {origin} to {to_status!r}; allowed: {options}")


class StatusReasonRequiredError(Exception):
    """A Task is entering (or staying in) `status` without a usable statusReason."""

    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(
            f"a statusReason (a coding with a code, or text) is required for {status!r}"
        )


class InvalidTransitionTableError(ValueError):
    """A configured transition table (GATEWAY_TRANSITIONS) cannot be used."""
