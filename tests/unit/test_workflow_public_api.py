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
    for name in gateway.workflow.__all__:
        assert getattr(gateway.workflow, name) is not None


def test_statuses_are_the_twelve_fhir_codes() -> None:
    assert len(set(gateway.workflow.TASK_STATUSES)) == 12
    assert set(gateway.workflow.INITIAL_STATUSES) < set(gateway.workflow.TASK_STATUSES)
