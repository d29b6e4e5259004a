"""Two replicas' hubs share a real Redis: each sees the other's changes once, its own never
back, and a Redis restart costs only the changes made while it was away."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest

from gateway.changes import ChangeHub, RedisFanout, TaskChangeEvent
from gateway.changes.redis_fanout import CHANNEL
from gateway.metrics import Metrics
from gateway.redis_connection import connect
from tests.changes.listening import event, eventually, hub_without_memory, next_event
from tests.redis_server import RedisServer


class Replica:
    """What one gateway process holds for live updates: a hub, its fan-out, its metrics."""

    def __init__(self, fanout: RedisFanout, hub: ChangeHub, metrics: Metrics) -> None:
        self.fanout, self.hub, self.metrics = fanout, hub, metrics
        self.relayed: list[TaskChangeEvent] = []
        hub.add_relay(self.relayed.append)

    def metric(self, name: str, **labels: str) -> float:
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


@contextlib.asynccontextmanager
async def replica(redis_url: str, hub: ChangeHub) -> AsyncIterator[Replica]:
    client, metrics = connect(redis_url), Metrics()
    fanout = RedisFanout(
        hub,
        client,
        on_failure=metrics.count_fanout_failure,
        on_reconnect=metrics.count_fanout_reconnect,
    )
    running = asyncio.create_task(fanout.run())
    try:
        await eventually(fanout.subscribed.is_set)
        yield Replica(fanout, hub, metrics)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await client.aclose()


@pytest.fixture
async def pair(redis_server: RedisServer) -> AsyncIterator[tuple[Replica, Replica]]:
    # Hubs that drop no duplicates: a change delivered twice would show twice.
    async with (
        replica(redis_server.url, hub_without_memory()) as first,
        replica(redis_server.url, hub_without_memory()) as second,
    ):
        yield first, second


async def test_a_change_on_one_replica_reaches_the_other_once_and_not_back(
    pair: tuple[Replica, Replica],
) -> None:
    first, second = pair
    async with first.hub.subscribe() as on_first, second.hub.subscribe() as on_second:
        first.hub.publish(event("t1", "3"))
        assert (await next_event(on_first)).key == ("t1", "3", "UPDATED")
        arrived = await next_event(on_second)
        assert arrived.key == ("t1", "3", "UPDATED")
        assert arrived.task == {"resourceType": "Task", "id": "t1", "meta": {"versionId": "3"}}

        # Redis delivers in publish order: had the first replica taken its own change back,
        # it would come before this one.
        second.hub.publish(event("marker"))
        assert (await next_event(on_first)).task_id == "marker"
        assert (await next_event(on_second)).task_id == "marker"
    # Changes that came from another replica are not passed on again.
    assert [e.task_id for e in first.relayed] == ["t1"]
    assert [e.task_id for e in second.relayed] == ["marker"]


async def test_a_redis_restart_keeps_local_changes_flowing_and_fan_out_resumes(
    redis_server: RedisServer, pair: tuple[Replica, Replica]
) -> None:
    first, second = pair
    async with first.hub.subscribe() as on_first, second.hub.subscribe() as on_second:
        redis_server.stop()
        await eventually(lambda: not first.fanout.subscribed.is_set())
        first.hub.publish(event("during-outage"))
        assert (await next_event(on_first)).task_id == "during-outage"
        await eventually(
            lambda: first.metric("gateway_changes_fanout_failures_total", operation="publish") == 1
        )
        assert first.metric("gateway_changes_fanout_failures_total", operation="receive") >= 1

        redis_server.start()
        await eventually(
            lambda: first.fanout.subscribed.is_set() and second.fanout.subscribed.is_set()
        )
        assert first.metric("gateway_changes_fanout_reconnects_total") == 1
        first.hub.publish(event("after-outage"))
        # The change made during the outage never reached the other replica: pub/sub keeps
        # nothing. The one after it does.
        assert (await next_event(on_second)).task_id == "after-outage"
        assert (await next_event(on_first)).task_id == "after-outage"


async def test_a_message_that_is_no_change_event_is_ignored(
    redis_server: RedisServer, pair: tuple[Replica, Replica], caplog: pytest.LogCaptureFixture
) -> None:
    first, _ = pair
    async with first.hub.subscribe() as on_first:
        with redis_server.client() as client:
            not_an_event = json.dumps({"patient": "Jo"})
            client.publish(CHANNEL, json.dumps({"origin": "x", "event": not_an_event}))
            client.publish(CHANNEL, "not json")
            client.publish(CHANNEL, json.dumps({"origin": "x", "event": event("t2").to_json()}))
        assert (await next_event(on_first)).task_id == "t2"
    warnings = [r.getMessage() for r in caplog.records if r.name == "gateway.changes"]
    # Two messages ignored by each of the two replicas, neither quoted.
    assert len(warnings) == 4 and not any("Jo" in w or "not json" in w for w in warnings)
