"""No lost updates under contention, on both servers: racing claims and racing status changes."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.conftest import Gateway
from tests.e2e.builders import practitioner, put_all, task
from tests.e2e.mutations import CLAIM, START, outcome, stored

RACERS = 20
NOTE = "mutation($id: ID!, $text: String!) { addTaskNote(id: $id, text: $text) { id } }"


async def test_of_twenty_concurrent_claims_exactly_one_wins(gateway: Gateway) -> None:
    owners = [f"Practitioner/p{i}" for i in range(RACERS)]
    people = [practitioner(owner.split("/")[1]) for owner in owners]
    await put_all(gateway.fhir, [*people, task("t1", status="requested")])

    with gateway.counting():
        bodies = await asyncio.gather(
            *(gateway.gql(CLAIM, {"id": "t1", "owner": {"reference": o}}) for o in owners)
        )

    outcomes = Counter(outcome(body) for body in bodies)
    assert outcomes == {"ok": 1, "ALREADY_CLAIMED": RACERS - 1}, outcomes
    winner = next(o for o, body in zip(owners, bodies, strict=True) if outcome(body) == "ok")
    saved = await stored(gateway, "t1")
    assert saved["owner"] == {"reference": winner}
    assert saved["status"] == "requested"
    for body in bodies:
        if outcome(body) == "ALREADY_CLAIMED":
            assert body["errors"][0]["extensions"]["currentOwner"] == winner
    # Every claim wrote at most once: a lost race is reported, never retried.
    assert len(gateway.task_writes()) <= RACERS


async def test_of_twenty_concurrent_status_changes_on_one_version_exactly_one_wins(
    gateway: Gateway,
) -> None:
    await put_all(gateway.fhir, [task("t1")])
    version = (await stored(gateway, "t1"))["meta"]["versionId"]

    with gateway.counting():
        bodies = await asyncio.gather(
            *(gateway.gql(START, {"id": "t1", "v": version}) for _ in range(RACERS))
        )
    assert len(gateway.task_writes()) <= RACERS

    outcomes = Counter(outcome(body) for body in bodies)
    assert outcomes == {"ok": 1, "VERSION_CONFLICT": RACERS - 1}, outcomes
    saved = await stored(gateway, "t1")
    assert saved["status"] == "in-progress"
    winner = next(body for body in bodies if outcome(body) == "ok")
    assert winner["data"]["updateTaskStatus"]["versionId"] == saved["meta"]["versionId"]
    for body in bodies:
        if outcome(body) == "VERSION_CONFLICT":
            extensions = body["errors"][0]["extensions"]
            assert extensions["currentVersion"] == saved["meta"]["versionId"]


async def test_concurrent_notes_are_all_kept(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [task("t1")])
    texts = [f"note {i}" for i in range(5)]

    bodies = await asyncio.gather(*(gateway.gql(NOTE, {"id": "t1", "text": t}) for t in texts))

    kept = [n["text"] for n in (await stored(gateway, "t1")).get("note", [])]
    written = [t for t, body in zip(texts, bodies, strict=True) if outcome(body) == "ok"]
    assert sorted(kept) == sorted(written) == sorted(texts)
