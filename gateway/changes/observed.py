"""Task versions as a FHIR server lists them (search matches, history entries), made events."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from gateway.changes.events import ChangeKind, TaskChangeEvent
from gateway.fhir import DateTimeFormatError, is_valid_id, parse_datetime

# 'Task/abc', 'Task/abc/_history/3', or a full URL ending so.
_TASK_URL = re.compile(r"(?:^|/)Task/([A-Za-z0-9\-.]{1,64})(?:/_history/([A-Za-z0-9\-.]{1,64}))?$")
_ETAG = re.compile(r'^(?:W/)?"([^"]+)"$')


@dataclass(frozen=True, slots=True)
class Observed:
    """One Task version a poll saw, with the server's lastUpdated that orders it."""

    event: TaskChangeEvent
    last_updated: datetime

    @property
    def key(self) -> str:
        return f"{self.event.task_id}/{self.event.version_id}"


def from_match(resource: dict[str, Any], now: datetime | None = None) -> Observed | None:
    """A search match: the Task's current version (CREATED when it is version 1)."""
    meta = _object(resource.get("meta"))
    version, task_id = meta.get("versionId"), resource.get("id")
    stamp = _instant(meta.get("lastUpdated"))
    if resource.get("resourceType") != "Task" or stamp is None:
        return None
    if not isinstance(task_id, str) or not _is_id(task_id) or not _is_id(version):
        return None
    kind: ChangeKind = "CREATED" if version == "1" else "UPDATED"
    return _observed(task_id, version, kind, resource, stamp, now)


def from_history_entry(entry: Any, now: datetime | None = None) -> Observed | None:
    """A history Bundle entry: the method says the kind; a DELETE may carry no resource."""
    if not isinstance(entry, dict):
        return None
    request, response = _object(entry.get("request")), _object(entry.get("response"))
    method = str(request.get("method", "")).upper()
    resource = entry.get("resource")
    if method != "DELETE" and isinstance(resource, dict):
        found = from_match(resource, now)
        if found is None or method not in ("POST", "PUT", "PATCH"):
            return found
        kind: ChangeKind = "CREATED" if method == "POST" else "UPDATED"
        event = found.event
        return _observed(event.task_id, event.version_id, kind, resource, found.last_updated, now)
    if method != "DELETE":
        return None
    task_id, version = _from_url(str(request.get("url") or entry.get("fullUrl") or ""))
    if version is None:
        etag = _ETAG.match(str(response.get("etag", "")))
        version = etag.group(1) if etag else None
    stamp = _instant(response.get("lastModified"))
    if task_id is None or not _is_id(version) or stamp is None:
        return None
    return _observed(task_id, version, "DELETED", None, stamp, now)


def _observed(
    task_id: str,
    version: str | None,
    kind: ChangeKind,
    task: dict[str, Any] | None,
    stamp: datetime,
    now: datetime | None,
) -> Observed:
    event = TaskChangeEvent(task_id, version, kind, task, now or datetime.now(UTC))
    return Observed(event, stamp)


def _from_url(url: str) -> tuple[str | None, str | None]:
    match = _TASK_URL.search(url)
    return (match.group(1), match.group(2)) if match else (None, None)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and is_valid_id(value)


def _instant(value: Any) -> datetime | None:
    """An aware datetime from a FHIR instant or an HTTP date (history's lastModified)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = parse_datetime(value)
    except DateTimeFormatError:
        return _http_date(value)
    return parsed.earliest() if parsed.is_instant else None


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
