"""Transaction Bundles: every entry written in one SQLite transaction, or none of them."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from gateway.fhir import format_instant
from gateway.store import bundles
from gateway.store.batch import MAX_ENTRIES
from gateway.store.dates import from_ms
from gateway.store.errors import InvalidRequestError
from gateway.store.exchange import Reply
from gateway.store.repository import FhirStore, StoredVersion, StoreTransaction
from gateway.store.validation import check_id, check_type

# FHIR R4 transaction processing order (http.html#trules): deletes, creates, updates. A
# Provenance goes after the entries it records, so that its target can name their versions.
_ORDER = {"DELETE": 0, "POST": 1, "PUT": 2}


@dataclass
class _Entry:
    index: int
    method: str
    type: str
    id: str
    full_url: str | None
    resource: Any
    if_match: str | None

    @property
    def rank(self) -> tuple[int, int, int]:
        records = isinstance(self.resource, dict) and self.resource.get("resourceType") == (
            "Provenance"
        )
        return (int(records), _ORDER[self.method], self.index)


def run_transaction(store: FhirStore, bundle: Any, base: str) -> Reply:
    """Apply a transaction Bundle all or nothing; the first failing entry fails the whole
    Bundle with that entry's status and OperationOutcome (raised as its StoreError).

    References to an entry's fullUrl (``urn:uuid:...``) become ``Type/id``; in a
    Provenance.target they name the version the entry wrote (``Type/id/_history/n``), as
    servers that auto-version Provenance targets do.
    """
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidRequestError("POST to the base URL takes a batch or transaction Bundle")
    raw = bundle.get("entry") or []
    if not isinstance(raw, list) or len(raw) > MAX_ENTRIES:
        raise InvalidRequestError(f"A transaction holds a list of at most {MAX_ENTRIES} entries")
    entries = [_parse(index, entry, base) for index, entry in enumerate(raw)]
    names = {e.full_url: f"{e.type}/{e.id}" for e in entries if e.full_url}
    if len(names) != sum(1 for e in entries if e.full_url):
        raise InvalidRequestError("Two transaction entries share a fullUrl")
    written: dict[int, tuple[StoredVersion, bool]] = {}
    versions: dict[str, str] = {}
    with store.transaction() as writes:
        for entry in sorted(entries, key=lambda e: e.rank):
            resource = _resolved(entry.resource, names, versions)
            written[entry.index] = _apply(writes, entry, resource)
            stored = written[entry.index][0]
            if entry.full_url:
                versions[entry.full_url] = f"{entry.type}/{entry.id}/_history/{stored.version}"
    answers = [_answer(entries[i], *written[i], base) for i in range(len(entries))]
    return Reply(200, _response(answers))


def _parse(index: int, entry: Any, base: str) -> _Entry:
    request = entry.get("request") if isinstance(entry, dict) else None
    method = request.get("method") if isinstance(request, dict) else None
    url = request.get("url") if isinstance(request, dict) else None
    if not isinstance(request, dict) or method not in _ORDER or not isinstance(url, str):
        raise InvalidRequestError(
            f"Transaction entry {index}: request.method must be POST, PUT or DELETE, with a url"
        )
    if "ifNoneExist" in request or "ifNoneMatch" in request or "ifModifiedSince" in request:
        raise InvalidRequestError(
            f"Transaction entry {index}: conditional writes are not supported"
        )
    parts = urlsplit(url)
    path = parts.path
    if parts.scheme:
        if not url.startswith(base + "/"):
            raise InvalidRequestError(f"Transaction entry {index}: the url is not on this server")
        path = url[len(base) + 1 :]
    if parts.query:
        raise InvalidRequestError(f"Transaction entry {index}: conditional urls are not supported")
    segments = path.strip("/").split("/")
    full_url = entry.get("fullUrl")
    if full_url is not None and not isinstance(full_url, str):
        raise InvalidRequestError(f"Transaction entry {index}: fullUrl must be a string")
    if_match = request.get("ifMatch")
    if if_match is not None and not isinstance(if_match, str):
        raise InvalidRequestError(f"Transaction entry {index}: ifMatch must be a string")
    if method == "POST" and len(segments) == 1:
        check_type(segments[0])
        return _Entry(index, method, segments[0], str(uuid.uuid4()), full_url, _body(entry), None)
    if method in ("PUT", "DELETE") and len(segments) == 2:
        check_type(segments[0])
        check_id(segments[1])
        body = _body(entry) if method == "PUT" else None
        return _Entry(index, method, segments[0], segments[1], full_url, body, if_match)
    raise InvalidRequestError(f"Transaction entry {index}: {method} {path!r} is not supported")


def _body(entry: dict[str, Any]) -> Any:
    if "resource" not in entry:
        raise InvalidRequestError("A POST or PUT transaction entry needs a resource")
    return entry["resource"]


def _resolved(resource: Any, names: dict[str, str], versions: dict[str, str]) -> Any:
    if not isinstance(resource, dict) or not names:
        return resource
    resolved: dict[str, Any] = copy.deepcopy(resource)
    if resolved.get("resourceType") == "Provenance" and isinstance(resolved.get("target"), list):
        for target in resolved["target"]:
            text = target.get("reference") if isinstance(target, dict) else None
            if isinstance(text, str) and text in versions:
                target["reference"] = versions[text]
    _replace(resolved, names)
    return resolved


def _replace(node: Any, names: dict[str, str]) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            text = item.get("reference")
            if isinstance(text, str) and text in names:
                item["reference"] = names[text]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _apply(writes: StoreTransaction, entry: _Entry, resource: Any) -> tuple[StoredVersion, bool]:
    if entry.method == "POST":
        return writes.create(entry.type, resource, resource_id=entry.id), True
    if entry.method == "PUT":
        return writes.update(entry.type, entry.id, resource, if_match=entry.if_match)
    return writes.delete(entry.type, entry.id, if_match=entry.if_match), False


def _answer(
    entry: _Entry, stored: StoredVersion, created: bool, base: str
) -> tuple[dict[str, Any], str | None]:
    status = 204 if entry.method == "DELETE" else 201 if created else 200
    response: dict[str, Any] = {
        "status": f"{status} {HTTPStatus(status).phrase}",
        "etag": stored.etag,
        "lastModified": format_instant(from_ms(stored.last_updated)),
    }
    if entry.method != "DELETE":
        response["location"] = f"{base}/{stored.location}"
    return response, stored.json if entry.method != "DELETE" else None


def _response(answers: list[tuple[dict[str, Any], str | None]]) -> str:
    return bundles.batch_response(answers, kind="transaction-response")
