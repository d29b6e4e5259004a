import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.demo_clinic import ANCHOR, SNOMED, demo_clinic
from gateway.fhir.datetimes import parse_datetime
from gateway.routing import (
    available_at,
    licensed_for,
    licensed_states,
    parse_moment,
    patient_states,
    performer_codings,
    role_matches,
)
from gateway.workflow.status_reason import has_valid_reason
from gateway.workflow.statuses import TASK_STATUSES

Resource = dict[str, Any]
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
QUEUE_STATUSES = {"requested", "received", "accepted", "ready"}
CLOSED = {"completed", "failed", "cancelled", "rejected", "entered-in-error"}
EASTERN = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def clinic() -> list[Resource]:
    return demo_clinic()


@pytest.fixture(scope="module")
def tasks(clinic: list[Resource]) -> list[Resource]:
    return [r for r in clinic if r["resourceType"] == "Task"]


def _references(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            yield value["reference"]
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _key(resource: Resource) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def _codes(concepts: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for concept in concepts for c in concept.get("coding", [])}


def _at(value: str) -> datetime:
    return parse_datetime(value).earliest()


def test_is_deterministic_and_returns_fresh_objects() -> None:
    first = demo_clinic()
    assert first == demo_clinic()
    first[-1]["status"] = "changed"
    first[0]["name"] = "changed"
    assert demo_clinic()[-1]["status"] != "changed"
    assert demo_clinic()[0]["name"] != "changed"


def test_counts(clinic: list[Resource]) -> None:
    counts = Counter(r["resourceType"] for r in clinic)
    assert counts["Organization"] == 1
    assert 8 <= counts["Practitioner"] <= 12
    assert counts["PractitionerRole"] >= counts["Practitioner"]
    assert 40 <= counts["Patient"] <= 60
    assert 250 <= counts["Task"] <= 350
    for focus_type in ("ServiceRequest", "DiagnosticReport", "Questionnaire"):
        assert counts[focus_type] >= 1


def test_ids_are_fhir_ids_and_unique(clinic: list[Resource]) -> None:
    for resource in clinic:
        assert FHIR_ID.fullmatch(resource["id"]), resource["id"]
        assert resource["id"] not in {".", ".."}
    assert len({_key(r) for r in clinic}) == len(clinic)


def test_every_reference_points_to_an_earlier_resource(clinic: list[Resource]) -> None:
    seen: set[str] = set()
    for resource in clinic:
        for reference in _references(resource):
            assert reference in seen, f"{_key(resource)} -> {reference}"
        seen.add(_key(resource))


def test_required_elements(clinic: list[Resource]) -> None:
    required = {
        "Task": ("status", "intent"),
        "ServiceRequest": ("status", "intent", "subject"),
        "DiagnosticReport": ("status", "code"),
        "Questionnaire": ("status",),
        "PractitionerRole": ("practitioner", "organization", "code"),
        "Patient": ("name", "birthDate", "gender"),
        "Practitioner": ("name",),
    }
    for resource in clinic:
        for element in required.get(resource["resourceType"], ()):
            assert resource.get(element), f"{_key(resource)} lacks {element}"


def test_roles_carry_snomed_codes_and_one_is_inactive(clinic: list[Resource]) -> None:
    roles = [r for r in clinic if r["resourceType"] == "PractitionerRole"]
    assert all(system == SNOMED for role in roles for system, _ in _codes(role["code"]))
    assert any("specialty" in role for role in roles)
    assert [role["active"] for role in roles].count(False) == 1


def test_every_status_is_present(tasks: list[Resource]) -> None:
    assert {task["status"] for task in tasks} == set(TASK_STATUSES)


def test_status_reasons(tasks: list[Resource]) -> None:
    for task in tasks:
        if task["status"] in {"on-hold", "cancelled"}:
            assert has_valid_reason(task.get("statusReason")), task["id"]
        elif task["status"] not in {"rejected", "failed"}:
            assert "statusReason" not in task, task["id"]


def test_task_elements(tasks: list[Resource]) -> None:
    assert Counter(task["intent"] for task in tasks).most_common(1)[0][0] == "order"
    priorities = Counter(task.get("priority") for task in tasks)
    assert set(priorities) == {"routine", "urgent", "asap", "stat", None}
    for task in tasks:
        assert task["for"]["reference"].startswith("Patient/")
        assert task["code"]["coding"]
        assert task["description"]
        assert task["performerType"]
        assert all(system == SNOMED for system, _ in _codes(task["performerType"]))
    funnel = {
        coding["code"]
        for task in tasks
        for coding in task.get("businessStatus", {"coding": []})["coding"]
    }
    assert {"triage", "scheduled", "awaiting-results", "follow-up"} <= funnel
    assert any("note" in task for task in tasks)
    assert any("end" in task.get("restriction", {}).get("period", {}) for task in tasks)
    assert any("restriction" not in task for task in tasks)
    assert any("start" in task.get("restriction", {}).get("period", {}) for task in tasks)


def test_times_are_consistent(tasks: list[Resource]) -> None:
    for task in tasks:
        authored, modified = _at(task["authoredOn"]), _at(task["lastModified"])
        assert authored <= modified <= ANCHOR, task["id"]
        period = task.get("executionPeriod", {})
        if task["status"] in {"in-progress", "completed", "failed"}:
            assert "start" in period, task["id"]
        assert ("end" in period) == (task["status"] in {"completed", "failed", "cancelled"})
        moments = [_at(period[k]) for k in ("start", "end") if k in period]
        assert moments == sorted(moments)
        assert all(authored <= moment <= modified for moment in moments), task["id"]
        due = task.get("restriction", {}).get("period", {})
        if "start" in due:
            assert _at(due["start"]) <= _at(due["end"])


def test_owners(tasks: list[Resource]) -> None:
    for status in ("in-progress", "completed"):
        group = [task for task in tasks if task["status"] == status]
        assert sum("owner" in task for task in group) >= 0.8 * len(group)
    assert not any("owner" in task for task in tasks if task["status"] == "draft")
    for task in tasks:
        if "owner" in task:
            assert task["owner"]["reference"].startswith("Practitioner/")


def test_subtask_trees(tasks: list[Resource]) -> None:
    by_id = {task["id"]: task for task in tasks}
    position = {task["id"]: n for n, task in enumerate(tasks)}
    depths = []
    for task in tasks:
        depth, node, visited = 1, task, {task["id"]}
        while "partOf" in node:
            [parent_ref] = node["partOf"]
            parent = by_id[parent_ref["reference"].removeprefix("Task/")]
            assert position[parent["id"]] < position[node["id"]]
            assert parent["for"] == node["for"]
            assert parent["id"] not in visited, "partOf cycle"
            visited.add(parent["id"])
            node, depth = parent, depth + 1
        depths.append(depth)
    assert max(depths) == 4
    roots_with_children = {ref["reference"] for task in tasks for ref in task.get("partOf", [])} & {
        f"Task/{task['id']}" for task in tasks if "partOf" not in task
    }
    assert 3 <= len(roots_with_children) <= 10


def _by_ref(clinic: list[Resource]) -> dict[str, Resource]:
    return {_key(resource): resource for resource in clinic}


def _queue(clinic: list[Resource], practitioner: str, *, licensure: bool) -> list[str]:
    """The Task ids in a practitioner's queue at the anchor, as taskQueue's rules say."""
    by_ref = _by_ref(clinic)
    licensed = licensed_states(by_ref[practitioner], ANCHOR, EASTERN)
    roles = [
        r
        for r in clinic
        if r["resourceType"] == "PractitionerRole"
        and r["active"]
        and r["practitioner"]["reference"] == practitioner
    ]
    return [
        task["id"]
        for task in clinic
        if task["resourceType"] == "Task"
        and task["status"] in QUEUE_STATUSES
        and "owner" not in task
        and any(role_matches(role, performer_codings(task)) for role in roles)
        and not (
            licensure
            and licensed_for(licensed, patient_states(by_ref[task["for"]["reference"]])) is False
        )
    ]


def test_work_queue_has_content(clinic: list[Resource]) -> None:
    holders = {
        role["practitioner"]["reference"]
        for role in clinic
        if role["resourceType"] == "PractitionerRole" and role["active"]
    }
    queues = {p: _queue(clinic, p, licensure=True) for p in holders}
    assert sum(map(len, queues.values())) >= 30
    # Licensure leaves every practitioner work to do.
    assert all(queues.values()), {p: len(q) for p, q in queues.items()}


def test_licensure_shows_in_the_queues(clinic: list[Resource]) -> None:
    practitioners = [r for r in clinic if r["resourceType"] == "Practitioner"]
    shrunk = [
        p["id"]
        for p in practitioners
        if len(_queue(clinic, _key(p), licensure=True))
        < len(_queue(clinic, _key(p), licensure=False))
    ]
    assert len(shrunk) >= 3, shrunk
    # Hannah Berg's Rhode Island license has expired: only Massachusetts is valid.
    berg = _by_ref(clinic)["Practitioner/demo-prac-10"]
    assert licensed_states(berg, ANCHOR, EASTERN) == {"MA"}


def test_licenses_span_states_and_some_have_expired(clinic: list[Resource]) -> None:
    practitioners = [r for r in clinic if r["resourceType"] == "Practitioner"]
    named: set[str] = set()
    expired = 0
    for person in practitioners:
        valid = licensed_states(person, ANCHOR, EASTERN)
        assert valid, person["id"]
        ever = licensed_states(person, _at("2024-01-01T12:00:00Z"), EASTERN)
        expired += bool(ever - valid)
        named |= valid
    assert named == {"MA", "RI", "NH", "NY"}
    assert expired >= 3


def test_patients_have_home_states_and_some_have_none(clinic: list[Resource]) -> None:
    states = Counter(
        min(patient_states(p), default=None) for p in clinic if p["resourceType"] == "Patient"
    )
    assert {"MA", "RI", "NH", "NY"} <= set(states)
    assert states[None] >= 5


def test_routing_has_work_for_every_case(clinic: list[Resource]) -> None:
    """Open unowned Tasks for a patient without a state, with one candidate, with several,
    and with none (routeTask's ROUTING_NO_CANDIDATE)."""
    by_ref = _by_ref(clinic)
    roles = [r for r in clinic if r["resourceType"] == "PractitionerRole" and r["active"]]
    counts: Counter[int] = Counter()
    stateless = 0
    for task in clinic:
        if task["resourceType"] != "Task" or "owner" in task or task["status"] in CLOSED:
            continue
        states = patient_states(by_ref[task["for"]["reference"]])
        stateless += not states
        candidates = {
            role["practitioner"]["reference"]
            for role in roles
            if role_matches(role, performer_codings(task))
            and licensed_for(
                licensed_states(by_ref[role["practitioner"]["reference"]], ANCHOR, EASTERN), states
            )
            is not False
        }
        counts[min(len(candidates), 2)] += 1
    assert stateless and counts[0] and counts[1] and counts[2], (stateless, counts)


@pytest.mark.parametrize(
    ("role", "at", "available"),
    [
        ("demo-role-01", "2026-12-01T10:00:00-05:00", True),  # a Tuesday morning
        ("demo-role-01", "2026-12-01T23:00:00-05:00", False),
        ("demo-role-01", "2026-12-05T10:00:00-05:00", False),  # Saturday
        ("demo-role-05", "2026-12-01T10:00:00-05:00", False),  # nights only
        ("demo-role-05", "2026-12-01T23:00:00-05:00", True),
        ("demo-role-05", "2026-12-02T01:30:00-05:00", True),  # past midnight
        ("demo-role-05", "2026-12-04T23:00:00-05:00", False),  # no Friday night shift
        ("demo-role-02", "2026-12-02T10:00:00-05:00", True),
        ("demo-role-02", "2026-12-09T10:00:00-05:00", False),  # at the conference
        ("demo-role-11", "2026-12-01T10:00:00-05:00", False),  # the ended role
    ],
)
def test_availability_at_the_readme_moments(
    clinic: list[Resource], role: str, at: str, available: bool
) -> None:
    resource = _by_ref(clinic)[f"PractitionerRole/{role}"]
    assert available_at(resource, parse_moment(at), EASTERN) is available
    # These moments give the same answers in the default zone, UTC, as the README says.
    assert available_at(resource, parse_moment(at), ZoneInfo("UTC")) is available


def test_the_ended_role_is_not_covered_by_an_active_one(clinic: list[Resource]) -> None:
    inactive = [r for r in clinic if r["resourceType"] == "PractitionerRole" and not r["active"]]
    [role] = inactive
    holder = role["practitioner"]["reference"]
    active_codes = {
        code
        for r in clinic
        if r["resourceType"] == "PractitionerRole"
        and r["active"]
        and r["practitioner"]["reference"] == holder
        for code in _codes(r["code"])
    }
    # Filtering on active roles must make a difference for this practitioner.
    assert not _codes(role["code"]) <= active_codes
