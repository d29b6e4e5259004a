"""Run a parsed search: the page of matches, its keyset for the next page, total, includes."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.store.elements import projection, subset
from gateway.store.includes import MAX_INCLUDED, Found, resolve_includes
from gateway.store.matching import Sql, marks
from gateway.store.query import QueryBuilder
from gateway.store.search_request import MAX_COUNT, SearchRequest

_CHUNK = 500
# Rows of the sort index a first page may be looked for in before the filters drive instead.
WALK_ROWS = 2000
_FULL_SORT = "USE TEMP B-TREE FOR ORDER BY"
# The SQL text of a head fixes its plan (the schema is fixed): probed once per process.
_INDEX_ORDERED: dict[str, bool] = {}


@dataclass(frozen=True)
class Entry:
    type: str
    id: str
    json: str


@dataclass
class SearchResult:
    request: SearchRequest
    matches: list[Entry] = field(default_factory=list)  # cut to request.elements when given
    included: list[Entry] = field(default_factory=list)
    total: int | None = None
    next_after: tuple[Any, ...] | None = None
    warnings: list[str] = field(default_factory=list)


def run_search(
    connection: sqlite3.Connection,
    param_ids: Mapping[tuple[str, str], int],
    request: SearchRequest,
) -> SearchResult:
    builder = QueryBuilder(request, param_ids)
    result = SearchResult(request)
    if request.count_clamped:
        result.warnings.append(f"_count was reduced to the maximum page size, {MAX_COUNT}")
    if request.summary_count or request.count == 0:
        result.total = _count(connection, builder)
        return result
    rows = _page_rows(connection, builder, request.count + 1)
    has_more = len(rows) > request.count
    rows = rows[: request.count]
    if has_more:
        result.next_after = tuple(rows[-1][2:])
    found = [Found(row[0], request.resource_type, row[1]) for row in rows]
    result.matches = _load(connection, found, request.elements)
    if request.total in ("accurate", "estimate"):
        result.total = _count(connection, builder)
    elif request.total is None and not has_more and request.offset == 0 and not request.after:
        result.total = len(rows)
    if request.includes and found:
        included, truncated = resolve_includes(connection, param_ids, request.includes, found)
        result.included = _load(connection, included)
        if truncated:
            result.warnings.append(
                f"_include/_revinclude stopped at {MAX_INCLUDED} resources or after the "
                "iteration limit; not every related resource is in this Bundle"
            )
    return result


def _page_rows(connection: sqlite3.Connection, builder: QueryBuilder, limit: int) -> list[Any]:
    """The page's rows: from the head of the sort index when that finds a full page, else
    from the most selective filter's index rows."""
    if builder.can_walk() and _index_ordered(connection, builder.walk_head(WALK_ROWS)):
        size = builder.driver_size(cap=WALK_ROWS)
        if connection.execute(size.text, size.args).fetchone()[0] >= WALK_ROWS:
            edge = builder.walk_boundary(WALK_ROWS)
            boundary = connection.execute(edge.text, edge.args).fetchone()
            walk = builder.walk(limit=limit, rows=WALK_ROWS, boundary=boundary)
            rows = connection.execute(walk.text, walk.args).fetchall()
            if boundary is None or len(rows) == limit:
                return rows
    query = builder.page(limit=limit)
    return connection.execute(query.text, query.args).fetchall()


def explain_search(
    connection: sqlite3.Connection,
    param_ids: Mapping[tuple[str, str], int],
    request: SearchRequest,
) -> list[str]:
    """The plans of the page queries: the index walk when it would be tried, then the
    filter-driven query it falls back to."""
    builder = QueryBuilder(request, param_ids)
    limit = request.count + 1
    queries = []
    if builder.can_walk() and _index_ordered(connection, builder.walk_head(WALK_ROWS)):
        queries.append(("index walk", builder.walk(limit=limit, rows=WALK_ROWS, boundary=None)))
    queries.append(("driven by filters" if queries else "page", builder.page(limit=limit)))
    lines = []
    for label, query in queries:
        lines.append(f"{label}:")
        plan = connection.execute("EXPLAIN QUERY PLAN " + query.text, query.args).fetchall()
        lines += [f"  {row[-1]}" for row in plan]
    return lines


def _index_ordered(connection: sqlite3.Connection, head: Sql) -> bool:
    """Whether SQLite reads the head in order from an index (no sort of the whole table)."""
    if head.text not in _INDEX_ORDERED:
        plan = connection.execute("EXPLAIN QUERY PLAN " + head.text, head.args).fetchall()
        _INDEX_ORDERED[head.text] = not any(row[-1] == _FULL_SORT for row in plan)
    return _INDEX_ORDERED[head.text]


def _count(connection: sqlite3.Connection, builder: QueryBuilder) -> int:
    query = builder.count()
    total: int = connection.execute(query.text, query.args).fetchone()[0]
    return total


def _load(
    connection: sqlite3.Connection, found: Sequence[Found], elements: Sequence[str] | None = None
) -> list[Entry]:
    """The resources' current text, cut to ``elements`` when given."""
    texts: dict[int, str] = {}
    rids = [f.rid for f in found]
    for start in range(0, len(rids), _CHUNK):
        chunk = rids[start : start + _CHUNK]
        texts.update(_texts(connection, chunk, elements))
    return [Entry(f.type, f.id, texts[f.rid]) for f in found if f.rid in texts]


def _texts(
    connection: sqlite3.Connection, rids: list[int], elements: Sequence[str] | None
) -> list[tuple[int, str]]:
    where = f"FROM resources r JOIN versions v ON v.vrow = r.vrow WHERE r.rid IN ({marks(rids)})"
    if elements is None:
        return connection.execute(f"SELECT r.rid, v.json {where}", rids).fetchall()
    cut = projection(elements)
    if cut is not None:
        try:
            cursor = connection.execute(f"SELECT r.rid, {cut.text} {where}", [*cut.args, *rids])
            return cursor.fetchall()
        except sqlite3.OperationalError as exc:
            if "malformed JSON" not in str(exc):
                raise
    stored = connection.execute(f"SELECT r.rid, v.json {where}", rids).fetchall()
    return [(rid, subset(text, elements)) for rid, text in stored]
