"""FHIR R4 Task code systems (task-status, task-intent, request-priority), in value-set order."""

from __future__ import annotations

from typing import Final

TASK_STATUSES: Final[tuple[str, ...]] = (
    "draft",
    "requested",
    "received",
    "accepted",
    "rejected",
    "ready",
    "cancelled",
    "in-progress",
    "on-hold",
    "failed",
    "completed",
    "entered-in-error",
)
TASK_INTENTS: Final[tuple[str, ...]] = (
    "unknown",
    "proposal",
    "plan",
    "order",
    "original-order",
    "reflex-order",
    "filler-order",
    "instance-order",
    "option",
)
TASK_PRIORITIES: Final[tuple[str, ...]] = ("routine", "urgent", "asap", "stat")
