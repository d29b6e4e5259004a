"""Task workflow rules: the status state machine and the statusReason rule, free of I/O."""

from gateway.workflow.errors import (
    InvalidStatusTransitionError,
    InvalidTransitionTableError,
    StatusReasonRequiredError,
)
from gateway.workflow.rules import WorkflowRules
from gateway.workflow.status_reason import (
    DEFAULT_REASON_REQUIRED_FOR,
    has_valid_reason,
    resolve_status_reason,
)
from gateway.workflow.statuses import (
    EXECUTION_ENDING_STATUSES,
    INITIAL_STATUSES,
    TASK_STATUSES,
    TERMINAL_STATUSES,
)
from gateway.workflow.task_changes import (
    UNCHANGED,
    BusinessStatusChange,
    Unchanged,
    apply_status_change,
    prepare_new_task,
    touch,
)
from gateway.workflow.transitions import (
    FHIR_TYPICAL_TRANSITIONS,
    TransitionTable,
    check_initial_status,
)

__all__ = [
    "DEFAULT_REASON_REQUIRED_FOR",
    "EXECUTION_ENDING_STATUSES",
    "FHIR_TYPICAL_TRANSITIONS",
    "INITIAL_STATUSES",
    "TASK_STATUSES",
    "TERMINAL_STATUSES",
    "UNCHANGED",
    "BusinessStatusChange",
    "InvalidStatusTransitionError",
    "InvalidTransitionTableError",
    "StatusReasonRequiredError",
    "TransitionTable",
    "Unchanged",
    "WorkflowRules",
    "apply_status_change",
    "check_initial_status",
    "has_valid_reason",
    "prepare_new_task",
    "resolve_status_reason",
    "touch",
]
