"""Helpers for the change-source tests: events, waiting for them with a generous deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from gateway.changes import ChangeHub, TaskChangeEvent
from gateway.changes.events import ChangeKind
from gateway.changes.hub import Subscriber

# Generous: the tests prove that a change arrives, never how fast (make bench measures that).
DEADLINE_S = 20.0


def event(task_id: str, version: str = "1", kind: ChangeKind = "UPDATED") -> TaskChangeEvent:
    task = {"resourceType": "Task", "id": task_id, "meta": {"versionId": version}}
    return TaskChangeEvent(task_id, version, kind, task, datetime.now(UTC))


async def next_event(subscriber: Subscriber) -> TaskChangeEvent:
    async with asyncio.timeout(DEADLINE_S):
        return await anext(subscriber)


async def eventually(check: Callable[[], Awaitable[bool] | bool]) -> None:
    """Wait until ``check`` holds, failing after the deadline."""
    async with asyncio.timeout(DEADLINE_S):
        while True:
            result = check()
            if result if isinstance(result, bool) else await result:
                return
            await asyncio.sleep(0.05)


def hub_without_memory() -> ChangeHub:
    """A hub that drops no duplicates, so a change delivered twice shows twice."""
    return ChangeHub(remember=0)
