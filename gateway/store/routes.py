"""The Starlette app serving the store: one endpoint that hands requests to a worker thread."""

from __future__ import annotations

from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gateway.store.batch import run_batch
from gateway.store.errors import InvalidRequestError, PayloadTooLargeError, StoreError
from gateway.store.exchange import NO_BODY, FhirRequest, error_reply
from gateway.store.interactions import Interactions, parse_json
from gateway.store.repository import FhirStore

FHIR_JSON = "application/fhir+json"
MAX_BODY_BYTES = 32 * 1024 * 1024
_PARSE_INLINE_BYTES = 64 * 1024  # larger JSON bodies are parsed in a worker thread
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


def create_store_app(store: FhirStore) -> Starlette:
    """An ASGI app serving ``store`` as a FHIR R4 server, at whatever path it is mounted."""
    interactions = Interactions(store, batch=run_batch)

    async def endpoint(request: Request) -> Response:
        base = base_url(request)
        try:
            fhir_request = await _read(request)
        except StoreError as exc:
            reply = error_reply(exc.status, exc.outcome())
        else:
            # SQLite calls block: they run in a worker thread, off the event loop.
            reply = await anyio.to_thread.run_sync(interactions.handle, fhir_request, base)
        body = reply.body.encode() if reply.body is not None else b""
        media_type = FHIR_JSON if reply.body is not None else None
        return Response(body, reply.status, headers=reply.headers, media_type=media_type)

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=_METHODS)])


def base_url(request: Request) -> str:
    """The store's base URL as this request reached it: scheme, host, port and mount path."""
    root_path = request.scope.get("root_path", "")
    return str(request.url.replace(path=root_path, query="", fragment="")).rstrip("/?")


async def _read(request: Request) -> FhirRequest:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLargeError(f"Request bodies are limited to {MAX_BODY_BYTES} bytes")
    # Read the stream, not request.body(): a chunked body declares no length, and must be
    # refused once it passes the limit rather than buffered whole.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLargeError(f"Request bodies are limited to {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body: object = NO_BODY
    form: list[tuple[str, str]] = []
    if content_type == "application/x-www-form-urlencoded":
        try:
            form = parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise InvalidRequestError("The form body is not UTF-8") from exc
    elif len(raw) > _PARSE_INLINE_BYTES:
        # Parsing a large body takes long enough to stall other requests on the event loop.
        body = await anyio.to_thread.run_sync(parse_json, raw)
    elif raw.strip():
        body = parse_json(raw)
    return FhirRequest(
        method=request.method,
        path=request.path_params.get("path", ""),
        query=request.query_params.multi_items(),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        form=form,
    )
