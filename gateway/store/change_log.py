"""The change log of Tasks: one row per committed Task version, read in commit order by feeds."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from typing import Final, Literal

ChangeKind = Literal["CREATED", "UPDATED", "DELETED"]

# Rows kept: a feed reads within moments of a commit, so only a process stopped for a long
# time could fall this far behind, and it starts from the newest row anyway.
KEPT_ROWS: Final = 100_000
_PRUNE_EVERY: Final = 1000
# Rows one read hands back; a feed reads again until it has caught up.
READ_BATCH: Final = 500

DDL = """
CREATE TABLE IF NOT EXISTS task_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    vrow INTEGER NOT NULL,
    kind TEXT NOT NULL
);
"""

_READ = """
SELECT c.seq, c.kind, r.id, v.version, v.last_updated, v.json, p.json
FROM task_changes c
JOIN versions v ON v.vrow = c.vrow
JOIN resources r ON r.rid = v.rid
LEFT JOIN versions p ON p.rid = v.rid AND p.version = v.version - 1
WHERE c.seq > ? ORDER BY c.seq LIMIT ?
"""


@dataclass(frozen=True, slots=True)
class StoredChange:
    """A committed Task version; ``json`` None for a deletion, ``previous_json`` None when
    there was no earlier version or it was a deletion."""

    seq: int
    kind: ChangeKind
    task_id: str
    version: int
    last_updated: int
    json: str | None
    previous_json: str | None


def record_change(connection: sqlite3.Connection, vrow: int, kind: ChangeKind) -> None:
    """Log a Task version inside the transaction that writes it: both commit, or neither."""
    seq = connection.execute(
        "INSERT INTO task_changes (vrow, kind) VALUES (?, ?)", (vrow, kind)
    ).lastrowid
    if seq is not None and seq % _PRUNE_EVERY == 0:
        connection.execute("DELETE FROM task_changes WHERE seq <= ?", (seq - KEPT_ROWS,))


class ChangeReader:
    """Reads the change log for one feed. On a file it has a connection of its own, whose
    ``data_version`` moves whenever any other connection (this process's writer included)
    commits; on ``:memory:`` it shares the store's only connection and relies on being woken."""

    def __init__(self, connection: sqlite3.Connection, lock: threading.Lock, *, own: bool) -> None:
        self._connection = connection
        self._lock = lock
        self._own = own
        self._data_version: int | None = None

    def position(self) -> int:
        """The newest change's number (0 for none): a feed starting now delivers what follows."""
        with self._lock:
            row = self._connection.execute("SELECT COALESCE(MAX(seq), 0) FROM task_changes")
            return int(row.fetchone()[0])

    def may_have_news(self) -> bool:
        """False only when certainly nothing was committed since the last call."""
        if not self._own:
            return True
        with self._lock:
            version = int(self._connection.execute("PRAGMA data_version").fetchone()[0])
        news, self._data_version = version != self._data_version, version
        return news

    def read_after(self, seq: int, limit: int = READ_BATCH) -> list[StoredChange]:
        """The changes after ``seq``, oldest first; commit order is seq order, because every
        write holds the file's write lock from its BEGIN IMMEDIATE to its COMMIT."""
        with self._lock:
            rows = self._connection.execute(_READ, (seq, limit)).fetchall()
        return [StoredChange(*row) for row in rows]

    def close(self) -> None:
        if self._own:
            with self._lock:
                self._connection.close()
