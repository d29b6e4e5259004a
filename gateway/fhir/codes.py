"""FHIR R4 Task vocabulary: code systems in value-set order, and the types references allow."""

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

# R4 Task.owner, Task.requester and Annotation.author[x] name the types they may point to.
OWNER_TYPES: Final = frozenset(
    {
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "CareTeam",
        "HealthcareService",
        "Patient",
        "Device",
        "RelatedPerson",
    }
)
REQUESTER_TYPES: Final = frozenset(
    {"Device", "Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson"}
)
AUTHOR_TYPES: Final = frozenset({"Practitioner", "Patient", "RelatedPerson", "Organization"})
