"""The twelve FHIR R4 Task status codes and the groups the workflow rules talk about."""

from __future__ import annotations

from typing import Final

from gateway.fhir import TASK_STATUSES as TASK_STATUSES

# TASK_STATUSES is in value-set order: every tuple of statuses the workflow hands out is
# sorted by it, so answers are stable.

ENTERED_IN_ERROR: Final = "entered-in-error"
IN_PROGRESS: Final = "in-progress"

# Terminal in the FHIR state diagram; entered-in-error is final too: it retracts the record.
TERMINAL_STATUSES: Final[frozenset[str]] = frozenset(
    {"completed", "failed", "cancelled", "rejected", ENTERED_IN_ERROR}
)

# The statuses that close Task.executionPeriod (FHIR: "end when it reaches completed,
# failed or cancelled"); rejected never started, so it has no period to close.
EXECUTION_ENDING_STATUSES: Final[frozenset[str]] = frozenset({"completed", "failed", "cancelled"})

INITIAL_STATUSES: Final[tuple[str, ...]] = (
    "draft",
    "requested",
    "received",
    "accepted",
    "ready",
    "in-progress",
    "on-hold",
)

_RANK: Final = {status: rank for rank, status in enumerate(TASK_STATUSES)}


def in_canonical_order(statuses: frozenset[str] | set[str]) -> tuple[str, ...]:
    """The given known status codes as a tuple in the FHIR value-set order."""
    return tuple(sorted(statuses, key=_RANK.__getitem__))


def unknown_statuses(codes: frozenset[str] | set[str]) -> tuple[str, ...]:
    """The codes that are not FHIR R4 Task statuses, sorted."""
    return tuple(sorted(code for code in codes if code not in _RANK))
