"""Which document a request runs: its own, one registered by hash (Apollo's automatic persisted
queries), or a trusted one by id; and whether it may run at all (trusted-documents-only mode)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from gateway.config import Settings
from gateway.errors import (
    BadUserInputError,
    PersistedQueryNotAllowedError,
    PersistedQueryNotFoundError,
    PersistedQueryNotSupportedError,
)
from gateway.http.document_store import DocumentStore, MemoryDocumentStore
from gateway.http.redis_document_store import RedisDocumentStore
from gateway.http.trusted_documents import SHA256_HEX, load_manifest, sha256_hex
from gateway.refusals import RequestRefused

HASH_ARGUMENT = "extensions.persistedQuery.sha256Hash"


@dataclass(frozen=True)
class Document:
    """The text to run; ``persisted`` when the request named it by hash or id instead of
    sending it, and ``register`` the hash under which to keep it once it proves valid."""

    query: str
    persisted: bool
    register: str | None = None


class PersistedQueries:
    """Resolves documents; refusals are GatewayErrors (GraphQL errors) or RequestRefused."""

    def __init__(
        self,
        *,
        store: DocumentStore,
        apq: bool = True,
        trusted: Mapping[str, str] | None = None,
        trusted_only: bool = False,
    ) -> None:
        self.store = store
        self.apq = apq
        self.trusted = dict(trusted or {})
        self.trusted_only = trusted_only

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        redis: Redis | None = None,
        on_redis_fallback: Callable[[str], None] = lambda operation: None,
    ) -> PersistedQueries:
        """APQ documents go to ``redis`` when there is one, shared by replicas; to a bounded
        LRU in this process otherwise, and while Redis does not answer."""
        trusted = load_manifest(settings.trusted_documents) if settings.trusted_documents else {}
        local = MemoryDocumentStore(settings.apq_cache_size)
        store: DocumentStore = local
        if redis is not None:
            store = RedisDocumentStore(redis, local, on_fallback=on_redis_fallback)
        return cls(
            store=store,
            apq=settings.apq,
            trusted=trusted,
            trusted_only=settings.trusted_documents_only,
        )

    async def resolve(
        self, query: str | None, extensions: Mapping[str, Any] | None, document_id: str | None
    ) -> Document:
        if document_id is not None:
            return self._by_id(query, document_id)
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is not None:
            return await self._by_hash(query, _sha256_of(persisted))
        if query is None:
            raise RequestRefused("The request has no query (nor a persisted query's hash)")
        if self.trusted_only and sha256_hex(query) not in self.trusted:
            raise PersistedQueryNotAllowedError()
        return Document(query, persisted=False)

    def _by_id(self, query: str | None, document_id: str) -> Document:
        sha256 = document_id.lower().removeprefix("sha256:")
        if not SHA256_HEX.fullmatch(sha256):
            raise BadUserInputError(
                "documentId must be sha256:<64 hex digits>", argument="documentId"
            )
        if query is not None and sha256_hex(query) != sha256:
            raise BadUserInputError(
                "documentId is not the SHA-256 of the query", argument="documentId"
            )
        document = self.trusted.get(sha256)
        if document is None:
            raise PersistedQueryNotFoundError("No trusted document has this documentId")
        return Document(document, persisted=query is None)

    async def _by_hash(self, query: str | None, sha256: str) -> Document:
        if query is not None and sha256_hex(query) != sha256:
            raise BadUserInputError(
                "The persisted query's sha256Hash is not the SHA-256 of the query",
                argument=HASH_ARGUMENT,
            )
        trusted = self.trusted.get(sha256)
        if trusted is not None:
            return Document(trusted, persisted=query is None)
        if self.trusted_only:
            if query is None:
                raise PersistedQueryNotFoundError()
            raise PersistedQueryNotAllowedError()
        if not self.apq:
            raise PersistedQueryNotSupportedError()
        if query is not None:
            return Document(query, persisted=False, register=sha256)
        stored = await self.store.get(sha256)
        if stored is None:
            raise PersistedQueryNotFoundError()
        return Document(stored, persisted=True)


def _sha256_of(persisted: object) -> str:
    """The hash of ``extensions.persistedQuery`` (Apollo's protocol, version 1)."""
    if not isinstance(persisted, Mapping):
        raise BadUserInputError(
            "persistedQuery must be an object", argument="extensions.persistedQuery"
        )
    if persisted.get("version", 1) != 1:
        raise BadUserInputError(
            "Only version 1 of persisted queries is supported",
            argument="extensions.persistedQuery.version",
        )
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not SHA256_HEX.fullmatch(sha256.lower()):
        raise BadUserInputError("sha256Hash must be 64 hex digits", argument=HASH_ARGUMENT)
    return sha256.lower()
