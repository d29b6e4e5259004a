"""The poller's windows and pages on a FHIR server whose stamps the test sets: equal stamps,
backlogs beyond one poll, history with deletes, and a server that fails for a while."""

from __future__ import annotations

import logging

import pytest

from gateway.changes import ChangeHub, ChangePoller, MemoryPositionStore, SoloLock, TaskChangeEvent
from gateway.changes.poll_position import PollPosition
from tests.changes.fake_history_server import FakeServer


class Watched:
    def __init__(self, server: FakeServer, *, history: bool) -> None:
        async def type_history() -> bool:
            return history

        self.hub = ChangeHub()
        self.published: list[TaskChangeEvent] = []
        self.hub.add_relay(self.published.append)
        self.poller = ChangePoller(
            self.hub,
            server.client(),
            type_history,
            MemoryPositionStore(),
            SoloLock(),
            interval=1.0,
        )

    def keys(self) -> list[tuple[str, str | None, str]]:
        return [e.key for e in self.published]


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


async def test_changes_before_the_poller_started_are_not_delivered(server: FakeServer) -> None:
    for n in range(3):
        server.write(f"old-{n}", seconds=n)
    watched = Watched(server, history=False)
    assert await watched.poller.poll_once() == "none"
    assert await watched.poller.poll_once() == "none"
    server.write("new", seconds=4)
    assert await watched.poller.poll_once() == "changes"
    assert watched.keys() == [("new", "1", "CREATED")]


async def test_many_tasks_sharing_one_stamp_are_each_delivered_once(server: FakeServer) -> None:
    watched = Watched(server, history=False)
    await watched.poller.poll_once()
    for n in range(150):  # more than one page, all stamped alike
        server.write(f"t{n:03}", seconds=10)
    assert await watched.poller.poll_once() == "changes"
    assert await watched.poller.poll_once() == "none"
    assert sorted(e.task_id for e in watched.published) == [f"t{n:03}" for n in range(150)]


async def test_a_backlog_beyond_one_poll_is_worked_through_without_repeats(
    server: FakeServer,
) -> None:
    watched = Watched(server, history=False)
    await watched.poller.poll_once()
    for n in range(1500):
        server.write(f"t{n:04}", seconds=10 + n / 100)
    server.requests.clear()
    assert await watched.poller.poll_once() == "capped"
    assert len(server.requests) == 10  # the cap: ten pages of a hundred
    assert await watched.poller.poll_once() == "changes"
    assert await watched.poller.poll_once() == "none"
    keys = watched.keys()
    assert len(keys) == len(set(keys)) == 1500
    assert [e.task_id for e in watched.published] == [f"t{n:04}" for n in range(1500)]


async def test_history_brings_every_version_and_deletes(server: FakeServer) -> None:
    watched = Watched(server, history=True)
    await watched.poller.poll_once()
    server.write("a", seconds=10)
    server.write("a", seconds=11)
    server.write("b", seconds=11)
    server.write("a", seconds=12, deleted=True)
    server.requests.clear()
    assert await watched.poller.poll_once() == "changes"
    assert await watched.poller.poll_once() == "none"
    assert watched.keys() == [
        ("a", "1", "CREATED"),
        ("a", "2", "UPDATED"),
        ("b", "1", "CREATED"),
        ("a", "3", "DELETED"),
    ]
    assert watched.published[-1].task is None
    assert all(url.path.endswith("/Task/_history") for url in server.requests)


async def test_versions_sharing_one_stamp_arrive_oldest_first_from_history(
    server: FakeServer,
) -> None:
    watched = Watched(server, history=True)
    await watched.poller.poll_once()
    for _ in range(3):
        server.write("quick", seconds=10)
    assert await watched.poller.poll_once() == "changes"
    assert [e.version_id for e in watched.published] == ["1", "2", "3"]


async def test_history_next_links_outside_the_base_are_read_by_search_instead(
    server: FakeServer,
) -> None:
    server.next_base = "https://proxy.example.net/fhir/"
    watched = Watched(server, history=True)
    await watched.poller.poll_once()
    for n in range(150):  # more than one history page
        server.write(f"t{n:03}", seconds=10 + n / 100)
    assert await watched.poller.poll_once() == "changes"
    assert [e.task_id for e in watched.published] == [f"t{n:03}" for n in range(150)]
    assert not any(url.host == "proxy.example.net" for url in server.requests)


async def test_a_history_backlog_beyond_one_poll_is_caught_up_by_search(
    server: FakeServer,
) -> None:
    watched = Watched(server, history=True)
    await watched.poller.poll_once()
    for n in range(1200):
        server.write(f"t{n:04}", seconds=10 + n / 100)
    assert await watched.poller.poll_once() == "capped"
    assert await watched.poller.poll_once() == "changes"
    assert await watched.poller.poll_once() == "none"
    assert [e.task_id for e in watched.published] == [f"t{n:04}" for n in range(1200)]


async def test_a_failing_server_skips_polls_and_loses_nothing(
    server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    watched = Watched(server, history=False)
    await watched.poller.poll_once()
    server.down = True
    server.write("during", seconds=10)
    with caplog.at_level(logging.INFO, logger="gateway"):
        assert await watched.poller.poll_once() == "unavailable"
    assert [r.getMessage() for r in caplog.records if r.name == "gateway.changes"] == [
        "change poll failed: unavailable"
    ]
    assert not any(
        "during" in r.getMessage() or "example.org" in r.getMessage() for r in caplog.records
    )
    server.down = False
    assert await watched.poller.poll_once() == "changes"
    assert watched.keys() == [("during", "1", "CREATED")]


class PositionsRedisBlinks(MemoryPositionStore):
    """A shared position whose next read times out, as a Redis socket timeout does."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_next_load = False

    async def load(self) -> PollPosition | None:
        if self.fail_next_load:
            self.fail_next_load = False
            raise TimeoutError("redis read timed out")
        return await super().load()


async def test_a_takeover_whose_position_read_fails_waits_rather_than_skipping(
    server: FakeServer,
) -> None:
    async def type_history() -> bool:
        return False

    positions = PositionsRedisBlinks()
    first = ChangePoller(
        ChangeHub(), server.client(), type_history, positions, SoloLock(), interval=1.0
    )
    await first.poll_once()
    server.write("seen", seconds=100)
    await first.poll_once()
    # The holder dies; changes are made before another replica takes over.
    server.write("missed-1", seconds=200)
    server.write("missed-2", seconds=201)
    hub = ChangeHub()
    published: list[TaskChangeEvent] = []
    hub.add_relay(published.append)
    positions.fail_next_load = True
    second = ChangePoller(hub, server.client(), type_history, positions, SoloLock(), interval=1.0)
    assert await second.poll_once() == "redis"
    assert await second.poll_once() == "none"  # the shared position, read this time
    assert await second.poll_once() == "changes"
    assert [e.task_id for e in published] == ["missed-1", "missed-2"]


class LockLostDuringRead:
    """Held for the first polls, then taken by another replica while a poll reads."""

    def __init__(self, answers: list[str]) -> None:
        self.answers = answers

    async def hold(self) -> str:
        return self.answers.pop(0)

    async def release(self) -> None:
        pass


async def test_a_poll_that_outlasts_its_lock_publishes_and_saves_nothing(
    server: FakeServer,
) -> None:
    async def type_history() -> bool:
        return False

    positions = MemoryPositionStore()
    hub = ChangeHub()
    published: list[TaskChangeEvent] = []
    hub.add_relay(published.append)
    lock = LockLostDuringRead(["gained", "kept", "standby"])
    poller = ChangePoller(hub, server.client(), type_history, positions, lock, interval=1.0)  # type: ignore[arg-type]
    await poller.poll_once()
    saved = await positions.load()
    server.write("read-too-late", seconds=10)
    assert await poller.poll_once() == "standby"
    assert published == []
    assert poller.state == "standby"
    assert await positions.load() == saved  # the replica that holds the lock now goes on from here
