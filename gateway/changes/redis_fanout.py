"""Fan-out between replicas: changes made here go out on a Redis channel, and changes made on
other replicas come in from it and are published to this process's hub."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable

from redis.asyncio import Redis

from gateway.changes.events import TaskChangeEvent
from gateway.changes.hub import ChangeHub
from gateway.redis_connection import REDIS_ERRORS, reraise_cancellation

log = logging.getLogger("gateway.changes")

CHANNEL = "gateway:changes"
# Changes waiting to go out; past this (Redis slow or away) they are dropped and counted.
OUTBOX_SIZE = 1000
# How long one wait for a message lasts: the shared client's socket timeout is for commands.
RECEIVE_WAIT_S = 1.0
RETRY_FIRST_S = 0.1
RETRY_MAX_S = 2.0

# ("publish" or "receive") for each change or connection Redis failed.
FailureObserver = Callable[[str], None]


class RedisFanout:
    """Relays this process's changes to Redis and publishes the others' with ``relay=False``.

    Each message carries this process's random origin id, so its own come back to nobody.
    Pub/sub keeps nothing: a change made while Redis is away reaches this process's
    subscribers only. The receiver reconnects by itself, backing off to ``RETRY_MAX_S``.
    """

    def __init__(
        self,
        hub: ChangeHub,
        redis: Redis,
        *,
        channel: str = CHANNEL,
        on_failure: FailureObserver | None = None,
        on_reconnect: Callable[[], None] | None = None,
    ) -> None:
        self.origin = uuid.uuid4().hex
        self._hub = hub
        self._redis = redis
        self._channel = channel
        self._on_failure = on_failure
        self._on_reconnect = on_reconnect
        self._outbox: asyncio.Queue[str] = asyncio.Queue(OUTBOX_SIZE)
        self._down = False
        # Set while the receiver is subscribed (pub/sub delivers only to current subscribers).
        self.subscribed = asyncio.Event()
        hub.add_relay(self._relay)

    async def run(self) -> None:
        """Send and receive until cancelled."""
        # Two tasks and gather, not a TaskGroup: cancelling a TaskGroup can hang on Python 3.11.
        workers = [asyncio.create_task(self._send()), asyncio.create_task(self._receive())]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    def _relay(self, event: TaskChangeEvent) -> None:
        message = json.dumps({"origin": self.origin, "event": event.to_json()})
        try:
            self._outbox.put_nowait(message)
        except asyncio.QueueFull:
            self._count("publish")

    async def _send(self) -> None:
        while True:
            reraise_cancellation()
            message = await self._outbox.get()
            try:
                await self._redis.publish(self._channel, message)
            except REDIS_ERRORS:
                reraise_cancellation()
                # The receiver notices the outage too, and logs it once.
                self._count("publish")

    async def _receive(self) -> None:
        pause = RETRY_FIRST_S
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._connected()
                    pause = RETRY_FIRST_S
                    while True:
                        reraise_cancellation()
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=RECEIVE_WAIT_S
                        )
                        if message is not None and message.get("type") == "message":
                            self._deliver(message.get("data"))
            except REDIS_ERRORS:
                reraise_cancellation()
                self.subscribed.clear()
                if not self._down:
                    self._down = True
                    log.warning("Redis unreachable: changes reach this replica's subscribers only")
                self._count("receive")
                await asyncio.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_S)

    def _deliver(self, data: object) -> None:
        try:
            envelope = json.loads(data) if isinstance(data, str | bytes) else None
            if not isinstance(envelope, dict) or not isinstance(envelope.get("event"), str):
                raise ValueError("no event")
            if envelope.get("origin") == self.origin:
                return
            event = TaskChangeEvent.from_json(envelope["event"])
        except ValueError:
            # Never the message itself: it holds a Task.
            log.warning("ignored a message on the change channel that is no change event")
            return
        self._hub.publish(event, relay=False)

    def _connected(self) -> None:
        self.subscribed.set()
        if self._down:
            self._down = False
            log.info("Redis answers again: changes fan out to replicas")
            if self._on_reconnect is not None:
                self._on_reconnect()

    def _count(self, operation: str) -> None:
        if self._on_failure is not None:
            self._on_failure(operation)
