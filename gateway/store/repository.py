"""FhirStore: versioned create, read, update, delete and history of resources on SQLite."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from gateway.fhir import format_instant
from gateway.store.change_log import ChangeKind, ChangeReader, record_change
from gateway.store.database import Database
from gateway.store.dates import from_ms, now_ms
from gateway.store.errors import (
    InvalidRequestError,
    PreconditionFailedError,
    ResourceGoneError,
    ResourceNotFoundError,
    UnprocessableEntityError,
)
from gateway.store.index_tables import rebuild_index, write_index
from gateway.store.indexing import IndexEntries, IndexValueError, extract
from gateway.store.search import SearchResult, explain_search, run_search
from gateway.store.search_request import parse_conditional, parse_search
from gateway.store.validation import check_id, check_resource, check_type

_ETAG = re.compile(r'\s*(?:W/)?"?([^"]*)"?\s*')


@dataclass(frozen=True)
class StoredVersion:
    """One version of a resource; ``json`` is None for a deletion."""

    type: str
    id: str
    version: int
    last_updated: int
    deleted: bool
    json: str | None

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    @property
    def location(self) -> str:
        return f"{self.type}/{self.id}/_history/{self.version}"


@dataclass(frozen=True)
class _Current:
    rid: int
    version: int
    last_updated: int
    deleted: bool
    json: str | None


class FhirStore:
    """A persistent FHIR R4 resource store; every method is synchronous and thread-safe."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @classmethod
    def open(cls, path: str) -> FhirStore:
        """Open (or create) the store in ``path``, a file or ``:memory:``."""
        return cls(Database.open(path, rebuild_index=rebuild_index))

    def close(self) -> None:
        self._db.close()

    def on_commit(self, listener: Callable[[], None]) -> None:
        """``listener`` runs after each write transaction of this process commits."""
        self._db.on_commit(listener)

    def change_reader(self) -> ChangeReader:
        """A reader of the Task change log (close it when done)."""
        return self._db.change_reader()

    def is_empty(self) -> bool:
        with self._db.read() as connection:
            return connection.execute("SELECT 1 FROM resources LIMIT 1").fetchone() is None

    def create(self, resource_type: str, body: Any) -> StoredVersion:
        # Checked and indexed before the write lock, which then only covers the SQL.
        check_type(resource_type)
        resource = check_resource(resource_type, body)
        resource = {**resource, "id": str(uuid.uuid4())}
        entries = _index(resource_type, resource)
        return self._db.write_batched(
            lambda connection: self._write(
                connection, resource_type, resource["id"], resource, entries, None
            )
        )

    def create_unless_exists(
        self, resource_type: str, body: Any, criteria: str
    ) -> tuple[StoredVersion, bool]:
        """Conditional create (If-None-Exist): the one resource matching the search
        ``criteria`` (False), or a new one (True); several matches are 412."""
        check_type(resource_type)
        resource = check_resource(resource_type, body)
        resource = {**resource, "id": str(uuid.uuid4())}
        entries = _index(resource_type, resource)
        request = parse_conditional(resource_type, parse_qsl(criteria, keep_blank_values=True))
        with self._db.write() as connection:
            found = run_search(connection, self._db.param_ids, request).matches
            if len(found) > 1:
                raise PreconditionFailedError(
                    f"If-None-Exist {criteria!r} matches several resources"
                )
            current = _current(connection, resource_type, found[0].id) if found else None
            if current is not None:
                return _version_of(resource_type, found[0].id, current), False
            return self._write(
                connection, resource_type, resource["id"], resource, entries, None
            ), True

    def update(
        self, resource_type: str, resource_id: str, body: Any, *, if_match: str | None = None
    ) -> tuple[StoredVersion, bool]:
        """Update or create ``resource_id``; True when it was created (or undeleted)."""
        check_type(resource_type)
        check_id(resource_id)
        resource = check_resource(resource_type, body, url_id=resource_id)
        entries = _index(resource_type, resource)
        return self._db.write_batched(
            lambda connection: self._update(
                connection, resource_type, resource_id, resource, entries, if_match
            )
        )

    def load(self, resources: Iterable[Any]) -> int:
        """Create or update every resource under its own id in one transaction (seeding, bulk)."""
        prepared = []
        for body in resources:
            resource_type = body.get("resourceType") if isinstance(body, dict) else None
            resource_id = body.get("id") if isinstance(body, dict) else None
            if not isinstance(resource_type, str) or not isinstance(resource_id, str):
                raise InvalidRequestError("Each resource to load needs a resourceType and an id")
            check_type(resource_type)
            check_id(resource_id)
            resource = check_resource(resource_type, body, url_id=resource_id)
            prepared.append((resource_type, resource, _index(resource_type, resource)))
        written = 0
        with self._db.write() as connection:
            for resource_type, resource, entries in prepared:
                current = _current(connection, resource_type, resource["id"])
                if current is not None and not current.deleted and _same_content(current, resource):
                    continue
                self._write(connection, resource_type, resource["id"], resource, entries, current)
                written += 1
        return written

    def read(self, resource_type: str, resource_id: str) -> StoredVersion:
        check_type(resource_type)
        check_id(resource_id)
        with self._db.read() as connection:
            current = _current(connection, resource_type, resource_id)
        if current is None:
            raise ResourceNotFoundError(f"{resource_type}/{resource_id} is not known")
        if current.deleted:
            raise ResourceGoneError(f"{resource_type}/{resource_id} was deleted")
        return _version_of(resource_type, resource_id, current)

    def vread(self, resource_type: str, resource_id: str, version: str) -> StoredVersion:
        check_type(resource_type)
        check_id(resource_id)
        with self._db.read() as connection:
            row = connection.execute(
                "SELECT v.last_updated, v.deleted, v.json FROM resources r "
                "JOIN versions v ON v.rid = r.rid AND v.version = ? WHERE r.type = ? AND r.id = ?",
                (_version_number(version), resource_type, resource_id),
            ).fetchone()
        if row is None:
            raise ResourceNotFoundError(f"{resource_type}/{resource_id} has no version {version!r}")
        if row[1]:
            raise ResourceGoneError(
                f"Version {version} of {resource_type}/{resource_id} is a deletion"
            )
        return StoredVersion(resource_type, resource_id, int(version), row[0], False, row[2])

    def history(self, resource_type: str, resource_id: str) -> list[StoredVersion]:
        """Every version, newest first."""
        check_type(resource_type)
        check_id(resource_id)
        with self._db.read() as connection:
            rows = connection.execute(
                "SELECT v.version, v.last_updated, v.deleted, v.json FROM resources r "
                "JOIN versions v ON v.rid = r.rid WHERE r.type = ? AND r.id = ? "
                "ORDER BY v.version DESC",
                (resource_type, resource_id),
            ).fetchall()
        if not rows:
            raise ResourceNotFoundError(f"{resource_type}/{resource_id} is not known")
        return [
            StoredVersion(resource_type, resource_id, v, updated, bool(d), text)
            for v, updated, d, text in rows
        ]

    def delete(
        self, resource_type: str, resource_id: str, *, if_match: str | None = None
    ) -> StoredVersion:
        """Delete the resource; deleting it again changes nothing; an unknown id is 404."""
        check_type(resource_type)
        check_id(resource_id)
        return self._db.write_batched(
            lambda connection: self._delete(connection, resource_type, resource_id, if_match)
        )

    @contextmanager
    def transaction(self) -> Iterator[StoreTransaction]:
        """Writes that commit together when the block ends, or not at all when it raises."""
        with self._db.write() as connection:
            yield StoreTransaction(self, connection)

    def search(
        self, resource_type: str, params: Sequence[tuple[str, str]], *, base_url: str | None = None
    ) -> SearchResult:
        check_type(resource_type)
        request = parse_search(resource_type, params, base_url=base_url)
        with self._db.read() as connection:
            return run_search(connection, self._db.param_ids, request)

    def query_plan(self, resource_type: str, params: Sequence[tuple[str, str]]) -> list[str]:
        """SQLite's EXPLAIN QUERY PLAN of the queries a search would run, to check index use."""
        check_type(resource_type)
        request = parse_search(resource_type, params)
        with self._db.read() as connection:
            return explain_search(connection, self._db.param_ids, request)

    def _update(
        self,
        connection: sqlite3.Connection,
        resource_type: str,
        resource_id: str,
        resource: dict[str, Any],
        entries: IndexEntries,
        if_match: str | None,
    ) -> tuple[StoredVersion, bool]:
        """The compare-and-set: the version is read under the write lock it is written under."""
        current = _current(connection, resource_type, resource_id)
        _check_precondition(current, if_match)
        if current is not None and not current.deleted and _same_content(current, resource):
            return _version_of(resource_type, resource_id, current), False
        stored = self._write(connection, resource_type, resource_id, resource, entries, current)
        return stored, current is None or current.deleted

    def _delete(
        self,
        connection: sqlite3.Connection,
        resource_type: str,
        resource_id: str,
        if_match: str | None,
    ) -> StoredVersion:
        current = _current(connection, resource_type, resource_id)
        if current is None:
            raise ResourceNotFoundError(f"{resource_type}/{resource_id} is not known")
        _check_precondition(current, if_match)
        if current.deleted:
            return _version_of(resource_type, resource_id, current)
        return self._write(connection, resource_type, resource_id, None, None, current)

    def _write(
        self,
        connection: sqlite3.Connection,
        resource_type: str,
        resource_id: str,
        resource: dict[str, Any] | None,
        entries: IndexEntries | None,
        current: _Current | None,
    ) -> StoredVersion:
        """Store the next version (``resource`` None: a deletion) and re-index it."""
        version = current.version + 1 if current else 1
        updated = max(now_ms(), current.last_updated + 1) if current else now_ms()
        text = None
        if resource is not None:
            meta = {**resource.get("meta", {}), "versionId": str(version)}
            meta["lastUpdated"] = format_instant(from_ms(updated))
            stored = {"resourceType": resource_type, "id": resource_id, "meta": meta, **resource}
            stored["meta"] = meta
            text = json.dumps(stored, ensure_ascii=False, separators=(",", ":"))
        deleted = int(resource is None)
        if current is None:
            rid = connection.execute(
                "INSERT INTO resources (type, id, version, last_updated, deleted, vrow) "
                "VALUES (?, ?, ?, ?, ?, 0)",
                (resource_type, resource_id, version, updated, deleted),
            ).lastrowid
        else:
            rid = current.rid
        vrow = connection.execute(
            "INSERT INTO versions (rid, version, last_updated, deleted, json) "
            "VALUES (?, ?, ?, ?, ?)",
            (rid, version, updated, deleted, text),
        ).lastrowid
        connection.execute(
            "UPDATE resources SET version = ?, last_updated = ?, deleted = ?, vrow = ? "
            "WHERE rid = ?",
            (version, updated, deleted, vrow, rid),
        )
        assert rid is not None
        assert vrow is not None
        if resource_type == "Task":
            kind: ChangeKind = "DELETED" if deleted else "UPDATED"
            if current is None or current.deleted:
                kind = "CREATED"
            record_change(connection, vrow, kind)
        write_index(
            connection,
            self._db.param_ids,
            resource_type,
            rid,
            resource_id,
            entries,
            fresh=current is None,
        )
        return StoredVersion(resource_type, resource_id, version, updated, bool(deleted), text)


class StoreTransaction:
    """The writes of one open SQLite write transaction (FhirStore.transaction)."""

    def __init__(self, store: FhirStore, connection: sqlite3.Connection) -> None:
        self._store = store
        self._connection = connection

    def create(
        self, resource_type: str, body: Any, *, resource_id: str | None = None
    ) -> StoredVersion:
        """A new resource, under ``resource_id`` when given (a transaction assigns ids first)."""
        check_type(resource_type)
        resource = check_resource(resource_type, body)
        resource = {**resource, "id": resource_id or str(uuid.uuid4())}
        entries = _index(resource_type, resource)
        return self._store._write(
            self._connection, resource_type, resource["id"], resource, entries, None
        )

    def update(
        self, resource_type: str, resource_id: str, body: Any, *, if_match: str | None = None
    ) -> tuple[StoredVersion, bool]:
        """Update or create ``resource_id``; True when it was created (or undeleted)."""
        check_type(resource_type)
        check_id(resource_id)
        resource = check_resource(resource_type, body, url_id=resource_id)
        entries = _index(resource_type, resource)
        return self._store._update(
            self._connection, resource_type, resource_id, resource, entries, if_match
        )

    def delete(
        self, resource_type: str, resource_id: str, *, if_match: str | None = None
    ) -> StoredVersion:
        check_type(resource_type)
        check_id(resource_id)
        return self._store._delete(self._connection, resource_type, resource_id, if_match)


def _index(resource_type: str, resource: dict[str, Any]) -> IndexEntries:
    try:
        return extract(resource_type, resource)
    except IndexValueError as exc:
        raise UnprocessableEntityError(str(exc), expression=exc.expression, code="value") from exc


def _current(
    connection: sqlite3.Connection, resource_type: str, resource_id: str
) -> _Current | None:
    row = connection.execute(
        "SELECT r.rid, r.version, r.last_updated, r.deleted, v.json FROM resources r "
        "JOIN versions v ON v.vrow = r.vrow WHERE r.type = ? AND r.id = ?",
        (resource_type, resource_id),
    ).fetchone()
    return _Current(row[0], row[1], row[2], bool(row[3]), row[4]) if row else None


def _version_of(resource_type: str, resource_id: str, current: _Current) -> StoredVersion:
    return StoredVersion(
        resource_type,
        resource_id,
        current.version,
        current.last_updated,
        current.deleted,
        current.json,
    )


def _check_precondition(current: _Current | None, if_match: str | None) -> None:
    if if_match is None:
        return
    match = _ETAG.fullmatch(if_match)
    expected = match.group(1) if match else None
    if current is None:
        raise PreconditionFailedError(f"If-Match {if_match}: the resource does not exist")
    if expected != str(current.version):
        raise PreconditionFailedError(
            f"If-Match {if_match} is stale: the current version is {current.version}"
        )


def _same_content(current: _Current, resource: dict[str, Any]) -> bool:
    if current.json is None:
        return False
    return _without_version(json.loads(current.json)) == _without_version(resource)


def _without_version(resource: dict[str, Any]) -> dict[str, Any]:
    meta = {
        k: v for k, v in resource.get("meta", {}).items() if k not in ("versionId", "lastUpdated")
    }
    return (
        {**resource, "meta": meta} if meta else {k: v for k, v in resource.items() if k != "meta"}
    )


def _version_number(text: str) -> int:
    """A version id as stored (a positive 64-bit integer), or -1: no version has it."""
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return int(text)
    return -1
