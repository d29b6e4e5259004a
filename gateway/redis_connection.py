"""The Redis connection (GATEWAY_REDIS_URL) that features sharing state across replicas use."""

from __future__ import annotations

import asyncio
from typing import Literal

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

# Redis sits on the request path: a slow or absent server must cost a request little, and every
# feature has a fallback of its own, so one short try and no retries.
REDIS_TIMEOUT_SECONDS = 0.25
REDIS_ERRORS = (RedisError, OSError, TimeoutError)


def connect(url: str) -> Redis:
    """A client for ``url``; it opens connections lazily, so a down server does not stop startup."""
    return Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


async def redis_state(client: Redis) -> Literal["up", "down"]:
    """What /readyz reports: whether Redis answers a PING now."""
    try:
        await client.ping()
    except REDIS_ERRORS:
        return "down"
    return "up"


def reraise_cancellation() -> None:
    """Raise CancelledError when the current task was asked to stop.

    For loops that catch REDIS_ERRORS and go on: a cancellation that reaches redis-py inside
    a command can come out as a TimeoutError or not at all (seen on Python 3.11 with
    PUBLISH), and the loop would outlive its cancellation, hanging whoever awaits its end.
    Such loops call this after each Redis command they survive.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
