"""Which document a request runs, decided without HTTP: APQ, trusted documents, the LRU."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from gateway.errors import (
    BadUserInputError,
    GatewayError,
    PersistedQueryNotAllowedError,
    PersistedQueryNotFoundError,
    PersistedQueryNotSupportedError,
)
from gateway.http.document_store import MemoryDocumentStore
from gateway.http.persisted_queries import Document, PersistedQueries
from gateway.refusals import RequestRefused

SHIPPED = "query Shipped { __typename }"
AD_HOC = "query AdHoc { __typename }"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def hashed(document: str, **overrides: Any) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(document), **overrides}}


def queries(**options: Any) -> PersistedQueries:
    return PersistedQueries(store=MemoryDocumentStore(10), **options)


async def test_a_document_sent_with_its_hash_is_to_be_kept_then_served_by_hash() -> None:
    apq = queries()
    document = await apq.resolve(AD_HOC, hashed(AD_HOC), None)
    assert document == Document(AD_HOC, persisted=False, register=sha(AD_HOC))
    with pytest.raises(PersistedQueryNotFoundError):
        await apq.resolve(None, hashed(AD_HOC), None)
    await apq.store.put(sha(AD_HOC), AD_HOC)
    assert await apq.resolve(None, hashed(AD_HOC), None) == Document(AD_HOC, persisted=True)
    # Upper-case hex names the same document.
    upper = {"persistedQuery": {"version": 1, "sha256Hash": sha(AD_HOC).upper()}}
    assert (await apq.resolve(None, upper, None)).query == AD_HOC


@pytest.mark.parametrize(
    ("query", "extensions", "argument"),
    [
        (AD_HOC, hashed(SHIPPED), "extensions.persistedQuery.sha256Hash"),
        (None, hashed(AD_HOC, sha256Hash="abc"), "extensions.persistedQuery.sha256Hash"),
        (None, hashed(AD_HOC, sha256Hash=7), "extensions.persistedQuery.sha256Hash"),
        (None, hashed(AD_HOC, version=2), "extensions.persistedQuery.version"),
        (None, {"persistedQuery": "x"}, "extensions.persistedQuery"),
    ],
)
async def test_unusable_hashes_are_bad_user_input(
    query: str | None, extensions: dict[str, Any], argument: str
) -> None:
    with pytest.raises(BadUserInputError) as refused:
        await queries().resolve(query, extensions, None)
    assert refused.value.extensions == {"argument": argument}


async def test_apq_off() -> None:
    apq = queries(apq=False, trusted={sha(SHIPPED): SHIPPED})
    for query in (None, AD_HOC):
        with pytest.raises(PersistedQueryNotSupportedError):
            await apq.resolve(query, hashed(AD_HOC), None)
    assert await apq.resolve(AD_HOC, None, None) == Document(AD_HOC, persisted=False)
    # A trusted document is known without the cache.
    assert await apq.resolve(None, hashed(SHIPPED), None) == Document(SHIPPED, persisted=True)


async def test_document_ids() -> None:
    apq = queries(trusted={sha(SHIPPED): SHIPPED})
    for document_id in (sha(SHIPPED), f"sha256:{sha(SHIPPED)}", f"SHA256:{sha(SHIPPED).upper()}"):
        assert await apq.resolve(None, None, document_id) == Document(SHIPPED, persisted=True)
    with pytest.raises(PersistedQueryNotFoundError):
        await apq.resolve(None, None, sha(AD_HOC))
    for bad_id in ("sha1:abc", "Shipped", ""):
        with pytest.raises(BadUserInputError):
            await apq.resolve(None, None, bad_id)
    with pytest.raises(BadUserInputError):
        await apq.resolve(AD_HOC, None, sha(SHIPPED))


@pytest.mark.parametrize(
    ("query", "extensions", "document_id", "refusal"),
    [
        (AD_HOC, None, None, PersistedQueryNotAllowedError),
        (AD_HOC, hashed(AD_HOC), None, PersistedQueryNotAllowedError),
        (None, hashed(AD_HOC), None, PersistedQueryNotFoundError),
        (None, None, sha(AD_HOC), PersistedQueryNotFoundError),
    ],
)
async def test_trusted_only_runs_nothing_else(
    query: str | None,
    extensions: dict[str, Any] | None,
    document_id: str | None,
    refusal: type[GatewayError],
) -> None:
    apq = queries(trusted={sha(SHIPPED): SHIPPED}, trusted_only=True)
    await apq.store.put(sha(AD_HOC), AD_HOC)  # e.g. kept by a replica in another mode
    with pytest.raises(refusal):
        await apq.resolve(query, extensions, document_id)


async def test_trusted_only_runs_the_shipped_document_however_it_is_named() -> None:
    apq = queries(trusted={sha(SHIPPED): SHIPPED}, trusted_only=True)
    assert (await apq.resolve(SHIPPED, None, None)).query == SHIPPED
    assert (await apq.resolve(None, hashed(SHIPPED), None)).query == SHIPPED
    assert (await apq.resolve(None, None, sha(SHIPPED))).query == SHIPPED


async def test_no_document_at_all_is_a_bad_request() -> None:
    with pytest.raises(RequestRefused) as refused:
        await queries().resolve(None, {"other": 1}, None)
    assert refused.value.status == 400


async def test_the_memory_store_forgets_the_least_recently_used() -> None:
    store = MemoryDocumentStore(2)
    await store.put("a", "A")
    await store.put("b", "B")
    assert await store.get("a") == "A"  # now b is the least recently used
    await store.put("c", "C")
    assert len(store) == 2
    assert [await store.get(key) for key in "abc"] == ["A", None, "C"]


async def test_the_memory_store_is_bounded_by_text_as_well_as_by_count() -> None:
    store = MemoryDocumentStore(100, max_chars=10)
    await store.put("a", "aaaa")
    await store.put("b", "bbbb")
    await store.put("a", "aaaa")  # stored again: counted once, and now the most recent
    await store.put("c", "cccc")  # 12 characters in all: b, the least recently used, goes
    assert [await store.get(key) for key in "abc"] == ["aaaa", None, "cccc"]
    assert store.chars == 8
    await store.put("d", "d" * 11)  # longer than the whole budget: not kept, nothing evicted
    assert await store.get("d") is None
    assert len(store) == 2
