"""The change poller against the Medplum peer (no type-level history: it searches by
_lastUpdated): Tasks written straight to the server reach the hub once each."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.changes import (
    ChangeHub,
    ChangePoller,
    MemoryPositionStore,
    RedisPollerLock,
    RedisPositionStore,
    SoloLock,
    TaskChangeEvent,
)
from gateway.changes.poll_position import PositionStore
from gateway.changes.poller_lock import PollerLock
from gateway.fhir import FhirClient
from gateway.redis_connection import connect
from tests.changes.listening import eventually
from tests.redis_server import RedisServer

pytestmark = pytest.mark.medplum


async def no_history() -> bool:
    return False


class Watched:
    """A poller on its own hub, with the changes it published."""

    def __init__(
        self, fhir: FhirClient, positions: PositionStore, lock: PollerLock, interval: float = 0.1
    ) -> None:
        self.hub = ChangeHub()
        self.published: list[TaskChangeEvent] = []
        self.hub.add_relay(self.published.append)
        self.poller = ChangePoller(self.hub, fhir, no_history, positions, lock, interval=interval)

    def keys(self) -> list[tuple[str, str | None, str]]:
        return [e.key for e in self.published]


def solo(fhir: FhirClient) -> Watched:
    return Watched(fhir, MemoryPositionStore(), SoloLock())


async def create(fhir: FhirClient, **fields: Any) -> dict[str, Any]:
    return await fhir.create(
        {"resourceType": "Task", "status": "requested", "intent": "order", **fields}
    )


async def test_a_task_written_straight_to_the_server_reaches_the_hub(peer: FhirClient) -> None:
    before = await create(peer)
    watched = solo(peer)
    assert await watched.poller.poll_once() == "none"  # takes its position: the past is no change
    assert watched.poller.state == "active"

    task = await create(peer, description="written by another system")
    assert await watched.poller.poll_once() == "changes"
    assert watched.keys() == [(task["id"], task["meta"]["versionId"], "UPDATED")]
    assert watched.published[0].task == task
    assert before["id"] not in {e.task_id for e in watched.published}


async def test_quick_versions_end_with_the_last_and_none_twice(peer: FhirClient) -> None:
    watched = solo(peer)
    await watched.poller.poll_once()
    task = await create(peer)
    versions = [task["meta"]["versionId"]]
    await watched.poller.poll_once()  # a poll between versions: that version comes too
    for status in ("accepted", "in-progress"):
        task = await peer.update({**task, "status": status})
        versions.append(task["meta"]["versionId"])
    for _ in range(3):  # later polls re-read the overlap window and deliver nothing again
        await watched.poller.poll_once()

    keys = watched.keys()
    assert len(keys) == len(set(keys))
    assert keys[0][1] == versions[0] and keys[-1][1] == versions[-1]
    assert watched.published[-1].task == task


async def without_release(poller: ChangePoller) -> None:
    """Poll like ``run`` but, when cancelled, leave the lock as a dead process would."""
    while True:
        await poller.poll_once()
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def polling(watched: Watched, *, dies: bool = False) -> AsyncIterator[asyncio.Task[None]]:
    work = without_release(watched.poller) if dies else watched.poller.run()
    running = asyncio.create_task(work)
    try:
        yield running
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def test_one_replica_polls_and_another_takes_over_from_its_position(
    peer: FhirClient, redis_server: RedisServer
) -> None:
    shared = connect(redis_server.url)
    try:
        # A TTL well above a poll's duration on a busy machine, so the holder keeps it while alive.
        replicas = [
            Watched(peer, RedisPositionStore(shared), RedisPollerLock(shared, ttl=3.0))
            for _ in range(2)
        ]
        holder, other = replicas
        async with polling(holder, dies=True) as holder_task:
            await eventually(lambda: holder.poller.state == "active")
            async with polling(other):
                await eventually(lambda: other.poller.state == "standby")
                seen = await create(peer)
                await eventually(lambda: len(holder.published) == 1)

                # The holder dies: it neither renews nor gives the lock back.
                holder_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await holder_task
                missed = await create(peer)
                await eventually(lambda: other.poller.state == "active")
                await eventually(lambda: len(other.published) == 1)
                later = await create(peer)
                await eventually(lambda: len(other.published) == 2)

        # Polled once each: the takeover went on from the holder's position, neither
        # repeating what it had delivered nor skipping what changed in between.
        assert [e.task_id for e in holder.published] == [seen["id"]]
        assert [e.task_id for e in other.published] == [missed["id"], later["id"]]
    finally:
        await shared.aclose()
