"""The change hub: sources publish Task changes, each subscriber reads a bounded buffer."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from types import TracebackType
from typing import Any

from gateway.changes.events import TaskChangeEvent

Relay = Callable[[TaskChangeEvent], None]


class SubscriberFellBehind(Exception):
    """The subscriber's buffer filled up: closed instead of growing memory (WebSocket 1013)."""


class Subscriber:
    """One subscriber's buffer; iterate it with ``async for`` inside ``async with``."""

    def __init__(self, hub: ChangeHub, buffer: int) -> None:
        self._hub = hub
        self._queue: asyncio.Queue[TaskChangeEvent | None] = asyncio.Queue(buffer)
        self.fell_behind = False

    def offer(self, event: TaskChangeEvent) -> None:
        if self.fell_behind:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.fell_behind = True
            # Make room for the end marker so the reader wakes up and raises.
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(None)

    async def __aenter__(self) -> Subscriber:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._hub.unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[TaskChangeEvent]:
        return self

    async def __anext__(self) -> TaskChangeEvent:
        event = await self._queue.get()
        if event is None:
            raise SubscriberFellBehind
        return event


class ChangeHub:
    """Delivers each change once to every current subscriber of this process.

    Sources (the embedded store's change feed, the external-server poller, the Redis fan-out) call
    ``publish``. A change seen again (same Task, version and kind) within the last ``remember``
    changes is dropped, so two sources reporting one version deliver it once. Relays (the Redis
    fan-out) receive the changes that originate in this process, to pass them on to replicas.
    An event that comes without its previous version gets the last one this hub saw of that Task
    (the newest ``remember`` Tasks are kept), so subscribers can tell what a change left behind.
    """

    def __init__(self, *, buffer: int = 256, remember: int = 10_000) -> None:
        self._buffer = buffer
        self._remember = remember
        self._seen: OrderedDict[tuple[str, str | None, str], None] = OrderedDict()
        self._latest: OrderedDict[str, dict[str, Any] | None] = OrderedDict()
        self._subscribers: set[Subscriber] = set()
        self._relays: list[Relay] = []

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def add_relay(self, relay: Relay) -> None:
        self._relays.append(relay)

    def subscribe(self) -> Subscriber:
        subscriber = Subscriber(self, self._buffer)
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def publish(self, event: TaskChangeEvent, *, relay: bool = True) -> bool:
        """Hand ``event`` to every subscriber; False when it was a duplicate and dropped.

        ``relay=False`` for changes that came from another replica (they are not passed on again).
        """
        if event.key in self._seen:
            self._seen.move_to_end(event.key)
            return False
        self._seen[event.key] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        event = self._with_previous(event)
        for subscriber in list(self._subscribers):
            subscriber.offer(event)
        if relay:
            for hand_on in self._relays:
                hand_on(event)
        return True

    def _with_previous(self, event: TaskChangeEvent) -> TaskChangeEvent:
        known = self._latest.pop(event.task_id, None)
        self._latest[event.task_id] = event.task
        if len(self._latest) > self._remember:
            self._latest.popitem(last=False)
        if event.previous is not None or event.kind == "CREATED" or known is None:
            return event
        return dataclasses.replace(event, previous=known)
