"""What the index holds for a resource: tokens, references, dates, strings, numbers, sort keys."""

from __future__ import annotations

import pytest

from gateway.store.dates import MAX_MS, date_range
from gateway.store.indexing import IndexValueError, extract, normalize_string

SNOMED = "http://snomed.info/sct"


def test_task_entries() -> None:
    task = {
        "resourceType": "Task",
        "status": "ready",
        "intent": "order",
        "priority": "asap",
        "performerType": [{"coding": [{"system": SNOMED, "code": "224535009"}, {"code": "x"}]}],
        "identifier": [{"system": "urn:ids", "value": "A-1"}],
        "for": {"reference": "Patient/p1"},
        "owner": {"reference": "https://elsewhere.test/Practitioner/9"},
        "partOf": [{"reference": "Task/a"}, {"reference": "Task/b"}, {"reference": "#inline"}],
        "executionPeriod": {"start": "2026-11-25T09:00:00Z"},
        "restriction": {"period": {"end": "2026-11-30"}},
    }

    entries = extract("Task", task)

    assert {
        ("status", "ready", "http://hl7.org/fhir/task-status"),
        ("performer", "224535009", SNOMED),
        ("performer", "x", ""),
        ("identifier", "A-1", "urn:ids"),
        ("priority", "asap", "http://hl7.org/fhir/request-priority"),
    } <= entries.tokens
    assert entries.references == {
        ("subject", "p1", "Patient"),
        ("patient", "p1", "Patient"),
        ("owner", "https://elsewhere.test/Practitioner/9", ""),
        ("part-of", "a", "Task"),
        ("part-of", "b", "Task"),
        ("part-of", "", ""),  # present, not searchable: only :missing sees it
    }
    start = date_range("2026-11-25T09:00:00Z")[0]
    due = date_range("2026-11-30")
    assert entries.dates == {("period", start, MAX_MS), ("due-date", *due)}
    assert entries.numbers == {("priority-order", 3.0)}
    assert entries.sort == {
        "authored_on": None,
        "modified": None,
        "priority": "asap",
        "status": "ready",
        "due_date": due[0],
        "priority_order": 3,
    }


def test_patient_only_takes_patient_references() -> None:
    entries = extract("Task", {"status": "ready", "for": {"reference": "Group/g"}})

    assert entries.references == {("subject", "g", "Group")}


def test_absent_priority_orders_as_routine() -> None:
    assert extract("Task", {"status": "ready"}).sort["priority_order"] == 1


def test_human_names_are_folded() -> None:
    patient = {"name": [{"family": "Brontë", "given": ["Zoë"], "text": "Zoë Brontë"}]}

    entries = extract("Patient", patient)

    assert ("family", "bronte", "Brontë") in entries.strings
    assert ("given", "zoe", "Zoë") in entries.strings
    assert ("name", "zoe bronte", "Zoë Brontë") in entries.strings
    assert normalize_string("ÉCOLE Straße") == "ecole strasse"


def test_booleans_are_tokens() -> None:
    assert ("active", "true", "") in extract("Practitioner", {"active": True}).tokens


@pytest.mark.parametrize(
    ("resource", "expression"),
    [
        ({"authoredOn": "yesterday"}, "authoredOn"),
        ({"executionPeriod": {"start": 5}}, "executionPeriod"),
        ({"status": 5}, "status"),
    ],
)
def test_malformed_values_name_their_element(resource: dict[str, object], expression: str) -> None:
    with pytest.raises(IndexValueError) as caught:
        extract("Task", resource)
    assert caught.value.expression == expression
