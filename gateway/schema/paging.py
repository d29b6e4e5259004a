"""Cursor paging over FHIR searches, with next links or with _offset, across ordered segments.

A listing is one or more segments (FHIR searches) read in order; the queue uses several
when the server cannot sort by priority as the contract needs. A cursor names a segment
and a place in it: for servers that give ``next`` links, the page URL (None = the first
page) and how many of its matches come before; for servers without links, an offset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from gateway.cursors import Cursor, CursorCodec
from gateway.errors import BadUserInputError
from gateway.fhir import FhirClient, FhirRequestError, IncludeRefusedError, Resource, SearchPage
from gateway.limits import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

Params = list[tuple[str, str]]


@dataclass
class PageResult:
    """Up to ``first`` resources, each with the cursor that resumes after it."""

    items: list[tuple[Resource, Cursor]] = field(default_factory=list)
    has_next: bool = False
    total: int | None = None
    included: list[Resource] = field(default_factory=list)
    # Where the next page starts when items were left out after reading: the last item read.
    resume: Cursor | None = None
    # Every search of the read carried the tree walk, and no server cut it short.
    walked: bool = False
    # Every match read, shown or not (one past the page, an anchor's window): a server
    # includes none of them again, so a walk's tree is these and ``included``.
    matched: list[Resource] = field(default_factory=list)


def check_first(first: int | None) -> int:
    """The page size; null means the default."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInputError(f"first must be between 1 and {MAX_PAGE_SIZE}", argument="first")
    return first


class SegmentedSearch:
    """Reads ``first`` Tasks from ordered segments, starting at a cursor."""

    def __init__(
        self,
        fhir: FhirClient,
        cursors: CursorCodec,
        segments: list[Params],
        *,
        first: int,
        links: bool,
        want_total: bool,
        includes: Params | None = None,
        walk: Params | None = None,
        on_include_refused: Callable[[], None] | None = None,
    ) -> None:
        self._fhir = fhir
        self._cursors = cursors
        self._segments = segments
        # Includes change what comes along, not which Tasks: a cursor outlives them.
        self._includes = includes or []
        # In place of the includes while the server takes it (gateway/schema/query_plan.py).
        self._walk = walk
        self._on_include_refused = on_include_refused
        self._first = first
        self._links = links
        self._want_total = want_total and len(segments) == 1
        self._query = urlencode([("first", str(first))] + [p for s in segments for p in s])

    @property
    def query(self) -> str:
        """What a cursor of this listing is bound to."""
        return self._query

    def _cursor(self, segment: int, **position: Any) -> Cursor:
        return self._cursors.later({"g": segment, **position}, query=self._query)

    async def read(self, after: str | None) -> PageResult:
        return await self.read_at(
            self._cursors.decode(after, query=self._query) if after else {"g": 0}
        )

    async def read_at(self, position: dict[str, Any]) -> PageResult:
        """The page that starts at a cursor's position (``{"g": 0}``: the beginning)."""
        segment = int(position.get("g", 0))
        result = PageResult()
        while segment < len(self._segments) and len(result.items) < self._first:
            if self._links:
                done = await self._read_links(segment, position, result)
            else:
                done = await self._read_offset(segment, position, result)
            if not done:
                result.walked = self._walk is not None
                return result
            segment, position = segment + 1, {"g": segment + 1}
        result.walked = self._walk is not None
        # A page that ends exactly where a segment ends: more only if a later one has any.
        if not result.has_next and len(result.items) == self._first:
            result.has_next = await self._any_after(segment)
        return result

    async def _any_after(self, segment: int) -> bool:
        for later in range(segment, len(self._segments)):
            page = await self._fhir.search("Task", [*self._segments[later], ("_count", "1")])
            if page.matches:
                return True
        return False

    async def _search(self, segment: int, extra: Params) -> SearchPage:
        params = [*self._segments[segment], *extra]
        if self._want_total:
            params.append(("_total", "accurate"))
        if self._walk is not None:
            try:
                return self._walked(await self._fhir.search("Task", [*params, *self._walk]))
            except FhirRequestError:
                # Refused (a server's bound on iterating, or no :iterate at all): the same
                # search without the walk; the loaders read the subtasks level by level.
                self._walk = None
        if not self._includes:
            return await self._fhir.search("Task", params)
        try:
            return await self._fhir.search("Task", [*params, *self._includes])
        except IncludeRefusedError:
            # The server does not do _include after all: the loaders batch per type instead.
            # Any other refusal is an error of its own and goes to the client.
            self._includes = []
            if self._on_include_refused is not None:
                self._on_include_refused()
            return await self._fhir.search("Task", params)

    async def _read_links(self, segment: int, position: dict[str, Any], result: PageResult) -> bool:
        """Fill ``result`` from one segment; True when the segment is used up."""
        url: str | None = position.get("u")
        skip = int(position.get("s", 0))
        while True:
            if url is None:
                page = await self._search(segment, [("_count", str(self._first))])
            else:
                page = self._walked(await self._fhir.search_next(url, "Task"))
            self._take_total(page, result)
            result.included.extend(page.included)
            result.matched.extend(page.matches)
            matches = page.matches[skip:]
            for index, resource in enumerate(matches, start=skip):
                if len(result.items) == self._first:
                    result.has_next = True
                    return False
                last_of_page = index == len(page.matches) - 1
                if last_of_page and page.next_url:
                    cursor = self._cursor(segment, u=page.next_url, s=0)
                elif last_of_page:
                    cursor = self._cursor(segment + 1)
                else:
                    cursor = self._cursor(segment, u=url, s=index + 1)
                result.items.append((resource, cursor))
            if not page.next_url:
                return True
            if len(result.items) == self._first:
                result.has_next = True
                return False
            url, skip = page.next_url, 0

    async def _read_offset(
        self, segment: int, position: dict[str, Any], result: PageResult
    ) -> bool:
        """Fill ``result`` from one segment of a server that pages by _offset.

        An offset alone drifts when Tasks leave or join the list between pages (claiming
        from the queue does exactly that), so a cursor also names the next Task not yet
        shown. A window around the old offset finds that Task where it is now; only if
        it has itself left does the plain offset apply.
        """
        offset = int(position.get("o", 0))
        anchor = position.get("n")
        wanted = self._first - len(result.items)
        if anchor and offset:
            offset, matches = await self._find_anchor(segment, offset, str(anchor), result)
        else:
            matches = await self._offset_page(segment, offset, wanted + 1, result)
        shown = matches[:wanted]
        for index, resource in enumerate(shown):
            following = matches[index + 1] if index + 1 < len(matches) else None
            result.items.append(
                (resource, self._cursor(segment, o=offset + index + 1, n=_id(following)))
            )
        if len(matches) > wanted:
            result.has_next = True
            return False
        if result.items and shown:
            # The last item of a finished segment resumes at the next segment.
            resource, _ = result.items[-1]
            result.items[-1] = (resource, self._cursor(segment + 1))
        return True

    async def _find_anchor(
        self, segment: int, offset: int, anchor: str, result: PageResult
    ) -> tuple[int, list[Resource]]:
        """(the anchor's offset now, the matches from it on); at least wanted+1 when there are."""
        wanted = self._first - len(result.items)
        start = max(0, offset - self._first)
        count = offset - start + wanted + 1
        window = await self._offset_page(segment, start, count, result)
        ids = [_id(resource) for resource in window]
        if anchor not in ids:
            return offset, window[offset - start :]
        found = start + ids.index(anchor)
        matches = window[found - start :]
        if len(matches) < wanted + 1 and len(window) == count:
            matches = await self._offset_page(segment, found, wanted + 1, result)
        return found, matches

    async def _offset_page(
        self, segment: int, offset: int, count: int, result: PageResult
    ) -> list[Resource]:
        extra = [("_count", str(count))]
        if offset:
            extra.append(("_offset", str(offset)))
        page = await self._search(segment, extra)
        self._take_total(page, result)
        result.included.extend(page.included)
        result.matched.extend(page.matches)
        return list(page.matches)

    def _walked(self, page: SearchPage) -> SearchPage:
        if page.warned:
            # The server cut the walk short: what came is right, but not every subtask.
            self._walk = None
        return page

    def _take_total(self, page: SearchPage, result: PageResult) -> None:
        if self._want_total and result.total is None:
            result.total = page.total


def _id(resource: Resource | None) -> str | None:
    return str(resource.get("id")) if resource is not None else None
