"""The store's change feed: each committed Task version reaches the hub once, in order, whether
this process or another one on the same file wrote it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.changes import ChangeHub, StoreFeed, TaskChangeEvent
from gateway.store import FhirStore

DEADLINE_S = 20.0


def _task(status: str) -> dict[str, object]:
    return {"resourceType": "Task", "status": status, "intent": "order"}


async def _take(hub_subscriber: object, n: int) -> list[TaskChangeEvent]:
    events: list[TaskChangeEvent] = []
    async with asyncio.timeout(DEADLINE_S):
        async for event in hub_subscriber:  # type: ignore[attr-defined]
            events.append(event)
            if len(events) == n:
                break
    return events


def test_local_writes_arrive_once_in_order_with_their_previous_version() -> None:
    async def scenario() -> tuple[list[tuple[str, str | None]], list[object], int]:
        store = FhirStore.open(":memory:")
        store.create("Task", _task("draft"))  # before the feed started: not delivered
        hub = ChangeHub()
        feed = StoreFeed(store, hub)
        await feed.start()
        try:
            async with hub.subscribe() as subscriber:
                created = await asyncio.to_thread(store.create, "Task", _task("requested"))
                body = {**_task("accepted"), "id": created.id}
                await asyncio.to_thread(store.update, "Task", created.id, body)
                await asyncio.to_thread(store.delete, "Task", created.id)
                events = await _take(subscriber, 3)
                again = await feed.catch_up()
        finally:
            await feed.aclose()
            store.close()
        previous = [(e.previous or {}).get("status") for e in events]
        return [(e.kind, e.version_id) for e in events], previous, again

    seen, previous, again = asyncio.run(scenario())
    assert seen == [("CREATED", "1"), ("UPDATED", "2"), ("DELETED", "3")]
    assert previous == [None, "requested", "accepted"]
    assert again == 0


def test_writes_of_another_process_on_the_file_arrive(tmp_path: Path) -> None:
    path = str(tmp_path / "fhir.sqlite3")

    async def scenario() -> list[tuple[str, str | None]]:
        watching, other = FhirStore.open(path), FhirStore.open(path)
        hub = ChangeHub()
        feed = StoreFeed(watching, hub)
        await feed.start()
        try:
            async with hub.subscribe() as subscriber:
                # `other` never announces its commits to this feed: only data_version tells.
                created = await asyncio.to_thread(other.create, "Task", _task("requested"))
                body = {**_task("ready"), "id": created.id}
                await asyncio.to_thread(other.update, "Task", created.id, body)
                events = await _take(subscriber, 2)
        finally:
            await feed.aclose()
            watching.close()
            other.close()
        return [(e.kind, e.version_id) for e in events]

    assert asyncio.run(scenario()) == [("CREATED", "1"), ("UPDATED", "2")]
