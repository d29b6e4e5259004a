"""Writing a resource's index entries into the typed index tables and its sort table."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Mapping
from typing import Any

from gateway.store.indexing import IndexEntries, IndexValueError, extract
from gateway.store.search_params import SORT_TABLES

log = logging.getLogger(__name__)
_INDEX_TABLES = ("token_idx", "reference_idx", "date_idx", "string_idx", "number_idx")


def write_index(
    connection: sqlite3.Connection,
    param_ids: Mapping[tuple[str, str], int],
    resource_type: str,
    rid: int,
    resource_id: str,
    entries: IndexEntries | None,
    *,
    fresh: bool,
) -> None:
    """Replace the index rows of ``rid`` (None: a deletion leaves none), in the caller's
    transaction, so the index always describes exactly the current versions."""
    sort_table = SORT_TABLES.get(resource_type)
    if not fresh:
        for table in _INDEX_TABLES:
            connection.execute(f"DELETE FROM {table} WHERE rid = ?", (rid,))
        if sort_table:
            connection.execute(f"DELETE FROM {sort_table} WHERE rid = ?", (rid,))
    if entries is None:
        return
    pid = param_ids
    t = resource_type
    rows: dict[str, tuple[str, list[tuple[Any, ...]]]] = {
        "token": (
            "INSERT INTO token_idx (pid, code, system, rid) VALUES (?, ?, ?, ?)",
            [(pid[t, n], code, system, rid) for n, code, system in entries.tokens],
        ),
        "reference": (
            "INSERT INTO reference_idx (pid, target_id, target_type, rid) VALUES (?, ?, ?, ?)",
            [(pid[t, n], tid, ttype, rid) for n, tid, ttype in entries.references],
        ),
        "date": (
            "INSERT INTO date_idx (pid, low, high, rid) VALUES (?, ?, ?, ?)",
            [(pid[t, n], low, high, rid) for n, low, high in entries.dates],
        ),
        "string": (
            "INSERT INTO string_idx (pid, value, exact, rid) VALUES (?, ?, ?, ?)",
            [(pid[t, n], folded, exact, rid) for n, folded, exact in entries.strings],
        ),
        "number": (
            "INSERT INTO number_idx (pid, value, rid) VALUES (?, ?, ?)",
            [(pid[t, n], value, rid) for n, value in entries.numbers],
        ),
    }
    for sql, values in rows.values():
        if values:
            connection.executemany(sql, values)
    if sort_table:
        columns = list(entries.sort)
        connection.execute(
            f"INSERT INTO {sort_table} (rid, id, {', '.join(columns)}) "
            f"VALUES (?, ?{', ?' * len(columns)})",
            (rid, resource_id, *(entries.sort[c] for c in columns)),
        )


def rebuild_index(connection: sqlite3.Connection, param_ids: Mapping[tuple[str, str], int]) -> None:
    """Refill every index and sort table from the current versions (after a schema change)."""
    for table in (*_INDEX_TABLES, *SORT_TABLES.values()):
        connection.execute(f"DELETE FROM {table}")
    current = connection.execute(
        "SELECT r.rid, r.type, r.id, v.json FROM resources r JOIN versions v ON v.vrow = r.vrow "
        "WHERE r.deleted = 0"
    ).fetchall()
    for rid, resource_type, resource_id, text in current:
        try:
            entries = extract(resource_type, json.loads(text), strict=False)
        except IndexValueError:
            log.warning("%s/%s no longer fits its search parameters", resource_type, resource_id)
            entries = extract(resource_type, {})
        write_index(connection, param_ids, resource_type, rid, resource_id, entries, fresh=True)
