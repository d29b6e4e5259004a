"""The SQLite file: connection, pragmas, schema, and the read and write transactions."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from gateway.store import change_log
from gateway.store.group_commit import GroupCommit
from gateway.store.search_params import SORT_TABLES, indexed_params, indexed_types, sort_columns

SCHEMA_VERSION = 6
# Versions whose tables this code rebuilds (1: sort tables changed; 2: references present but
# not searchable got a presence row; 3: Provenance became searchable; 4: Patient address-state
# became searchable); their data is kept.
_REBUILT_VERSIONS = (1, 2, 3, 4)
# Versions that only lack tables added since (5: the Task change log).
_EXTENDED_VERSIONS = (5,)
BUSY_TIMEOUT_MS = 15_000
T = TypeVar("T")

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS resources (
    rid INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    vrow INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS resources_by_id ON resources (type, id);
CREATE INDEX IF NOT EXISTS resources_by_updated ON resources (type, last_updated);
CREATE INDEX IF NOT EXISTS resources_live ON resources (type, id) WHERE deleted = 0;

CREATE TABLE IF NOT EXISTS versions (
    vrow INTEGER PRIMARY KEY,
    rid INTEGER NOT NULL,
    version INTEGER NOT NULL,
    last_updated INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    json TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS versions_by_resource ON versions (rid, version);

CREATE TABLE IF NOT EXISTS search_params (
    pid INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    UNIQUE (type, name)
);

CREATE TABLE IF NOT EXISTS token_idx (
    pid INTEGER NOT NULL, code TEXT NOT NULL, system TEXT NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (pid, code, system, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS token_by_resource ON token_idx (rid, pid);

CREATE TABLE IF NOT EXISTS reference_idx (
    pid INTEGER NOT NULL, target_id TEXT NOT NULL, target_type TEXT NOT NULL,
    rid INTEGER NOT NULL,
    PRIMARY KEY (pid, target_id, target_type, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reference_by_resource ON reference_idx (rid, pid);

CREATE TABLE IF NOT EXISTS date_idx (
    pid INTEGER NOT NULL, low INTEGER NOT NULL, high INTEGER NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (pid, low, high, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS date_by_high ON date_idx (pid, high, low);
CREATE INDEX IF NOT EXISTS date_by_resource ON date_idx (rid, pid);

CREATE TABLE IF NOT EXISTS string_idx (
    pid INTEGER NOT NULL, value TEXT NOT NULL, exact TEXT NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (pid, value, exact, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS string_by_resource ON string_idx (rid, pid);

CREATE TABLE IF NOT EXISTS number_idx (
    pid INTEGER NOT NULL, value REAL NOT NULL, rid INTEGER NOT NULL,
    PRIMARY KEY (pid, value, rid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS number_by_resource ON number_idx (rid, pid);
"""
    + change_log.DDL
)

# Indexes that read a whole type in the exact order of a sort, ties by id: the work queue's
# order, and every sort column both ways (ascending puts missing values last, as searches
# sort them: SQLite sorts NULL first). Task.status is never missing.
_SORT_INDEXES = (
    "task_sort_queue ON task_sort (priority_order DESC, (due_date IS NULL), due_date, id)",
    "task_sort_due ON task_sort ((due_date IS NULL), due_date, id)",
    "task_sort_due_desc ON task_sort (due_date DESC, id)",
    "task_sort_authored ON task_sort ((authored_on IS NULL), authored_on, id)",
    "task_sort_authored_desc ON task_sort (authored_on DESC, id)",
    "task_sort_modified ON task_sort ((modified IS NULL), modified, id)",
    "task_sort_modified_desc ON task_sort (modified DESC, id)",
    "task_sort_status ON task_sort (status, id)",
    "task_sort_status_desc ON task_sort (status DESC, id)",
    "task_sort_priority ON task_sort ((priority IS NULL), priority, id)",
    "task_sort_priority_desc ON task_sort (priority DESC, id)",
)
_SQL_TYPES = {"date": "INTEGER", "number": "REAL", "token": "TEXT", "string": "TEXT"}


IndexBuilder = Callable[[sqlite3.Connection, Mapping[tuple[str, str], int]], None]


class SchemaVersionError(RuntimeError):
    """The file was written by an incompatible version of the store."""


def _sort_table_ddl() -> str:
    statements = []
    for resource_type, table in SORT_TABLES.items():
        columns = "".join(
            f", {column} {_SQL_TYPES[param.type]}"
            for column, param in sort_columns(resource_type).items()
        )
        keys = "rid INTEGER PRIMARY KEY, id TEXT NOT NULL"
        statements.append(f"CREATE TABLE IF NOT EXISTS {table} ({keys}{columns});")
    statements += [f"CREATE INDEX IF NOT EXISTS {index};" for index in _SORT_INDEXES]
    return "\n".join(statements)


class Database:
    """SQLite connections shared by worker threads, each under its own lock: a file has one for
    writes and one for reads, so a read never queues behind a write waiting for another
    process's lock (WAL lets it read the last commit meanwhile); ``:memory:`` has one for both."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._lock = threading.Lock()
        self._reader = connection
        self._read_lock = self._lock
        self.param_ids: dict[tuple[str, str], int] = {}
        self._group = GroupCommit(self.write)
        self._path = ":memory:"
        self._committed: list[Callable[[], None]] = []

    @classmethod
    def open(cls, path: str, *, rebuild_index: IndexBuilder) -> Database:
        """Open or create the file; ``rebuild_index`` refills the index tables of a file
        written by an older schema, inside the migrating transaction."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: no implicit transactions; every transaction below is explicit.
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        database = cls(connection)
        database._path = path
        try:
            database._configure(connection, file_backed=path != ":memory:")
            database._migrate(rebuild_index)
            if path != ":memory:":
                reader = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
                database._reader, database._read_lock = reader, threading.Lock()
                database._configure(reader, file_backed=True)
                reader.execute("PRAGMA query_only = ON")
        except BaseException:
            database._close_connections()
            raise
        return database

    def close(self) -> None:
        with self._lock:
            if self._reader is not self._connection:
                with self._read_lock:
                    self._reader.close()
            self._connection.close()

    def _close_connections(self) -> None:
        if self._reader is not self._connection:
            self._reader.close()
        self._connection.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction. BEGIN IMMEDIATE takes the file's write lock before anything is
        read, so a version checked inside it cannot change before COMMIT, even when another
        process writes to the same file."""
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
                self._connection.execute("COMMIT")
            except BaseException:
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
                raise
        for listener in self._committed:
            listener()

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every write transaction this process commits (in the
        writing thread: it must only hand off, e.g. with ``loop.call_soon_threadsafe``)."""
        self._committed.append(listener)

    def change_reader(self) -> change_log.ChangeReader:
        """A reader of the change log: on a file with a connection of its own, so its
        ``data_version`` notices every other connection's commits, this process's included."""
        if self._path == ":memory:":
            return change_log.ChangeReader(self._connection, self._lock, own=False)
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        self._configure(connection, file_backed=True)
        connection.execute("PRAGMA query_only = ON")
        return change_log.ChangeReader(connection, threading.Lock(), own=True)

    def write_batched(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work`` in a write transaction that concurrent writes share (group_commit.py): the
        same guarantees as ``write``, one fsync for the batch."""
        return self._group.run(work)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside it sees one snapshot."""
        with self._read_lock:
            self._reader.execute("BEGIN")
            try:
                yield self._reader
            finally:
                self._reader.execute("COMMIT")

    def _configure(self, connection: sqlite3.Connection, *, file_backed: bool) -> None:
        execute = connection.execute
        execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if file_backed:
            self._retry_while_locked(lambda: execute("PRAGMA journal_mode = WAL"))
        # WAL with synchronous=FULL fsyncs the log at every COMMIT, so a write answered 201/200
        # survives power loss; NORMAL would only survive a crash of this process.
        execute("PRAGMA synchronous = FULL")
        execute("PRAGMA journal_size_limit = 67108864")  # the WAL shrinks back after a bulk load
        execute("PRAGMA cache_size = -65536")
        execute("PRAGMA temp_store = MEMORY")
        # Reads straight from the OS page cache instead of copying pages into SQLite's cache.
        execute("PRAGMA mmap_size = 268435456")

    def _migrate(self, rebuild_index: IndexBuilder) -> None:
        with self.write() as connection:
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION, *_REBUILT_VERSIONS, *_EXTENDED_VERSIONS):
                raise SchemaVersionError(
                    f"store schema version {version}; this code reads version {SCHEMA_VERSION}"
                )
            if version in _REBUILT_VERSIONS:
                for table in SORT_TABLES.values():
                    connection.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in (_SCHEMA + _sort_table_ddl()).split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.executemany(
                "INSERT OR IGNORE INTO search_params (type, name) VALUES (?, ?)",
                [(t, p.name) for t in indexed_types() for p in indexed_params(t)],
            )
            rows = connection.execute("SELECT type, name, pid FROM search_params").fetchall()
            self.param_ids = {(t, n): pid for t, n, pid in rows}
            if version in _REBUILT_VERSIONS:
                rebuild_index(connection, self.param_ids)
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _retry_while_locked(self, action: Callable[[], object]) -> None:
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                action()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
