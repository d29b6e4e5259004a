"""gateway.workflow's public surface, pinned."""

import inspect

import gateway.workflow


def test_public_surface_is_pinned() -> None:
    assert sorted(gateway.workflow.__all__) == [
        "BusinessStatusChange",
        "DEFAULT_REASON_REQUIRED_FOR",
        "EXECUTION_ENDING_STATUSES",
        "FHIR_TYPICAL_TRANSITIONS",
        "INITIAL_STATUSES",
        "InvalidStatusTransitionError",
        "InvalidTransitionTableError",
        "StatusReasonRequiredError",
        "TASK_STATUSES",
        "TERMINAL_STATUSES",
        "TransitionTable",
        "UNCHANGED",
        "Unchanged",
        "WorkflowRules",
        "apply_status_change",
        "check_initial_status",
        "has_valid_reason",
        "prepare_new_task",
        "resolve_status_reason",
        "touch",
    ]


def test_the_package_exposes_exactly_its_public_surface() -> None:
    # A name imported into the package but left out of __all__, or listed but not defined,
    # shows up here.
    public = {
        name
        for name, value in vars(gateway.workflow).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }

    assert public == set(gateway.workflow.__all__)


def test_statuses_are_the_twelve_fhir_codes() -> None:
    assert len(set(gateway.workflow.TASK_STATUSES)) == 12
    assert set(gateway.workflow.INITIAL_STATUSES) < set(gateway.workflow.TASK_STATUSES)
