"""decide(): which change each of the 12 statuses allows, and the order of the refusals."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.errors import (
    AlreadyClaimedError,
    InvalidStatusTransitionError,
    RoutingNoCandidateError,
    StatusReasonRequiredError,
    TaskClosedError,
    VersionConflictError,
)
from gateway.fhir import Ref
from gateway.fhir.codes import TASK_STATUSES
from gateway.workflow import WorkflowRules
from gateway.workflow.decisions import (
    AddNote,
    Assign,
    ChangeStatus,
    Claim,
    Release,
    Route,
    TaskChange,
    Update,
    decide,
)

NOW = "2026-11-30T12:00:00Z"
RULES = WorkflowRules()
ADA = {"reference": "Practitioner/ada"}
BEN = {"reference": "Practitioner/ben"}
CLAIM_ADA = Claim(ADA, Ref("Practitioner", "ada"))
CLOSED = {"completed", "failed", "cancelled", "rejected", "entered-in-error"}

CHANGES: dict[str, TaskChange] = {
    "claim": CLAIM_ADA,
    "assign": Assign(BEN),
    "release": Release(),
    "route": Route(ADA),
    "update": Update({"description": "new words"}),
    "note": AddNote({"text": "called the patient", "time": NOW}),
}


def task(status: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "id": "t1",
        "meta": {"versionId": "3"},
        "status": status,
        "intent": "order",
        **fields,
    }


def expected_open(kind: str, status: str) -> bool:
    """The README's rule: notes close only on entered-in-error, the rest on CLOSED."""
    if kind == "note":
        return status != "entered-in-error"
    return status not in CLOSED


@pytest.mark.parametrize("status", TASK_STATUSES)
@pytest.mark.parametrize("kind", list(CHANGES))
def test_every_status_for_every_kind_of_change(kind: str, status: str) -> None:
    # release needs an owner to have anything to write; the claim needs none.
    fields = {"owner": BEN} if kind == "release" else {}
    before = task(status, **fields)
    if expected_open(kind, status):
        written = decide(before, CHANGES[kind], now=NOW, rules=RULES)
        assert written is not None
        assert written["status"] == status
        assert written["lastModified"] == NOW
    else:
        with pytest.raises(TaskClosedError) as caught:
            decide(before, CHANGES[kind], now=NOW, rules=RULES)
        assert caught.value.graphql_extensions() == {
            "code": "TASK_CLOSED",
            "status": status.upper().replace("-", "_"),
        }


def test_the_table_covers_all_twelve_statuses_and_six_changes() -> None:
    assert len(TASK_STATUSES) == 12
    assert sorted(CHANGES) == ["assign", "claim", "note", "release", "route", "update"]


@pytest.mark.parametrize("status", sorted(set(TASK_STATUSES) - CLOSED))
def test_a_claim_on_an_owned_open_task_is_already_claimed(status: str) -> None:
    with pytest.raises(AlreadyClaimedError) as caught:
        decide(task(status, owner=BEN), CLAIM_ADA, now=NOW, rules=RULES)
    assert caught.value.extensions == {"currentOwner": "Practitioner/ben"}


def test_a_claim_sets_the_owner_and_nothing_else() -> None:
    written = decide(task("ready"), CLAIM_ADA, now=NOW, rules=RULES)
    assert written is not None
    assert written["owner"] == ADA
    assert {k for k in written if k not in task("ready")} == {"owner", "lastModified"}


def test_reclaiming_ones_own_task_writes_nothing() -> None:
    assert decide(task("ready", owner=ADA), CLAIM_ADA, now=NOW, rules=RULES) is None


def test_releasing_an_unowned_task_writes_nothing() -> None:
    assert decide(task("ready"), Release(), now=NOW, rules=RULES) is None


def test_a_closed_task_can_still_be_marked_entered_in_error() -> None:
    written = decide(task("completed"), ChangeStatus("entered-in-error"), now=NOW, rules=RULES)
    assert written is not None and written["status"] == "entered-in-error"


def test_task_closed_comes_before_a_stale_version() -> None:
    with pytest.raises(TaskClosedError):
        decide(task("cancelled"), Assign(ADA), now=NOW, rules=RULES, expected_version="1")


def test_a_stale_version_comes_before_already_claimed() -> None:
    with pytest.raises(VersionConflictError) as caught:
        decide(task("ready", owner=BEN), CLAIM_ADA, now=NOW, rules=RULES, expected_version="1")
    assert caught.value.extensions == {"currentVersion": "3"}


def test_a_stale_version_comes_before_the_status_rules() -> None:
    with pytest.raises(VersionConflictError):
        decide(task("ready"), ChangeStatus("completed"), now=NOW, rules=RULES, expected_version="1")


def test_an_invalid_transition_comes_before_a_missing_reason() -> None:
    with pytest.raises(InvalidStatusTransitionError):
        decide(task("requested"), ChangeStatus("on-hold"), now=NOW, rules=RULES)
    with pytest.raises(StatusReasonRequiredError):
        decide(task("ready"), ChangeStatus("on-hold"), now=NOW, rules=RULES)


def test_a_route_gives_an_unowned_task_to_the_candidate() -> None:
    written = decide(task("requested"), Route(ADA), now=NOW, rules=RULES)
    assert written is not None
    assert (written["owner"], written["status"]) == (ADA, "requested")


@pytest.mark.parametrize("candidate", [ADA, None])
def test_routing_an_owned_task_is_already_claimed_candidate_or_not(candidate: Any) -> None:
    with pytest.raises(AlreadyClaimedError) as caught:
        decide(task("ready", owner=BEN), Route(candidate), now=NOW, rules=RULES)
    assert caught.value.extensions == {"currentOwner": "Practitioner/ben"}


def test_routing_without_a_candidate_comes_last() -> None:
    with pytest.raises(RoutingNoCandidateError) as caught:
        decide(task("ready"), Route(None), now=NOW, rules=RULES, expected_version="3")
    assert caught.value.graphql_extensions() == {"code": "ROUTING_NO_CANDIDATE"}
    with pytest.raises(TaskClosedError):
        decide(task("completed"), Route(None), now=NOW, rules=RULES, expected_version="1")
    with pytest.raises(VersionConflictError):
        decide(task("ready"), Route(None), now=NOW, rules=RULES, expected_version="1")
