"""The poller lock: one replica polls the FHIR server; it renews a Redis key with a TTL."""

from __future__ import annotations

import contextlib
from typing import Literal, Protocol

from redis.asyncio import Redis
from redis.exceptions import LockNotOwnedError

LOCK_KEY = "gateway:changes:poller-lock"
# "gained": this replica polls from now on (and reads the shared position first); "kept": it
# polled before and still does; "standby": another replica holds the lock.
Holding = Literal["gained", "kept", "standby"]


def lock_ttl(poll_interval: float) -> float:
    """Seconds a holder that stopped renewing keeps the lock: a few polls, at least 5 s."""
    return max(5.0, 3 * poll_interval)


class PollerLock(Protocol):
    async def hold(self) -> Holding: ...

    async def release(self) -> None: ...


class SoloLock:
    """No Redis: this process is the only poller."""

    def __init__(self) -> None:
        self._held = False

    async def hold(self) -> Holding:
        held, self._held = self._held, True
        return "kept" if held else "gained"

    async def release(self) -> None:
        self._held = False


class RedisPollerLock:
    """A Redis key with a TTL; the holder renews it on every poll, and when the holder dies
    the key expires and the next replica to try takes it.

    Redis errors propagate: the poller decides what an outage means.
    """

    def __init__(self, redis: Redis, ttl: float, key: str = LOCK_KEY) -> None:
        # thread_local=False: the token belongs to this object, whichever task renews it.
        self._lock = redis.lock(key, timeout=ttl, blocking=False, thread_local=False)
        self._held = False

    async def hold(self) -> Holding:
        if self._held:
            try:
                await self._lock.reacquire()
                return "kept"
            except LockNotOwnedError:
                # It expired while this replica was slow: another may have polled since.
                self._held = False
        self._held = bool(await self._lock.acquire(blocking=False))
        return "gained" if self._held else "standby"

    async def release(self) -> None:
        if not self._held:
            return
        self._held = False
        # Already expired: nothing to give back.
        with contextlib.suppress(LockNotOwnedError):
            await self._lock.release()
