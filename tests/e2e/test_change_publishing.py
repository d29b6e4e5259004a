"""Every Task the gateway writes reaches the change hub once, in order, on both servers: the
embedded store through its change log, another server as the gateway's own writes succeed."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.changes import TaskChangeEvent
from tests.conftest import Gateway
from tests.e2e.mutations import CLAIM

DEADLINE_S = 20.0
CREATE = "mutation { createTask(input: {status: REQUESTED}) { id versionId } }"
NOTE = 'mutation($id: ID!) { addTaskNote(id: $id, text: "called back") { id versionId } }'


async def test_each_write_of_a_mutation_is_published_once_in_order(gateway: Gateway) -> None:
    await gateway.fhir.update({"resourceType": "Practitioner", "id": "ada"})
    async with gateway.runtime.changes.subscribe() as subscriber:
        created = (await gateway.data(CREATE))["createTask"]
        owner: dict[str, Any] = {"reference": "Practitioner/ada"}
        claimed = (await gateway.data(CLAIM, {"id": created["id"], "owner": owner}))["claimTask"]
        noted = (await gateway.data(NOTE, {"id": created["id"]}))["addTaskNote"]

        events: list[TaskChangeEvent] = []
        async with asyncio.timeout(DEADLINE_S):
            async for event in subscriber:
                events.append(event)
                if len(events) == 3:
                    break

    assert [(e.task_id, e.version_id, e.kind) for e in events] == [
        (created["id"], created["versionId"], "CREATED"),
        (created["id"], claimed["versionId"], "UPDATED"),
        (created["id"], noted["versionId"], "UPDATED"),
    ]
    assert events[1].task is not None
    assert events[1].task["owner"] == {"reference": "Practitioner/ada"}
    assert events[1].previous is not None
    assert "owner" not in events[1].previous
