"""Errors of the workflow rules: the gateway's two status refusals, and bad transition tables."""

from __future__ import annotations

# The rules raise the very errors clients see (one tree, drawn in gateway/errors.py);
# gateway.errors is free of I/O, so the rules stay pure.
from gateway.errors import InvalidStatusTransitionError, StatusReasonRequiredError

__all__ = [
    "InvalidStatusTransitionError",
    "InvalidTransitionTableError",
    "StatusReasonRequiredError",
]


class InvalidTransitionTableError(ValueError):
    """A configured transition table (GATEWAY_TRANSITIONS) cannot be used."""
