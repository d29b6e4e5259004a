"""The change hub: every subscriber gets each change once, in order; a slow one is cut off."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from gateway.changes import ChangeHub, SubscriberFellBehind, TaskChangeEvent

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _event(task_id: str, version: str, kind: str = "UPDATED") -> TaskChangeEvent:
    task = None if kind == "DELETED" else {"resourceType": "Task", "id": task_id}
    return TaskChangeEvent(task_id, version, kind, task, AT)  # type: ignore[arg-type]


async def _take(subscriber: object, n: int) -> list[TaskChangeEvent]:
    events: list[TaskChangeEvent] = []
    async for event in subscriber:  # type: ignore[attr-defined]
        events.append(event)
        if len(events) == n:
            break
    return events


def test_each_subscriber_gets_every_change_in_order_and_duplicates_once() -> None:
    async def scenario() -> tuple[list[str | None], list[str | None], bool]:
        hub = ChangeHub()
        async with hub.subscribe() as first, hub.subscribe() as second:
            for version in ("1", "2", "2", "3"):
                hub.publish(_event("a", version))
            got_first = await _take(first, 3)
            got_second = await _take(second, 3)
        return (
            [e.version_id for e in got_first],
            [e.version_id for e in got_second],
            hub.subscriber_count == 0,
        )

    first, second, released = asyncio.run(scenario())
    assert first == ["1", "2", "3"]
    assert second == ["1", "2", "3"]
    assert released


def test_a_subscriber_that_falls_behind_is_closed_and_the_others_go_on() -> None:
    async def scenario() -> tuple[bool, list[str | None]]:
        hub = ChangeHub(buffer=2)
        async with hub.subscribe() as slow, hub.subscribe() as fast:
            hub.publish(_event("a", "1"))
            assert [e.version_id for e in await _take(fast, 1)] == ["1"]
            for version in ("2", "3", "4"):
                hub.publish(_event("a", version))
                assert (await _take(fast, 1))[0].version_id == version
            with pytest.raises(SubscriberFellBehind):
                await _take(slow, 5)
            hub.publish(_event("a", "5"))
            return slow.fell_behind, [e.version_id for e in await _take(fast, 1)]

    fell_behind, after = asyncio.run(scenario())
    assert fell_behind
    assert after == ["5"]


def test_relays_get_local_changes_only() -> None:
    hub = ChangeHub()
    relayed: list[str | None] = []
    hub.add_relay(lambda event: relayed.append(event.version_id))
    assert hub.publish(_event("a", "1"))
    assert hub.publish(_event("a", "2"), relay=False)
    assert not hub.publish(_event("a", "1"))
    assert relayed == ["1"]


@pytest.mark.parametrize("kind", ["CREATED", "UPDATED", "DELETED"])
def test_events_survive_the_wire(kind: str) -> None:
    event = _event("a", "7", kind)
    assert TaskChangeEvent.from_json(event.to_json()) == event


@pytest.mark.parametrize("text", ["[]", '{"kind": "EATEN", "taskId": "a"}', '{"kind": "CREATED"}'])
def test_anything_else_on_the_wire_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a Task change event"):
        TaskChangeEvent.from_json(text)


def test_an_event_without_its_previous_version_gets_the_last_one_seen() -> None:
    async def scenario() -> list[dict[str, object] | None]:
        hub = ChangeHub()
        first = TaskChangeEvent("a", "1", "CREATED", {"id": "a", "status": "ready"}, AT)
        second = TaskChangeEvent("a", "2", "UPDATED", {"id": "a", "status": "accepted"}, AT)
        told = TaskChangeEvent("a", "3", "DELETED", None, AT, previous={"id": "a", "told": True})
        async with hub.subscribe() as subscriber:
            for event in (first, second, told):
                hub.publish(event)
            return [e.previous for e in await _take(subscriber, 3)]

    assert asyncio.run(scenario()) == [
        None,
        {"id": "a", "status": "ready"},
        {"id": "a", "told": True},
    ]
