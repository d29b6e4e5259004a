import pytest

from gateway.workflow import WorkflowRules
from gateway.workflow.errors import InvalidTransitionTableError
from gateway.workflow.status_reason import DEFAULT_REASON_REQUIRED_FOR
from gateway.workflow.transitions import TransitionTable


def test_default_rules_are_fhir_strict_with_on_hold_and_cancelled() -> None:
    rules = WorkflowRules()
    assert rules.transitions == TransitionTable.strict()
    assert rules.reason_required_for == DEFAULT_REASON_REQUIRED_FOR == {"on-hold", "cancelled"}
    assert rules.requires_reason("on-hold")
    assert not rules.requires_reason("ready")


def test_from_settings() -> None:
    rules = WorkflowRules.from_settings("permissive", frozenset({"rejected", "failed"}))
    assert rules.transitions == TransitionTable.permissive()
    assert rules.reason_required_for == {"rejected", "failed"}
    assert hash(rules) == hash(
        WorkflowRules.from_settings("permissive", frozenset({"failed", "rejected"}))
    )


def test_from_settings_reports_a_bad_table() -> None:
    with pytest.raises(InvalidTransitionTableError):
        WorkflowRules.from_settings("/nonexistent/transitions.json", frozenset())


def test_unknown_reason_status_is_refused() -> None:
    with pytest.raises(ValueError, match="'onhold'"):
        WorkflowRules.from_settings("strict", frozenset({"onhold"}))
