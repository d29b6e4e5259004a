"""WorkflowRules: the configured transition table and statusReason rule, as one value."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.workflow.status_reason import DEFAULT_REASON_REQUIRED_FOR
from gateway.workflow.statuses import TASK_STATUSES, unknown_statuses
from gateway.workflow.transitions import TransitionTable


@dataclass(frozen=True)
class WorkflowRules:
    """The workflow a deployment enforces; the default is FHIR's typical one."""

    transitions: TransitionTable = field(default_factory=TransitionTable.strict)
    reason_required_for: frozenset[str] = DEFAULT_REASON_REQUIRED_FOR

    def __post_init__(self) -> None:
        # A misspelt code would silently never require a reason, so refuse it at startup.
        unknown = unknown_statuses(self.reason_required_for)
        if unknown:
            raise ValueError(
                f"status_reason_required_for: unknown Task status code(s)"
                f" {', '.join(map(repr, unknown))}; expected some of {', '.join(TASK_STATUSES)}"
            )

    @classmethod
    def from_settings(
        cls, transitions: str, status_reason_required_for: frozenset[str]
    ) -> WorkflowRules:
        """Rules from GATEWAY_TRANSITIONS and GATEWAY_STATUS_REASON_REQUIRED_FOR."""
        return cls(
            transitions=TransitionTable.from_setting(transitions),
            reason_required_for=frozenset(status_reason_required_for),
        )

    def requires_reason(self, status: str) -> bool:
        return status in self.reason_required_for
