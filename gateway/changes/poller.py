"""The change poller: reads Task changes other systems made on an external FHIR server into
the hub, on the one replica that holds the poller lock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Literal

from gateway.changes.fhir_reader import OVERLAP, newest, read_changes
from gateway.changes.hub import ChangeHub
from gateway.changes.poll_position import PollPosition, PositionStore
from gateway.changes.poller_lock import Holding, PollerLock
from gateway.fhir import FhirClient, FhirError
from gateway.redis_connection import REDIS_ERRORS, reraise_cancellation

log = logging.getLogger("gateway.changes")

PollerState = Literal["starting", "active", "standby"]
# (outcome) of each poll: "changes", "none", "capped", "standby", "redis" or a FhirError kind.
PollObserver = Callable[[str], None]


class ChangePoller:
    """Every ``interval`` seconds: hold the lock, read what changed since the position,
    publish the versions not seen before, save the position.

    The position is read from the shared store when this replica gains the lock, then kept
    in memory while it holds it. A Redis outage leaves the holder polling from its own copy
    (it cannot hand over meanwhile) and the others on standby. FHIR failures skip one poll.
    """

    def __init__(
        self,
        hub: ChangeHub,
        fhir: FhirClient,
        type_history: Callable[[], Awaitable[bool]],
        positions: PositionStore,
        lock: PollerLock,
        *,
        interval: float,
        observe: PollObserver | None = None,
    ) -> None:
        self._hub = hub
        self._fhir = fhir
        self._type_history = type_history
        self._positions = positions
        self._lock = lock
        self._interval = interval
        self._observe = observe
        self._position: PollPosition | None = None
        self._redis_down = False
        self.state: PollerState = "starting"

    async def run(self) -> None:
        """Poll until cancelled; the lock is given back on the way out."""
        try:
            while True:
                reraise_cancellation()
                try:
                    outcome = await self.poll_once()
                except Exception as exc:  # a bug in one poll must not end live updates for good
                    reraise_cancellation()
                    log.error("change poll failed unexpectedly: %s", type(exc).__name__)
                    outcome = "error"
                self._count(outcome)
                await asyncio.sleep(self._interval)
        finally:
            await asyncio.shield(self._release())

    async def poll_once(self) -> str:
        """One round; its outcome (for /metrics)."""
        holding = await self._hold()
        if holding is None:
            return "redis"
        if holding == "standby":
            return self._stand_by()
        try:
            if holding == "gained" or self._position is None:
                self._position = await self._start_position()
                if self._position is None:
                    return "redis"
                self.state = "active"
                return "none"
            return await self._poll(self._position)
        except FhirError as exc:
            reraise_cancellation()  # a timeout that was a cancellation
            log.warning("change poll failed: %s", exc.kind)
            return exc.kind

    async def _poll(self, position: PollPosition) -> str:
        reading = await read_changes(self._fhir, position, history=await self._type_history())
        # A slow read (up to its page cap) can outlast the lock: publish and save only while
        # still holding it, else another replica polls meanwhile from the shared position.
        still = await self._hold()
        if still == "standby":
            return self._stand_by()
        if still != "kept":  # lost and gained again: the shared position first, next poll
            self._position = None
            return "none"
        published = 0
        for observed in reading.observed:
            if position.admit(observed):
                published += self._hub.publish(observed.event)
        position.behind = not reading.complete
        position.forget_before(OVERLAP)
        await self._save(position)
        if not reading.complete:
            log.info("change poll stopped at its page cap: the next poll goes on from there")
            return "capped"
        return "changes" if published else "none"

    async def _hold(self) -> Holding | None:
        """The lock's answer. While Redis is away nobody can take over, so an active poller
        keeps polling from its own position and any other waits (None)."""
        try:
            holding = await self._lock.hold()
        except REDIS_ERRORS:
            reraise_cancellation()
            self._note_redis_down()
            return "kept" if self.state == "active" else None
        self._note_redis_back()
        return holding

    def _stand_by(self) -> str:
        self.state, self._position = "standby", None
        return "standby"

    async def _start_position(self) -> PollPosition | None:
        """The shared position; None when Redis could not say (the next poll asks again:
        starting from now would skip what changed since the last holder's position)."""
        try:
            stored = await self._positions.load()
        except REDIS_ERRORS:
            reraise_cancellation()
            self._note_redis_down()
            return None
        if stored is not None:
            return stored
        # No position anywhere: changes are what happens from now on, so the newest Task and
        # the window before it are taken as seen, without publishing them.
        position = PollPosition()
        latest = await newest(self._fhir)
        if latest is not None:
            position.admit(latest)
            reading = await read_changes(self._fhir, position, history=False)
            for observed in reading.observed:
                position.admit(observed)
            position.forget_before(OVERLAP)
        await self._save(position)
        return position

    async def _save(self, position: PollPosition) -> None:
        try:
            await self._positions.save(position)
        except REDIS_ERRORS:
            reraise_cancellation()
            self._note_redis_down()

    async def _release(self) -> None:
        # When Redis is away the key expires by itself.
        with contextlib.suppress(*REDIS_ERRORS):
            await self._lock.release()

    def _note_redis_down(self) -> None:
        if not self._redis_down:
            self._redis_down = True
            log.warning("Redis unreachable: the change poller cannot coordinate with replicas")

    def _note_redis_back(self) -> None:
        if self._redis_down:
            self._redis_down = False
            log.info("Redis answers again: the change poller coordinates with replicas")

    def _count(self, outcome: str) -> None:
        if self._observe is not None:
            self._observe(outcome)
