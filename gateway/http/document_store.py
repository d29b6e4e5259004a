"""Where automatic persisted queries are kept: a small async interface, and a bounded LRU."""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from gateway.limits import MAX_APQ_MEMORY_CHARS


class DocumentStore(Protocol):
    """Documents by the hex SHA-256 of their text; a shared store (Redis) fits the same seam."""

    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, document: str) -> None: ...


class MemoryDocumentStore:
    """One process's documents, at most ``max_size`` of them and ``max_chars`` of text in all.

    The least recently used go first. Both bounds hold because a document may be as long as a
    request body allows: a count alone would let large documents grow memory without bound.
    """

    def __init__(self, max_size: int, max_chars: int = MAX_APQ_MEMORY_CHARS) -> None:
        self.max_size = max_size
        self.max_chars = max_chars
        self._documents: OrderedDict[str, str] = OrderedDict()
        self._chars = 0

    def __len__(self) -> int:
        return len(self._documents)

    async def get(self, sha256: str) -> str | None:
        document = self._documents.get(sha256)
        if document is not None:
            self._documents.move_to_end(sha256)
        return document

    @property
    def chars(self) -> int:
        """Characters of document text kept now."""
        return self._chars

    async def put(self, sha256: str, document: str) -> None:
        if len(document) > self.max_chars:
            return
        previous = self._documents.pop(sha256, None)
        if previous is not None:
            self._chars -= len(previous)
        self._documents[sha256] = document
        self._chars += len(document)
        while len(self._documents) > self.max_size or self._chars > self.max_chars:
            _, evicted = self._documents.popitem(last=False)
            self._chars -= len(evicted)
