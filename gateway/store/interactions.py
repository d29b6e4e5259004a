"""The FHIR REST interactions, dispatched from a method and a path relative to the base URL."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Callable
from typing import Any

from gateway.store import bundles
from gateway.store.capability import capability_statement
from gateway.store.dates import format_http_date
from gateway.store.errors import (
    InvalidRequestError,
    MethodNotAllowedError,
    ResourceNotFoundError,
    StoreError,
    operation_outcome,
)
from gateway.store.exchange import NO_BODY, FhirRequest, Handle, Reply, error_reply
from gateway.store.repository import FhirStore, StoredVersion
from gateway.store.transaction import run_transaction

log = logging.getLogger(__name__)

Handler = Callable[[FhirRequest, str, list[str]], Reply]
# Runs a batch Bundle, each entry through the given handle.
BatchRunner = Callable[[Handle, Any, str], Reply]


class Interactions:
    """Every interaction of the store; ``handle`` never raises, errors become OperationOutcomes."""

    def __init__(self, store: FhirStore, *, batch: BatchRunner) -> None:
        self.store = store
        self._batch = batch
        self._routes: dict[str, dict[str, Handler]] = {
            "system": {"POST": self._run_batch},
            "metadata": {"GET": self._metadata},
            "type": {"GET": self._search, "POST": self._create},
            "search": {"POST": self._search},
            "instance": {"GET": self._read, "PUT": self._update, "DELETE": self._delete},
            "history": {"GET": self._history},
            "version": {"GET": self._vread},
        }

    def handle(self, request: FhirRequest, base: str) -> Reply:
        try:
            return self._dispatch(request, base)
        except StoreError as exc:
            return error_reply(exc.status, exc.outcome())
        except Exception as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                # Another process held the write lock past the busy timeout.
                outcome = operation_outcome("error", "transient", "The store is busy; retry")
                reply = error_reply(503, outcome)
                reply.headers["Retry-After"] = "1"
                return reply
            log.exception("embedded FHIR store failed on %s", request.method)
            outcome = operation_outcome("fatal", "exception", "Internal error in the FHIR store")
            return error_reply(500, outcome)

    def _dispatch(self, request: FhirRequest, base: str) -> Reply:
        segments = request.path.strip("/").split("/") if request.path.strip("/") else []
        key = _endpoint(segments)
        if key is None:
            raise ResourceNotFoundError(f"No FHIR endpoint at {request.path!r}")
        methods = self._routes[key]
        method = request.method.upper()
        if method == "HEAD" and "GET" in methods:
            reply = methods["GET"](request, base, segments)
            return Reply(reply.status, None, reply.headers)
        handler = methods.get(method)
        if handler is None:
            error = MethodNotAllowedError(f"{request.method} is not allowed on {request.path!r}")
            reply = error_reply(405, error.outcome())
            reply.headers["Allow"] = ", ".join(methods)
            return reply
        return handler(request, base, segments)

    def _metadata(self, request: FhirRequest, base: str, segments: list[str]) -> Reply:
        return Reply(200, bundles.dumps(capability_statement(base, "0.1.0")))

    def _run_batch(self, request: FhirRequest, base: str, segments: list[str]) -> Reply:
        bundle = _json_body(request)
        if isinstance(bundle, dict) and bundle.get("type") == "transaction":
            return run_transaction(self.store, bundle, base)
        return self._batch(self.handle, bundle, base)

    def _search(self, request: FhirRequest, base: str, segments: list[str]) -> Reply:
        params = [*request.query, *request.form]
        result = self.store.search(segments[0], params, base_url=base)
        return Reply(200, bundles.searchset(result, base))

    def _create(self, request: FhirRequest, base: str, segments: list[str]) -> Reply:
        criteria = request.headers.get("if-none-exist")
        if criteria is None:
            stored, created = self.store.create(segments[0], _json_body(request)), True
        else:
            stored, created = self.store.create_unless_exists(
                segments[0], _json_body(request), criteria
            )
        return _resource_reply(201 if created else 200, stored, base, request, location=created)

    def _read(self, request: FhirRequest, base: str, segments: list[str]) -> Reply:
        return _resource_reply(200, self.store.read(segments[0], segments[1]), base, request)

    def _vread(self, request: FhirRequest, base: str, segments: list[str]) -> Reply:
        stored = self.store.vread(segments[0], segments[1], segments[3])
        return _resource_reply(200, stored, base, request)

    def _update(self, request: FhirRequest, base: str, segments: list[str]) -> Reply:
        stored, created = self.store.update(
            segments[0], segments[1], _json_body(request), if_match=request.headers.get("if-match")
        )
        return _resource_reply(201 if created else 200, stored, base, request, location=True)

    def _delete(self, request: FhirRequest, base: str, segments: list[str]) -> Reply:
        stored = self.store.delete(
            segments[0], segments[1], if_match=request.headers.get("if-match")
        )
        return Reply(204, None, {"ETag": stored.etag})

    def _history(self, request: FhirRequest, base: str, segments: list[str]) -> Reply:
        return Reply(200, bundles.history(base, self.store.history(segments[0], segments[1])))


def _endpoint(segments: list[str]) -> str | None:
    if any(not s for s in segments):
        return None
    if len(segments) <= 1:
        return {0: "system", 1: "metadata" if segments == ["metadata"] else "type"}[len(segments)]
    if len(segments) == 2:
        return "search" if segments[1] == "_search" else "instance"
    if segments[2] != "_history":
        return None
    return {3: "history", 4: "version"}.get(len(segments))


def _json_body(request: FhirRequest) -> Any:
    if request.body is NO_BODY:
        raise InvalidRequestError("This interaction needs a JSON request body")
    return request.body


def _resource_reply(
    status: int, stored: StoredVersion, base: str, request: FhirRequest, *, location: bool = False
) -> Reply:
    headers = {"ETag": stored.etag, "Last-Modified": format_http_date(stored.last_updated)}
    if location:
        headers["Location"] = f"{base}/{stored.location}"
    minimal = "return=minimal" in request.headers.get("prefer", "")
    return Reply(status, None if minimal else stored.json, headers)


def parse_json(raw: bytes) -> Any:
    """A request body as JSON; NaN and Infinity are not JSON and are refused."""

    def refuse(name: str) -> Any:
        raise InvalidRequestError(f"{name} is not allowed in JSON")

    try:
        value = json.loads(raw, parse_constant=refuse)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequestError("The request body is not valid JSON") from exc
    except RecursionError as exc:
        raise InvalidRequestError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from exc
    _check_tree(value)
    return value


MAX_JSON_DEPTH = 100
_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_tree(value: Any) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH (later steps recurse over it) and strings
    with lone surrogates ('\\ud800' parses, but is not text UTF-8 can store)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InvalidRequestError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, item in items:
                if isinstance(key, str) and _SURROGATE.search(key):
                    raise InvalidRequestError("A JSON string holds a lone surrogate (not text)")
                stack.append((item, depth + 1))
        elif isinstance(node, str) and _SURROGATE.search(node):
            raise InvalidRequestError("A JSON string holds a lone surrogate (not text)")
