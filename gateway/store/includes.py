"""_include and _revinclude: follow references from and to a page of results, bounded."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from gateway.store.search_params import params_for
from gateway.store.search_request import Include

MAX_INCLUDED = 10_000
MAX_ITERATIONS = 20
_CHUNK = 500
_T = TypeVar("_T")


@dataclass(frozen=True)
class Found:
    rid: int
    type: str
    id: str


def resolve_includes(
    connection: sqlite3.Connection,
    param_ids: Mapping[tuple[str, str], int],
    directives: Sequence[Include],
    matches: Sequence[Found],
) -> tuple[list[Found], bool]:
    """The resources the directives reach from ``matches`` (each once), and whether the bound
    cut them short. A visited set ends cycles; ``:iterate`` repeats on what was just found."""
    visited = {m.rid for m in matches}
    included: list[Found] = []
    frontier = list(matches)
    active = list(directives)
    for _ in range(MAX_ITERATIONS + 1):
        found: list[Found] = []
        for directive in active:
            step = _follow if not directive.reverse else _follow_back
            for item in step(connection, param_ids, directive, frontier):
                if item.rid in visited:
                    continue
                if len(included) >= MAX_INCLUDED:
                    return included, True
                visited.add(item.rid)
                included.append(item)
                found.append(item)
        active = [d for d in directives if d.iterate]
        if not found or not active:
            return included, False
        frontier = found
    return included, True


def _pids(
    param_ids: Mapping[tuple[str, str], int], directive: Include, source_type: str
) -> list[int]:
    if directive.param is not None:
        return [param_ids[source_type, directive.param.name]]
    return [
        param_ids[source_type, p.name]
        for p in params_for(source_type).values()
        if p.type == "reference" and p.column is None
    ]


def _follow(
    connection: sqlite3.Connection,
    param_ids: Mapping[tuple[str, str], int],
    directive: Include,
    frontier: Sequence[Found],
) -> Iterable[Found]:
    by_type: dict[str, list[int]] = {}
    for item in frontier:
        if directive.source_type in ("*", item.type):
            by_type.setdefault(item.type, []).append(item.rid)
    for source_type, rids in by_type.items():
        pids = _pids(param_ids, directive, source_type)
        if not pids:
            continue
        target = " AND x.target_type = ?" if directive.target_type else ""
        for chunk in _chunks(rids):
            yield from _rows(
                connection,
                "SELECT r.rid, r.type, r.id FROM reference_idx x "
                "JOIN resources r ON r.type = x.target_type AND r.id = x.target_id "
                f"WHERE x.rid IN ({_marks(chunk)}) AND x.pid IN ({_marks(pids)}){target} "
                "AND r.deleted = 0",
                [*chunk, *pids, *([directive.target_type] if directive.target_type else [])],
            )


def _follow_back(
    connection: sqlite3.Connection,
    param_ids: Mapping[tuple[str, str], int],
    directive: Include,
    frontier: Sequence[Found],
) -> Iterable[Found]:
    pids = _pids(param_ids, directive, directive.source_type)
    by_type: dict[str, list[str]] = {}
    for item in frontier:
        if directive.target_type in (None, item.type):
            by_type.setdefault(item.type, []).append(item.id)
    for target_type, ids in by_type.items():
        for chunk in _chunks(ids):
            yield from _rows(
                connection,
                "SELECT r.rid, r.type, r.id FROM reference_idx x JOIN resources r ON r.rid = x.rid "
                f"WHERE x.pid IN ({_marks(pids)}) AND x.target_id IN ({_marks(chunk)}) "
                "AND x.target_type = ? AND r.deleted = 0",
                [*pids, *chunk, target_type],
            )


def _rows(connection: sqlite3.Connection, sql: str, args: list[object]) -> Iterable[Found]:
    for rid, resource_type, resource_id in connection.execute(sql, args):
        yield Found(rid, resource_type, resource_id)


def _chunks(items: Sequence[_T]) -> Iterable[Sequence[_T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))
