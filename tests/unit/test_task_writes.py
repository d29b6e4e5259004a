"""TaskWriter against a scripted FHIR server: If-Match, conflicts, no retries but for notes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Sequence
from typing import Any

import httpx2
import pytest

from gateway.errors import (
    AlreadyClaimedError,
    BadUserInputError,
    NotFoundError,
    TaskClosedError,
    UnsupportedByServerError,
    VersionConflictError,
)
from gateway.fhir import FhirClient, Ref, Resource
from gateway.limits import NOTE_ATTEMPTS
from gateway.workflow import WorkflowRules
from gateway.workflow.decisions import Assign, ChangeStatus, Claim, Release, Update
from gateway.writes import TaskWriter

BASE = "https://fhir.example.org/R4/"
NOW = "2026-11-20T10:00:00Z"
ADA = {"reference": "Practitioner/ada"}
BEN = {"reference": "Practitioner/ben"}
ADA_REF = Ref("Practitioner", "ada")
# The practitioners that exist, as the request's loader would find them.
KNOWN = {ADA_REF, Ref("Practitioner", "ben")}


async def resolve(refs: Sequence[Ref]) -> list[Resource | None]:
    return [{"resourceType": r.type, "id": r.id} if r in KNOWN else None for r in refs]


def claim(owner: dict[str, str] = ADA) -> Claim:
    return Claim(owner, Ref("Practitioner", owner["reference"].split("/")[1]))


class FakeServer:
    """One Task store with versions 1, 2, 3...; ``interfere`` runs before each PUT is judged."""

    def __init__(self, task: Resource | None) -> None:
        self.task = copy.deepcopy(task)
        if self.task is not None:
            self.task.setdefault("meta", {"versionId": "1"})
        self.puts: list[httpx2.Request] = []
        self.interfere: Callable[[FakeServer], None] = lambda server: None

    def bump(self, **changes: Any) -> None:
        """Another client's write."""
        assert self.task is not None
        self.task.update(changes)
        self.task["meta"] = {"versionId": str(int(self.task["meta"]["versionId"]) + 1)}

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "GET":
            if self.task is None:
                return httpx2.Response(404)
            return httpx2.Response(200, json=self.task)
        assert request.method == "PUT"
        self.puts.append(request)
        self.interfere(self)
        assert self.task is not None
        if request.headers.get("If-Match") != f'W/"{self.task["meta"]["versionId"]}"':
            return httpx2.Response(412)
        version = self.task["meta"]["versionId"]
        self.task = json.loads(request.content)
        self.task["meta"] = {"versionId": str(int(version) + 1)}
        return httpx2.Response(200, json=self.task)

    def writer(self) -> TaskWriter:
        http = httpx2.AsyncClient(base_url=BASE, transport=httpx2.MockTransport(self.handle))
        return TaskWriter(
            FhirClient(http, BASE, total_timeout=5.0), WorkflowRules(), resolve, clock=lambda: NOW
        )


def task(**fields: Any) -> Resource:
    return {"resourceType": "Task", "id": "t1", "status": "ready", "intent": "order", **fields}


async def test_a_write_is_guarded_by_the_version_read() -> None:
    server = FakeServer(task())
    written = await server.writer().change("t1", ChangeStatus("in-progress"))
    assert [r.headers["If-Match"] for r in server.puts] == ['W/"1"']
    assert written["status"] == "in-progress"
    assert written["lastModified"] == NOW
    assert written["executionPeriod"] == {"start": NOW}


async def test_a_conflicting_write_is_reported_with_the_current_version_and_not_retried() -> None:
    server = FakeServer(task())
    server.interfere = lambda s: s.bump(description="theirs")
    with pytest.raises(VersionConflictError) as caught:
        await server.writer().change("t1", Update({"description": "mine"}))
    assert caught.value.extensions == {"currentVersion": "2"}
    assert len(server.puts) == 1
    assert server.task is not None and server.task["description"] == "theirs"


async def test_expected_version_is_compared_before_anything_is_written() -> None:
    server = FakeServer(task(meta={"versionId": "4"}))
    with pytest.raises(VersionConflictError) as caught:
        await server.writer().change("t1", Assign(ADA), expected_version="3")
    assert caught.value.extensions == {"currentVersion": "4"}
    assert server.puts == []


async def test_a_server_without_versions_is_not_written_blindly() -> None:
    server = FakeServer(task())
    assert server.task is not None
    del server.task["meta"]
    with pytest.raises(UnsupportedByServerError):
        await server.writer().change("t1", Release())
    assert server.puts == []


async def test_unknown_task_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="No such Task"):
        await FakeServer(None).writer().change("t1", claim())


async def test_a_claim_lost_to_another_claimant_is_already_claimed() -> None:
    server = FakeServer(task())
    server.interfere = lambda s: s.bump(owner=BEN)
    with pytest.raises(AlreadyClaimedError) as caught:
        await server.writer().change("t1", claim())
    assert caught.value.extensions == {"currentOwner": "Practitioner/ben"}
    assert len(server.puts) == 1


async def test_a_claim_lost_to_the_same_claimant_succeeds() -> None:
    server = FakeServer(task())
    server.interfere = lambda s: s.bump(owner=ADA)
    claimed = await server.writer().change("t1", claim({**ADA, "display": "Ada"}))
    assert claimed["owner"] == ADA
    assert len(server.puts) == 1


async def test_a_claim_lost_to_another_change_is_decided_once_more() -> None:
    server = FakeServer(task())

    def once(s: FakeServer) -> None:
        if len(s.puts) == 1:
            s.bump(description="theirs")

    server.interfere = once
    claimed = await server.writer().change("t1", claim())
    assert claimed["owner"] == ADA
    assert claimed["description"] == "theirs"
    assert [r.headers["If-Match"] for r in server.puts] == ['W/"1"', 'W/"2"']


async def test_a_claim_that_keeps_losing_to_other_changes_is_a_version_conflict() -> None:
    server = FakeServer(task())
    server.interfere = lambda s: s.bump(description=f"change {len(s.puts)}")
    with pytest.raises(VersionConflictError) as caught:
        await server.writer().change("t1", claim())
    assert caught.value.extensions == {"currentVersion": "3"}
    assert len(server.puts) == 2


async def test_claim_of_an_owner_without_a_reference_is_already_claimed() -> None:
    server = FakeServer(task(owner={"display": "the night shift"}))
    with pytest.raises(AlreadyClaimedError) as caught:
        await server.writer().change("t1", claim())
    assert caught.value.extensions == {}
    assert server.puts == []


async def test_a_note_is_reapplied_after_a_conflict() -> None:
    server = FakeServer(task(note=[{"text": "first"}]))

    def once(s: FakeServer) -> None:
        if len(s.puts) == 1:
            s.bump(note=[{"text": "first"}, {"text": "theirs"}])

    server.interfere = once
    noted = await server.writer().add_note("t1", "mine", ADA)
    assert [n["text"] for n in noted["note"]] == ["first", "theirs", "mine"]
    assert noted["note"][2] == {"text": "mine", "time": NOW, "authorReference": ADA}
    assert [r.headers["If-Match"] for r in server.puts] == ['W/"1"', 'W/"2"']


async def test_a_note_gives_up_after_a_few_conflicts() -> None:
    server = FakeServer(task())
    server.interfere = lambda s: s.bump(description=f"change {len(s.puts)}")
    with pytest.raises(VersionConflictError) as caught:
        await server.writer().add_note("t1", "mine", None)
    assert len(server.puts) == NOTE_ATTEMPTS
    assert caught.value.extensions == {"currentVersion": str(NOTE_ATTEMPTS + 1)}


async def test_nothing_to_change_writes_nothing() -> None:
    server = FakeServer(task(owner=ADA, description="same"))
    await server.writer().change("t1", Update({"description": "same"}))
    await server.writer().change("t1", Assign(ADA))
    await server.writer().change("t1", claim())
    assert server.puts == []


async def test_create_stamps_times_and_makes_a_subtask() -> None:
    created: list[Resource] = []
    parent = task(id="p1", **{"for": {"reference": "Patient/pt1"}})

    def handle(request: httpx2.Request) -> httpx2.Response:
        if request.method == "GET":
            return httpx2.Response(200, json={**parent, "meta": {"versionId": "1"}})
        created.append(json.loads(request.content))
        return httpx2.Response(201, json={**created[-1], "id": "new"})

    http = httpx2.AsyncClient(base_url=BASE, transport=httpx2.MockTransport(handle))
    writer = TaskWriter(
        FhirClient(http, BASE, total_timeout=5.0), WorkflowRules(), resolve, clock=lambda: NOW
    )
    new = {"resourceType": "Task", "status": "ready", "intent": "order", "note": [{"text": "n"}]}
    await writer.create(new, parent_id="p1")
    assert created == [
        {
            **new,
            "authoredOn": NOW,
            "lastModified": NOW,
            "note": [{"text": "n", "time": NOW}],
            "partOf": [{"reference": "Task/p1"}],
            "for": {"reference": "Patient/pt1"},
        }
    ]


async def test_a_closed_task_is_refused_before_its_version_is_compared() -> None:
    server = FakeServer(task(status="cancelled", meta={"versionId": "4"}))
    with pytest.raises(TaskClosedError) as caught:
        await server.writer().change("t1", Assign(ADA), expected_version="3")
    assert caught.value.extensions == {"status": "CANCELLED"}
    assert server.puts == []


async def test_a_reference_to_nothing_is_bad_input_and_nothing_is_written() -> None:
    server = FakeServer(task())
    nobody = {"reference": "Practitioner/nobody"}
    with pytest.raises(BadUserInputError) as caught:
        await server.writer().change(
            "t1", claim(nobody), references={"owner": Ref("Practitioner", "nobody")}
        )
    assert caught.value.extensions == {"argument": "owner"}
    assert server.puts == []
    assert server.task is not None and "owner" not in server.task


async def test_create_refuses_a_reference_to_nothing_before_writing() -> None:
    server = FakeServer(None)
    new = {"resourceType": "Task", "status": "ready", "intent": "order"}
    with pytest.raises(BadUserInputError) as caught:
        await server.writer().create(new, references={"input.for": Ref("Patient", "ghost")})
    assert caught.value.extensions == {"argument": "input.for"}
    assert server.puts == []
