"""Bundle JSON (searchset, history, batch-response) assembled around stored resource text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from gateway.fhir import format_instant
from gateway.store.dates import from_ms
from gateway.store.errors import operation_outcome
from gateway.store.search import Entry, SearchResult
from gateway.store.search_request import encode_page_token

# What follows an entry's fullUrl up to its resource.
_MATCH = '","search":{"mode":"match"},"resource":'
_INCLUDE = '","search":{"mode":"include"},"resource":'


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def searchset(result: SearchResult, base: str) -> str:
    request = result.request
    url = f"{base}/{request.resource_type}"
    params = list(request.link_params)
    if request.offset:
        params.append(("_offset", str(request.offset)))
    links = [{"relation": "self", "url": _with_query(url, params)}]
    if result.next_after is not None:
        token = encode_page_token(result.next_after)
        next_params = [*request.link_params, ("_page_token", token)]
        links.append({"relation": "next", "url": _with_query(url, next_params)})
    head: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if result.total is not None:
        head["total"] = result.total
    head["link"] = links
    # Stored types and ids are FHIR's (letters, digits, '-', '.'): only the base needs quoting.
    prefix = dumps(f"{base}/")[:-1]
    entries = [_entry(prefix, e, _MATCH) for e in result.matches]
    entries += [_entry(prefix, e, _INCLUDE) for e in result.included]
    if result.warnings:
        outcome = operation_outcome("warning", "informational", "; ".join(result.warnings))
        entries.append(dumps({"resource": outcome, "search": {"mode": "outcome"}}))
    return _with_entries(head, entries)


def history(base: str, versions: Sequence[Any]) -> str:
    """An instance history Bundle of StoredVersions, newest first."""
    entries = []
    for version in versions:
        full_url = f"{base}/{version.type}/{version.id}"
        meta: dict[str, Any] = {"fullUrl": full_url}
        if version.deleted:
            meta["request"] = {"method": "DELETE", "url": f"{version.type}/{version.id}"}
            meta["response"] = {"status": "410 Gone", "etag": version.etag}
        else:
            method = "POST" if version.version == 1 else "PUT"
            url = version.type if method == "POST" else f"{version.type}/{version.id}"
            meta["request"] = {"method": method, "url": url}
            meta["response"] = {
                "status": "201 Created" if method == "POST" else "200 OK",
                "etag": version.etag,
                "lastModified": format_instant(from_ms(version.last_updated)),
            }
        entries.append(_raw_entry(meta, version.json))
    head = {"resourceType": "Bundle", "type": "history", "total": len(versions)}
    return _with_entries(head, entries)


def batch_response(
    entries: Sequence[tuple[dict[str, Any], str | None]], *, kind: str = "batch-response"
) -> str:
    """A batch- (or transaction-) response Bundle from (response element, resource text) pairs."""
    head = {"resourceType": "Bundle", "type": kind}
    return _with_entries(head, [_raw_entry({"response": r}, text) for r, text in entries])


def _entry(prefix: str, entry: Entry, middle: str) -> str:
    return '{"fullUrl":' + prefix + entry.type + "/" + entry.id + middle + entry.json + "}"


def _raw_entry(meta: dict[str, Any], resource_text: str | None) -> str:
    # The stored JSON text is spliced in as is: parsing and re-serialising it is most of the
    # cost of a large Bundle.
    body = dumps(meta)
    if resource_text is None:
        return body
    return body[:-1] + ',"resource":' + resource_text + "}"


def _with_entries(head: dict[str, Any], entries: list[str]) -> str:
    text = dumps(head)
    if not entries:
        return text
    return text[:-1] + ',"entry":[' + ",".join(entries) + "]}"


def _with_query(url: str, params: Sequence[tuple[str, str]]) -> str:
    return f"{url}?{urlencode(params)}" if params else url
