"""Persisted queries shared through a real Redis: replicas serve each other's hashes, and a
Redis outage leaves each gateway serving from its own memory, still ready."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from redis.asyncio import Redis

from gateway.http.document_store import MemoryDocumentStore
from gateway.http.redis_document_store import TTL_SECONDS, RedisDocumentStore
from gateway.redis_connection import connect
from tests.redis_server import RedisServer
from tests.serve import gateway_process

TASKS = "query Tasks { tasks(first: 5) { totalCount } }"
TOTAL = "query Total { tasks { totalCount } }"
NO_TASKS = {"tasks": {"totalCount": 0}}


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def apq(document: str, *, send_document: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}
    }
    if send_document:
        body["query"] = document
    return body


def by_hash_over_get(url: str, document: str) -> httpx2.Response:
    extensions = json.dumps(apq(document, send_document=False)["extensions"])
    return httpx2.get(f"{url}/graphql", params={"extensions": extensions}, timeout=10.0)


def post(url: str, body: dict[str, Any]) -> httpx2.Response:
    return httpx2.post(f"{url}/graphql", json=body, timeout=10.0)


def fallbacks(url: str) -> dict[str, float]:
    """gateway_redis_fallbacks_total for APQ on one gateway, by operation."""
    counts = {}
    for line in httpx2.get(f"{url}/metrics", timeout=10.0).text.splitlines():
        if line.startswith('gateway_redis_fallbacks_total{feature="apq"'):
            labels, value = line.rsplit(" ", 1)
            counts[labels.split('operation="')[1].split('"')[0]] = float(value)
    return counts


def test_replicas_share_persisted_queries_and_outlive_a_redis_outage(
    redis_server: RedisServer,
) -> None:
    settings = {"GATEWAY_REDIS_URL": redis_server.url}
    with gateway_process(settings) as first, gateway_process(settings) as second:
        unknown = post(second, apq(TASKS, send_document=False)).json()
        assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

        registered = post(first, apq(TASKS, send_document=True))
        assert (registered.status_code, registered.json()) == (200, {"data": NO_TASKS})
        served = by_hash_over_get(second, TASKS)
        assert (served.status_code, served.json()) == (200, {"data": NO_TASKS})
        with redis_server.client() as client:
            assert client.get(f"gateway:apq:{sha256(TASKS)}") == TASKS
            assert 0 < client.ttl(f"gateway:apq:{sha256(TASKS)}") <= TTL_SECONDS
        for url in (first, second):
            ready = httpx2.get(f"{url}/readyz", timeout=10.0)
            assert (ready.status_code, ready.json()) == (200, {"status": "ready", "redis": "up"})

        redis_server.stop()

        ready = httpx2.get(f"{second}/readyz", timeout=10.0)
        assert (ready.status_code, ready.json()) == (200, {"status": "ready", "redis": "down"})
        # Each process keeps serving what it registered or was served itself...
        assert by_hash_over_get(first, TASKS).json() == {"data": NO_TASKS}
        # ...and registers new documents in its own memory.
        assert post(second, apq(TOTAL, send_document=True)).json() == {"data": NO_TASKS}
        assert by_hash_over_get(second, TOTAL).json() == {"data": NO_TASKS}
        assert fallbacks(second) == {"put": 1.0, "get": 1.0}
        assert fallbacks(first) == {"get": 1.0}


@pytest.fixture
async def shared(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = connect(redis_server.url)
    yield client
    await client.aclose()


def _replica(shared: Redis, fallen_back: list[str]) -> RedisDocumentStore:
    """What one gateway process holds: the shared client and a memory of its own."""
    return RedisDocumentStore(shared, MemoryDocumentStore(10), on_fallback=fallen_back.append)


async def test_an_outage_is_logged_once_without_the_document_and_redis_is_used_again(
    redis_server: RedisServer, shared: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    fallen_back: list[str] = []
    store = _replica(shared, fallen_back)
    redis_server.stop()
    with caplog.at_level(logging.INFO, logger="gateway.http.apq"):
        await store.put(sha256(TASKS), TASKS)
        assert await store.get(sha256(TASKS)) == TASKS
        assert fallen_back == ["put", "get"]
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert TASKS not in warnings[0] and sha256(TASKS) not in warnings[0]
        assert "127.0.0.1" not in warnings[0]

        redis_server.start()
        await store.put(sha256(TOTAL), TOTAL)
    assert fallen_back == ["put", "get"]
    assert caplog.records[-1].getMessage() == "Redis answers again: persisted queries are shared"
    other_replica = _replica(shared, fallen_back)
    assert await other_replica.get(sha256(TOTAL)) == TOTAL
    assert await other_replica.get(sha256(TASKS)) is None  # registered during the outage
