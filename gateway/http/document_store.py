"""Where automatic persisted queries are kept: a small async interface, and a bounded LRU."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol


class DocumentStore(Protocol):
    """Documents by the hex SHA-256 of their text; a shared store (Redis) fits the same seam."""

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...


class MemoryDocumentStore:
    """One process's documents, at most ``max_size`` of them; the least recently used go first."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._documents: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._documents)

    async def get(self, sha256: str) -> str | None:
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    async def put(self, sha256: str, document: str) -> None:
        self._documents[sha256] = document
        self._documents.move_to_end(sha256)
        while len(self._documents) > self.max_size:
            self._documents.popitem(last=False)
