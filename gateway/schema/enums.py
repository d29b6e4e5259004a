"""GraphQL enums for FHIR codes: the code upper-cased with '-' as '_' (on-hold -> ON_HOLD)."""

from __future__ import annotations

from enum import Enum
from typing import Self

import strawberry


class _FhirCodeEnum(Enum):
    @property
    def code(self) -> str:
        """The FHIR code this value stands for."""
        return str(self.value)

    @classmethod
    def from_code(cls, code: object) -> Self | None:
        try:
            return cls(code)
        except ValueError:
            return None


@strawberry.enum(description="FHIR Task.status (R4 task-status).")
class TaskStatus(_FhirCodeEnum):
    DRAFT = "draft"
    REQUESTED = "requested"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    READY = "ready"
    CANCELLED = "cancelled"
    IN_PROGRESS = "in-progress"
    ON_HOLD = "on-hold"
    FAILED = "failed"
    COMPLETED = "completed"
    ENTERED_IN_ERROR = "entered-in-error"


@strawberry.enum(description="FHIR Task.intent (R4 task-intent).")
class TaskIntent(_FhirCodeEnum):
    UNKNOWN = "unknown"
    PROPOSAL = "proposal"
    PLAN = "plan"
    ORDER = "order"
    ORIGINAL_ORDER = "original-order"
    REFLEX_ORDER = "reflex-order"
    FILLER_ORDER = "filler-order"
    INSTANCE_ORDER = "instance-order"
    OPTION = "option"


@strawberry.enum(description="FHIR Task.priority (R4 request-priority).")
class TaskPriority(_FhirCodeEnum):
    ROUTINE = "routine"
    URGENT = "urgent"
    ASAP = "asap"
    STAT = "stat"


@strawberry.enum(description="Orderings of a Task list; ties are always broken by id.")
class TaskSort(Enum):
    LAST_UPDATED_DESC = "-_lastUpdated"
    LAST_UPDATED_ASC = "_lastUpdated"
    AUTHORED_ON_DESC = "-authored-on"
    AUTHORED_ON_ASC = "authored-on"
    DUE_DATE_ASC = "due-date"
    PRIORITY_DESC = "-priority-order"
