"""FhirStore: versioned create, read, update, delete and history of resources on SQLite."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.store.database import Database
from gateway.store.dates import format_instant, now_ms
from gateway.store.errors import (
    PreconditionFailedError,
    ResourceGoneError,
    ResourceNotFoundError,
    UnprocessableEntityError,
)
from gateway.store.indexing import IndexEntries, IndexValueError, extract
from gateway.store.search import SearchResult, run_search
from gateway.store.search_params import SORT_TABLES
from gateway.store.search_request import parse_search
from gateway.store.validation import check_id, check_resource, check_type

_ETAG = re.compile(r'\s*(?:W/)?"?([^"]*)"?\s*')
_INDEX_TABLES = ("token_idx", "reference_idx", "date_idx", "string_idx", "number_idx")


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
        return cls(Database.open(path))

    def close(self) -> None:
        self._db.close()

    def is_empty(self) -> bool:
        with self._db.read() as connection:
            return connection.execute("SELECT 1 FROM resources LIMIT 1").fetchone() is None

    def create(self, resource_type: str, body: Any) -> StoredVersion:
        check_type(resource_type)
        resource = check_resource(resource_type, body)
        resource = {**resource, "id": str(uuid.uuid4())}
        entries = _index(resource_type, resource)
        with self._db.write() as connection:
            return self._write(connection, resource_type, resource, entries, None)

    def update(
        self, resource_type: str, resource_id: str, body: Any, *, if_match: str | None = None
    ) -> tuple[StoredVersion, bool]:
        """Update or create ``resource_id``; True when it was created (or undeleted)."""
        check_type(resource_type)
        check_id(resource_id)
        resource = check_resource(resource_type, body, url_id=resource_id)
        entries = _index(resource_type, resource)
        with self._db.write() as connection:
            current = _current(connection, resource_type, resource_id)
            _check_precondition(current, if_match)
            if current is not None and not current.deleted and _same_content(current, resource):
                return _version_of(resource_type, resource_id, current), False
            stored = self._write(connection, resource_type, resource, entries, current)
        return stored, current is None or current.deleted

    def load(self, resources: Iterable[Any]) -> int:
        """Create or update every resource under its own id in one transaction (seeding, bulk)."""
        prepared = []
        for body in resources:
            resource_type = body.get("resourceType", "") if isinstance(body, dict) else ""
            check_type(resource_type)
            check_id(str(body.get("id")))
            resource = check_resource(resource_type, body, url_id=body["id"])
            prepared.append((resource_type, resource, _index(resource_type, resource)))
        written = 0
        with self._db.write() as connection:
            for resource_type, resource, entries in prepared:
                current = _current(connection, resource_type, resource["id"])
                if current is not None and not current.deleted and _same_content(current, resource):
                    continue
                self._write(connection, resource_type, resource, entries, current)
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
        versions = [
            v for v in self.history(resource_type, resource_id) if str(v.version) == version
        ]
        if not versions:
            raise ResourceNotFoundError(f"{resource_type}/{resource_id} has no version {version!r}")
        if versions[0].deleted:
            raise ResourceGoneError(
                f"Version {version} of {resource_type}/{resource_id} is a deletion"
            )
        return versions[0]

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
        with self._db.write() as connection:
            current = _current(connection, resource_type, resource_id)
            if current is None:
                raise ResourceNotFoundError(f"{resource_type}/{resource_id} is not known")
            _check_precondition(current, if_match)
            if current.deleted:
                return _version_of(resource_type, resource_id, current)
            return self._write(connection, resource_type, None, None, current, resource_id)

    def search(
        self, resource_type: str, params: Sequence[tuple[str, str]], *, base_url: str | None = None
    ) -> SearchResult:
        check_type(resource_type)
        request = parse_search(resource_type, params, base_url=base_url)
        with self._db.read() as connection:
            return run_search(connection, self._db.param_ids, request)

    def _write(
        self,
        connection: sqlite3.Connection,
        resource_type: str,
        resource: dict[str, Any] | None,
        entries: IndexEntries | None,
        current: _Current | None,
        deleted_id: str | None = None,
    ) -> StoredVersion:
        resource_id = resource["id"] if resource is not None else str(deleted_id)
        version = current.version + 1 if current else 1
        updated = max(now_ms(), current.last_updated + 1) if current else now_ms()
        text = None
        if resource is not None:
            meta = {**resource.get("meta", {}), "versionId": str(version)}
            meta["lastUpdated"] = format_instant(updated)
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
        self._reindex(connection, resource_type, rid, entries, fresh=current is None)
        return StoredVersion(resource_type, resource_id, version, updated, bool(deleted), text)

    def _reindex(
        self,
        connection: sqlite3.Connection,
        resource_type: str,
        rid: int,
        entries: IndexEntries | None,
        *,
        fresh: bool,
    ) -> None:
        sort_table = SORT_TABLES.get(resource_type)
        if not fresh:
            for table in _INDEX_TABLES:
                connection.execute(f"DELETE FROM {table} WHERE rid = ?", (rid,))
            if sort_table:
                connection.execute(f"DELETE FROM {sort_table} WHERE rid = ?", (rid,))
        if entries is None:
            return
        pid = self._db.param_ids
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
                f"INSERT INTO {sort_table} (rid, {', '.join(columns)}) "
                f"VALUES (?{', ?' * len(columns)})",
                (rid, *(entries.sort[c] for c in columns)),
            )


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
