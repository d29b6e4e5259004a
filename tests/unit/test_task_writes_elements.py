"""The pure side of Task writes: checked elements, edits, and the workflow errors' extensions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gateway.errors import BadUserInputError, GatewayError
from gateway.fhir import Ref
from gateway.fhir.references import checked_id
from gateway.workflow import InvalidStatusTransitionError, StatusReasonRequiredError
from gateway.workflow.transitions import TransitionTable, check_initial_status
from gateway.writes import edits, elements

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


def test_reference() -> None:
    assert elements.reference("Practitioner/1", "Dr A", "owner") == {
        "reference": "Practitioner/1",
        "display": "Dr A",
    }
    assert elements.reference(" Patient/p ", "  ", "input.for") == {"reference": "Patient/p"}


@pytest.mark.parametrize(
    "text",
    ["Practitioner", "Practitioner/", "Practitioner/..", "practitioner/1", "https://x.org/P/1"],
)
def test_bad_reference_names_its_argument(text: str) -> None:
    with pytest.raises(BadUserInputError) as caught:
        elements.reference(text, None, "input.owner")
    assert caught.value.extensions == {"argument": "input.owner.reference"}


def test_reference_of_a_type_not_allowed() -> None:
    with pytest.raises(BadUserInputError, match="CareTeam"):
        elements.reference("Observation/1", None, "owner", types=elements.OWNER_TYPES)


def test_concept_checks_codings_and_drops_blanks() -> None:
    given = {"coding": [{"system": "http://s", "code": "a b", "display": " "}], "text": ""}
    assert elements.concept(given, "input.code") == {
        "coding": [{"system": "http://s", "code": "a b"}]
    }


@pytest.mark.parametrize(
    ("value", "argument"),
    [
        ({}, "input.code"),
        ({"text": "  "}, "input.code"),
        ({"coding": [{"code": "ok"}, {"code": "a  b"}]}, "input.code.coding.1.code"),
        ({"coding": [{"code": "x", "system": "has space"}]}, "input.code.coding.0.system"),
    ],
)
def test_bad_concept_names_its_argument(value: dict[str, Any], argument: str) -> None:
    with pytest.raises(BadUserInputError) as caught:
        elements.concept(value, "input.code")
    assert caught.value.extensions == {"argument": argument}


def test_an_empty_status_reason_is_left_to_the_rules() -> None:
    assert elements.status_reason(None, "statusReason") is None
    assert elements.status_reason({"text": " "}, "statusReason") is None
    assert elements.status_reason({"text": "why"}, "statusReason") == {"text": "why"}


def test_ids() -> None:
    assert checked_id("a-1.b", "id") == "a-1.b"
    assert elements.version_id(None, "expectedVersion") is None
    for bad in ("", ".", "..", "a/b", "x" * 65):
        with pytest.raises(BadUserInputError):
            checked_id(bad, "id")


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
