"""Pure Task edits (elements, owner, notes) and the workflow errors' extensions."""

from __future__ import annotations

import copy

import pytest

from gateway.errors import GatewayError
from gateway.fhir import Ref
from gateway.workflow import edits
from gateway.workflow.errors import InvalidStatusTransitionError, StatusReasonRequiredError
from gateway.workflow.transitions import TransitionTable, check_initial_status

BASE = "https://fhir.example.org/R4/"


def test_workflow_errors_are_gateway_errors_with_enum_names() -> None:
    with pytest.raises(InvalidStatusTransitionError) as caught:
        TransitionTable.strict().check_transition("on-hold", "completed")
    assert isinstance(caught.value, GatewayError)
    assert caught.value.graphql_extensions() == {
        "code": "INVALID_STATUS_TRANSITION",
        "from": "ON_HOLD",
        "to": "COMPLETED",
        "allowed": ["DRAFT", "READY", "CANCELLED", "IN_PROGRESS", "ON_HOLD", "ENTERED_IN_ERROR"],
    }
    reason = StatusReasonRequiredError("on-hold")
    assert reason.status == "on-hold"
    assert reason.graphql_extensions() == {"code": "STATUS_REASON_REQUIRED", "status": "ON_HOLD"}


def test_a_refused_initial_status_has_a_null_from() -> None:
    with pytest.raises(InvalidStatusTransitionError) as caught:
        check_initial_status("entered-in-error")
    extensions = caught.value.graphql_extensions()
    assert "from" in extensions and extensions["from"] is None
    assert extensions["to"] == "ENTERED_IN_ERROR"


def test_edit_elements_sets_nested_paths_and_prunes_empty_containers() -> None:
    task = {"resourceType": "Task", "restriction": {"period": {"end": "2026-01-02"}}}
    before = copy.deepcopy(task)
    started = edits.edit_elements(task, {"restriction.period.start": "2026-01-01"})
    assert started["restriction"] == {"period": {"start": "2026-01-01", "end": "2026-01-02"}}
    cleared = edits.edit_elements(task, {"restriction.period.end": None, "priority": None})
    assert cleared == {"resourceType": "Task"}
    assert task == before


def test_same_content_ignores_bookkeeping() -> None:
    a = {"id": "1", "status": "ready", "meta": {"versionId": "1"}, "lastModified": "x"}
    assert edits.same_content(a, {"id": "1", "status": "ready", "lastModified": "y"})
    assert not edits.same_content(a, {"id": "1", "status": "draft"})


def test_owner() -> None:
    on_base = {"owner": {"reference": BASE + "Practitioner/1"}}
    assert edits.owner_ref(on_base, BASE) == Ref("Practitioner", "1")
    assert edits.owner_text(on_base, BASE) == "Practitioner/1"
    assert edits.owner_text({"owner": {"reference": "#contained"}}) == "#contained"
    assert edits.has_owner({"owner": {"display": "someone"}})
    assert not edits.has_owner({"owner": {}}) and not edits.has_owner({})


def test_notes_keep_their_order() -> None:
    first = {"text": "a"}
    task = edits.with_note({"note": [first]}, edits.new_note("b", {"reference": "Patient/p"}, "t"))
    assert task["note"] == [
        first,
        {"text": "b", "time": "t", "authorReference": {"reference": "Patient/p"}},
    ]
    assert edits.stamp_notes({"note": [{"text": "c"}]}, "now") == {
        "note": [{"text": "c", "time": "now"}]
    }
