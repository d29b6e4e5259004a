"""An in-memory FHIR server of Task versions with set lastUpdated stamps, for the poller's
paging and window tests: Task search by _lastUpdated, and Task/_history with _since."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx2

from gateway.fhir import FhirClient, format_instant, parse_datetime

BASE = "https://fhir.example.org/R4/"
T0 = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass
class Version:
    task_id: str
    version: int
    stamp: datetime
    deleted: bool = False


@dataclass
class FakeServer:
    """Holds versions; answers what the poller asks, newest first for history as R4 says."""

    versions: list[Version] = field(default_factory=list)
    requests: list[httpx2.URL] = field(default_factory=list)
    down: bool = False
    # Where history's next links point (a server behind a proxy names another host).
    next_base: str = BASE

    def write(self, task_id: str, seconds: float, *, deleted: bool = False) -> Version:
        number = 1 + sum(1 for v in self.versions if v.task_id == task_id)
        version = Version(task_id, number, T0 + timedelta(seconds=seconds), deleted)
        self.versions.append(version)
        return version

    def client(self) -> FhirClient:
        http = httpx2.AsyncClient(base_url=BASE, transport=httpx2.MockTransport(self.answer))
        return FhirClient(http, BASE, total_timeout=5.0)

    def answer(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request.url)
        if self.down:
            return httpx2.Response(503, json={"resourceType": "OperationOutcome"})
        params = dict(request.url.params)
        if request.url.path.endswith("/Task/_history"):
            return self._history(params)
        if request.url.path.endswith("/Task"):
            return self._search(params)
        return httpx2.Response(404)

    def _current(self) -> list[Version]:
        latest: dict[str, Version] = {}
        for version in self.versions:
            latest[version.task_id] = version
        return [v for v in latest.values() if not v.deleted]

    def _search(self, params: dict[str, str]) -> httpx2.Response:
        found = self._current()
        bound = params.get("_lastUpdated")
        if bound is not None:
            at = parse_datetime(bound[2:]).earliest()
            found = [v for v in found if (v.stamp > at if bound[:2] == "gt" else v.stamp >= at)]
        newest_first = params.get("_sort") == "-_lastUpdated"
        found.sort(key=lambda v: (v.stamp, v.task_id), reverse=newest_first)
        offset, count = int(params.get("_offset", 0)), int(params["_count"])
        page = found[offset : offset + count]
        entries = [{"resource": _resource(v), "search": {"mode": "match"}} for v in page]
        return _bundle("searchset", entries, [])

    def _history(self, params: dict[str, str]) -> httpx2.Response:
        found = list(reversed(self.versions))  # newest first, also within one stamp
        if "_since" in params:
            since = parse_datetime(params["_since"]).earliest()
            found = [v for v in found if v.stamp >= since]
        found.sort(key=lambda v: v.stamp, reverse=True)
        page, count = int(params.get("_page", 0)), int(params["_count"])
        entries = [_history_entry(v) for v in found[page * count : (page + 1) * count]]
        links = []
        if (page + 1) * count < len(found):
            query = urlencode({**params, "_page": str(page + 1)})
            links.append({"relation": "next", "url": f"{self.next_base}Task/_history?{query}"})
        return _bundle("history", entries, links)


def _resource(version: Version) -> dict[str, Any]:
    return {
        "resourceType": "Task",
        "id": version.task_id,
        "meta": {"versionId": str(version.version), "lastUpdated": format_instant(version.stamp)},
        "status": "requested",
        "intent": "order",
    }


def _history_entry(version: Version) -> dict[str, Any]:
    if version.deleted:
        return {
            "request": {"method": "DELETE", "url": f"Task/{version.task_id}"},
            "response": {
                "status": "204",
                "etag": f'W/"{version.version}"',
                "lastModified": format_instant(version.stamp),
            },
        }
    method = "POST" if version.version == 1 else "PUT"
    return {
        "resource": _resource(version),
        "request": {"method": method, "url": f"Task/{version.task_id}"},
    }


def _bundle(kind: str, entries: list[Any], links: list[Any]) -> httpx2.Response:
    body = {"resourceType": "Bundle", "type": kind, "entry": entries, "link": links}
    return httpx2.Response(
        200, content=json.dumps(body), headers={"Content-Type": "application/fhir+json"}
    )
