"""One listing read from several disjoint searches side by side, merged in the listing's order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from gateway.cursors import Cursor, CursorCodec
from gateway.fhir import Resource
from gateway.schema.paging import PageResult, SegmentedSearch

OrderKey = Callable[[Resource], Any]


class MergedSearch:
    """Reads ``first`` resources from searches whose matches never overlap, in ``order``.

    FHIR ANDs search parameters, so a listing that is a union ("licensed state OR no
    state OR no patient") is read as one search per alternative. Each is read from its
    own position, at most ``first`` matches, and the heads are merged. A cursor holds
    a position in every search (None once one is used up), so pages never repeat or skip
    as long as each search lists its matches in ``order``, which the searches' _sort says.
    """

    def __init__(
        self,
        cursors: CursorCodec,
        searches: list[SegmentedSearch],
        *,
        first: int,
        order: OrderKey,
    ) -> None:
        self._cursors = cursors
        self._searches = searches
        self._first = first
        self._order = order
        self._query = "\n".join(search.query for search in searches)

    async def read(self, after: str | None) -> PageResult:
        if after:
            positions: list[dict[str, Any] | None] = list(
                self._cursors.decode(after, query=self._query).get("m") or []
            )
        else:
            positions = [{"g": 0} for _ in self._searches]
        live = [index for index, position in enumerate(positions) if position is not None]
        pages = dict(
            zip(
                live,
                await asyncio.gather(
                    *(self._searches[i].read_at(positions[i] or {}) for i in live)
                ),
                strict=True,
            )
        )
        result = PageResult()
        for page in pages.values():
            result.included.extend(page.included)
            result.matched.extend(page.matched)
        result.walked = bool(pages) and all(page.walked for page in pages.values())
        totals = [page.total for page in pages.values()]
        if len(pages) == len(self._searches) and all(t is not None for t in totals):
            result.total = sum(t for t in totals if t is not None)
        heads = dict.fromkeys(live, 0)
        for index, page in pages.items():
            if not page.items and not page.has_next:
                positions[index] = None
        while len(result.items) < self._first:
            ready = [i for i in live if heads[i] < len(pages[i].items)]
            if any(heads[i] == len(pages[i].items) and pages[i].has_next for i in live):
                break  # a search's next match is not read yet; it may come first
            if not ready:
                break
            index = min(ready, key=lambda i: self._order(pages[i].items[heads[i]][0]))
            page = pages[index]
            resource, cursor = page.items[heads[index]]
            heads[index] += 1
            used_up = heads[index] == len(page.items) and not page.has_next
            positions[index] = None if used_up else cursor.position
            result.items.append((resource, self._cursor(positions)))
        result.has_next = any(heads[i] < len(pages[i].items) or pages[i].has_next for i in live)
        return result

    def _cursor(self, positions: list[dict[str, Any] | None]) -> Cursor:
        return self._cursors.later({"m": list(positions)}, query=self._query)
