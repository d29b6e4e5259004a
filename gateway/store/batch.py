"""Batch Bundles: every entry runs as its own interaction and answers in its own entry."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gateway.store import bundles
from gateway.store.errors import InvalidRequestError, operation_outcome
from gateway.store.exchange import NO_BODY, FhirRequest, Handle, Reply

MAX_ENTRIES = 100
# What the answers of one batch may add up to (their JSON); entries past it are not run.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024
_METHODS = frozenset({"GET", "POST", "PUT", "DELETE"})


def run_batch(handle: Handle, bundle: Any, base: str) -> Reply:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidRequestError(
            "POST to the base URL takes a Bundle of type batch or transaction"
        )
    if bundle.get("type") != "batch":
        raise InvalidRequestError(f"Bundle type {bundle.get('type')!r} cannot be processed")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise InvalidRequestError(f"A batch holds a list of at most {MAX_ENTRIES} entries")
    answers = []
    spent = 0
    for entry in entries:
        if spent > MAX_RESPONSE_BYTES:
            answers.append(
                _failure(
                    413,
                    f"Not run: the batch's answers passed {MAX_RESPONSE_BYTES} bytes; "
                    "send the rest in another batch",
                )
            )
            continue
        answer = _answer(handle, entry, base)
        spent += len(answer[1] or "")
        answers.append(answer)
    return Reply(200, bundles.batch_response(answers))


def _answer(handle: Handle, entry: Any, base: str) -> tuple[dict[str, Any], str | None]:
    request = entry.get("request") if isinstance(entry, dict) else None
    method = request.get("method") if isinstance(request, dict) else None
    url = request.get("url") if isinstance(request, dict) else None
    if not isinstance(request, dict) or method not in _METHODS or not isinstance(url, str):
        return _failure(
            400, "Each batch entry needs request.method (GET, POST, PUT, DELETE) and url"
        )
    parts = urlsplit(url)
    path = parts.path
    if parts.scheme:
        if not url.startswith(base + "/"):
            return _failure(400, f"Batch entry url {url!r} is not on this server")
        path = urlsplit(url[len(base) + 1 :]).path
    if not path.strip("/"):
        return _failure(400, "A batch entry cannot be another batch")
    headers = {}
    for element, header in (("ifMatch", "if-match"), ("ifNoneExist", "if-none-exist")):
        if isinstance(request.get(element), str):
            headers[header] = request[element]
    reply = handle(
        FhirRequest(
            method,
            path,
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers=headers,
            body=entry.get("resource", NO_BODY),
        ),
        base,
    )
    response: dict[str, Any] = {"status": f"{reply.status} {HTTPStatus(reply.status).phrase}"}
    for element, header in (("location", "Location"), ("etag", "ETag")):
        if header in reply.headers:
            response[element] = reply.headers[header]
    if reply.status >= 400 and reply.body is not None:
        response["outcome"] = json.loads(reply.body)
    return response, reply.body


def _failure(status: int, diagnostics: str) -> tuple[dict[str, Any], str | None]:
    outcome = operation_outcome("error", "invalid", diagnostics)
    response = {"status": f"{status} {HTTPStatus(status).phrase}", "outcome": outcome}
    return response, bundles.dumps(outcome)
