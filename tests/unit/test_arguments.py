"""Client arguments checked into FHIR values: ids, references, concepts, naming the argument."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import BadUserInputError
from gateway.fhir.codes import OWNER_TYPES
from gateway.schema import arguments
from gateway.schema.arguments import argument_id


def test_reference() -> None:
    assert arguments.reference("Practitioner/1", "Dr A", "owner") == {
        "reference": "Practitioner/1",
        "display": "Dr A",
    }
    assert arguments.reference(" Patient/p ", "  ", "input.for") == {"reference": "Patient/p"}


@pytest.mark.parametrize(
    "text",
    ["Practitioner", "Practitioner/", "Practitioner/..", "practitioner/1", "https://x.org/P/1"],
)
def test_bad_reference_names_its_argument(text: str) -> None:
    with pytest.raises(BadUserInputError) as caught:
        arguments.reference(text, None, "input.owner")
    assert caught.value.extensions == {"argument": "input.owner.reference"}


def test_reference_of_a_type_not_allowed() -> None:
    with pytest.raises(BadUserInputError, match="CareTeam"):
        arguments.reference("Observation/1", None, "owner", types=OWNER_TYPES)


def test_concept_checks_codings_and_drops_blanks() -> None:
    given = {"coding": [{"system": "http://s", "code": "a b", "display": " "}], "text": ""}
    assert arguments.concept(given, "input.code") == {
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
        arguments.concept(value, "input.code")
    assert caught.value.extensions == {"argument": argument}


def test_an_empty_status_reason_is_left_to_the_rules() -> None:
    assert arguments.status_reason(None, "statusReason") is None
    assert arguments.status_reason({"text": " "}, "statusReason") is None
    assert arguments.status_reason({"text": "why"}, "statusReason") == {"text": "why"}


def test_ids() -> None:
    assert argument_id("a-1.b", "id") == "a-1.b"
    assert arguments.version_id(None, "expectedVersion") is None
    for bad in ("", ".", "..", "a/b", "x" * 65):
        with pytest.raises(BadUserInputError):
            argument_id(bad, "id")
