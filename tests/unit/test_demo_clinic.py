import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from gateway.demo_clinic import ANCHOR, SNOMED, demo_clinic
from gateway.fhir.datetimes import parse_datetime
from gateway.workflow.status_reason import has_valid_reason
from gateway.workflow.statuses import TASK_STATUSES

Resource = dict[str, Any]
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
QUEUE_STATUSES = {"requested", "received", "accepted", "ready"}


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


def test_work_queue_has_content(clinic: list[Resource], tasks: list[Resource]) -> None:
    active_codes: dict[str, set[tuple[str, str]]] = {}
    for role in clinic:
        if role["resourceType"] == "PractitionerRole" and role["active"]:
            codes = _codes(role["code"]) | _codes(role.get("specialty", []))
            active_codes.setdefault(role["practitioner"]["reference"], set()).update(codes)
    queues = {
        practitioner: [
            task
            for task in tasks
            if task["status"] in QUEUE_STATUSES
            and "owner" not in task
            and _codes(task["performerType"]) & codes
        ]
        for practitioner, codes in active_codes.items()
    }
    assert sum(map(len, queues.values())) >= 30
    assert all(queues.values()), {p: len(q) for p, q in queues.items()}


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
