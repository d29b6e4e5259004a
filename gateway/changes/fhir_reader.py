"""One poll's Task changes from a FHIR server: type-level _history where it has it, else a
search by _lastUpdated; bounded pages, an overlapping window, ordered by lastUpdated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.changes.observed import Observed, from_history_entry, from_match
from gateway.changes.poll_position import PollPosition
from gateway.fhir import FhirClient, FhirResponseError, Resource, format_instant

PAGE_SIZE = 100
# Pages one poll reads at most (per way: history, then search when history had more).
MAX_PAGES = 10
# Each poll re-reads this much before the newest stamp it saw: a write committed a little
# after another but stamped before it (clocks, long transactions) is still caught. Versions
# re-read are dropped by (id, versionId).
OVERLAP = timedelta(seconds=5)


@dataclass(frozen=True)
class Reading:
    """What one poll found, oldest first; ``complete`` is False when it stopped at its cap."""

    observed: list[Observed]
    complete: bool


async def newest(fhir: FhirClient) -> Observed | None:
    """The most recently changed Task, where a poller with no position starts."""
    page = await fhir.search("Task", [("_sort", "-_lastUpdated"), ("_count", "1")])
    found = [o for o in map(from_match, page.matches) if o is not None]
    return max(found, key=lambda o: o.last_updated, default=None)


async def read_changes(fhir: FhirClient, position: PollPosition, *, history: bool) -> Reading:
    """The versions changed since ``position`` (some already seen: the caller drops those).

    History lists newest first, so only a window it lists whole is taken from it; a larger
    backlog is worked through by search, oldest first, over as many polls as it needs.
    """
    if history:
        reading = await _through_history(fhir, _window_start(position))
        if reading.complete:
            return reading
    return await _through_search(fhir, position)


def _window_start(position: PollPosition) -> datetime | None:
    if position.newest is None:
        return None
    return position.newest if position.behind else position.newest - OVERLAP


async def _through_history(fhir: FhirClient, since: datetime | None) -> Reading:
    params = [("_count", str(PAGE_SIZE))]
    if since is not None:
        params.append(("_since", format_instant(since)))
    bundle = await fhir.type_history("Task", params)
    entries = list(_entries(bundle))
    for _ in range(MAX_PAGES - 1):
        next_url = _next_link(bundle)
        if next_url is None:
            return Reading(_history_oldest_first(entries), complete=True)
        try:
            bundle = await fhir.history_next(next_url, "Task")
        except FhirResponseError:
            # A next link outside the base URL (a server behind a proxy), or a page that is no
            # Bundle: the window is read by search instead, rather than failing every poll.
            return Reading([], complete=False)
        entries.extend(_entries(bundle))
    complete = _next_link(bundle) is None
    return Reading(_history_oldest_first(entries), complete=complete)


def _history_oldest_first(entries: list[object]) -> list[Observed]:
    # History lists newest first: reversed, the versions sharing one stamp stay in order.
    return _oldest_first(map(from_history_entry, reversed(entries)))


async def _through_search(fhir: FhirClient, position: PollPosition) -> Reading:
    # Each page starts at the newest stamp of the one before (keyset paging): a Task updated
    # while the pages are read moves to the end instead of shifting an unread one out of
    # reach. Only when a whole page shares one stamp does the next step by _offset.
    start = _window_start(position)
    bound = None if start is None else f"{'ge' if position.behind else 'gt'}{format_instant(start)}"
    floor, offset = start, 0
    found: list[Observed] = []
    for _ in range(MAX_PAGES):
        params = [("_sort", "_lastUpdated"), ("_count", str(PAGE_SIZE))]
        if bound is not None:
            params.append(("_lastUpdated", bound))
        if offset:
            params.append(("_offset", str(offset)))
        page = await fhir.search("Task", params)
        observed = [o for o in map(from_match, page.matches) if o is not None]
        found.extend(observed)
        if len(page.matches) < PAGE_SIZE:
            return Reading(_oldest_first(found), complete=True)
        last = max((o.last_updated for o in observed), default=None)
        if last is not None and (floor is None or last > floor):
            bound, floor, offset = f"ge{format_instant(last)}", last, 0
        else:
            offset += len(page.matches)
    return Reading(_oldest_first(found), complete=False)


def _oldest_first(observed: Iterable[Observed | None]) -> list[Observed]:
    return sorted((o for o in observed if o is not None), key=lambda o: o.last_updated)


def _entries(bundle: Resource) -> list[object]:
    entries = bundle.get("entry")
    return list(entries) if isinstance(entries, list) else []


def _next_link(bundle: Resource) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) else None
    return None
