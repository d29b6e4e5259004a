"""Persisted queries in Redis, so every replica serves a hash that any one of them registered."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

from gateway.http.document_store import MemoryDocumentStore
from gateway.redis_connection import REDIS_ERRORS

log = logging.getLogger("gateway.http.apq")

KEY_PREFIX = "gateway:apq:"
# Each read renews the expiry: documents clients still send stay, abandoned ones leave Redis.
TTL_SECONDS = 7 * 24 * 3600


class _Unavailable(Exception):
    """Redis did not answer; the caller uses this process's memory instead."""


class RedisDocumentStore:
    """Documents in Redis under ``gateway:apq:<sha256>`` with a TTL; each one is also kept in
    this process's LRU, which answers alone while Redis is down (``on_fallback`` counts that)."""

    def __init__(
        self,
        client: Redis,
        local: MemoryDocumentStore,
        *,
        on_fallback: Callable[[str], None],
        ttl_seconds: int = TTL_SECONDS,
    ) -> None:
        self._client = client
        self._local = local
        self._on_fallback = on_fallback
        self.ttl_seconds = ttl_seconds
        self._up = True

    async def get(self, sha256: str) -> str | None:
        key = KEY_PREFIX + sha256
        try:
            document = await self._shared(
                "get", lambda: self._client.getex(key, ex=self.ttl_seconds)
            )
        except _Unavailable:
            return await self._local.get(sha256)
        if isinstance(document, str):
            return document
        # Registered here while Redis was down: still this replica's to serve.
        return await self._local.get(sha256)

    async def put(self, sha256: str, document: str) -> None:
        await self._local.put(sha256, document)
        key = KEY_PREFIX + sha256
        with contextlib.suppress(_Unavailable):
            await self._shared("put", lambda: self._client.set(key, document, ex=self.ttl_seconds))

    async def _shared(self, operation: str, call: Callable[[], Awaitable[Any]]) -> Any:
        try:
            result = await call()
        except REDIS_ERRORS as exc:
            if self._up:
                # Once per outage, and only the error's type: never a document, hash or URL.
                log.warning(
                    "Redis failed (%s): persisted queries use this process's memory",
                    type(exc).__name__,
                )
                self._up = False
            self._on_fallback(operation)
            raise _Unavailable from exc
        if not self._up:
            log.info("Redis answers again: persisted queries are shared")
            self._up = True
        return result
