"""FhirClient: the one way to a FHIR server, for reads, searches and versioned writes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import httpx2
import orjson

from gateway.fhir.bundles import Resource, SearchPage, parse_searchset
from gateway.fhir.credentials import BearerAuth, caller_bearer
from gateway.fhir.errors import (
    FhirError,
    FhirResponseError,
    error_for_response,
    error_for_transport,
)
from gateway.fhir.references import Ref, same_origin_and_prefix, validate_id, validate_type
from gateway.limits import (
    DEFAULT_RETRY_PAUSE_S,
    MAX_QUERY_CHARS,
    MAX_RETRY_PAUSE_S,
    SEARCH_ALL_MAX_PAGES,
    SEARCH_ALL_PAGE_SIZE,
)

log = logging.getLogger("gateway.fhir")

FHIR_JSON = "application/fhir+json"

Params = Sequence[tuple[str, str]]
# (operation, outcome: HTTP status or error code, seconds) of each FHIR request.
FhirObserver = Callable[[str, str, float], None]


def version_of(resource: Resource) -> str | None:
    meta = resource.get("meta")
    version = meta.get("versionId") if isinstance(meta, dict) else None
    return version if isinstance(version, str) else None


class FhirClient:
    """Reads and writes one FHIR R4 server through one shared httpx2.AsyncClient.

    Every URL is built from validated types and ids, or is a link the server gave that
    lies under the configured base. Failures leave as FhirError subclasses (gateway.fhir.errors).
    """

    def __init__(
        self,
        http: httpx2.AsyncClient,
        base_url: str,
        *,
        total_timeout: float,
        observe: FhirObserver | None = None,
        auth: httpx2.Auth | None = None,
        callers: bool = False,
    ) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/") + "/"
        self._total_timeout = total_timeout
        self._observe = observe
        # Credentials go per request, so a view for one caller shares the pool and no state.
        self._auth = auth
        self._callers = callers

    def as_caller(self, authorization: str | None) -> FhirClient:
        """A view of this client for one request that sends the caller's own bearer token
        (GATEWAY_FHIR_AUTH=passthrough); the server's 401/403 are then the caller's."""
        token = caller_bearer(authorization)
        auth = BearerAuth(token, self.base_url) if token is not None else None
        return FhirClient(
            self._http,
            self.base_url,
            total_timeout=self._total_timeout,
            observe=self._observe,
            auth=auth,
            callers=True,
        )

    async def read(self, ref: Ref) -> Resource:
        """The current version; FhirNotFoundError when absent or deleted."""
        return await self._json("GET", ref.path, label=f"read {ref.type}")

    async def search(self, resource_type: str, params: Params) -> SearchPage:
        """One page of ``[type]?params``; as POST ``_search`` when the query is long."""
        validate_type(resource_type)
        query = urlencode(list(params))
        label = f"search {resource_type}"
        if len(query) > MAX_QUERY_CHARS:
            body = await self._json(
                "POST",
                f"{resource_type}/_search",
                label=label,
                content=query.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        else:
            body = await self._json("GET", f"{resource_type}?{query}", label=label)
        return self._searchset(body, resource_type)

    async def search_next(self, next_url: str, resource_type: str) -> SearchPage:
        """Follow a server's ``next`` link, only when it lies under the configured base."""
        if not same_origin_and_prefix(next_url, self.base_url):
            raise FhirResponseError("The FHIR server gave a next link outside its base URL")
        body = await self._json("GET", next_url, label=f"search {resource_type} next")
        return self._searchset(body, resource_type)

    async def search_all(
        self, resource_type: str, params: Params, *, max_matches: int | None = None
    ) -> SearchPage:
        """Every match of a search, following next links, or _offset on servers with no links.

        With ``max_matches``, reading stops once more than that many matches are in: a caller
        that gets more than it allowed knows the search has more, without reading them all.
        """
        page_size = SEARCH_ALL_PAGE_SIZE
        if max_matches is not None:
            page_size = min(page_size, max_matches + 1)
        query = [*params, ("_count", str(page_size))]
        page = await self.search(resource_type, query)
        matches, included = list(page.matches), list(page.included)
        pages = 1
        while (max_matches is None or len(matches) <= max_matches) and (
            page.next_url or (not page.has_links and len(page.matches) >= page_size)
        ):
            if pages >= SEARCH_ALL_MAX_PAGES:
                raise FhirResponseError("The FHIR search has more results than the gateway pages")
            if page.next_url:
                page = await self.search_next(page.next_url, resource_type)
            else:
                offset = str(pages * page_size)
                page = await self.search(resource_type, [*query, ("_offset", offset)])
            pages += 1
            matches.extend(page.matches)
            included.extend(page.included)
        return SearchPage(matches=matches, included=included, total=len(matches))

    async def create(self, resource: Resource) -> Resource:
        resource_type = validate_type(str(resource.get("resourceType", "")))
        return await self._json(
            "POST", resource_type, label=f"create {resource_type}", json=resource
        )

    async def update(self, resource: Resource, *, if_match: str | None = None) -> Resource:
        """PUT the resource; with ``if_match`` a stale version is a FhirConflictError."""
        ref = Ref(str(resource.get("resourceType", "")), str(resource.get("id", "")))
        headers = {"If-Match": f'W/"{validate_id(if_match)}"'} if if_match is not None else {}
        return await self._json(
            "PUT", ref.path, label=f"update {ref.type}", json=resource, headers=headers
        )

    async def transaction(self, entries: Sequence[Resource]) -> list[Resource]:
        """Send entries as one transaction Bundle; the resources written, in entry order.

        Whether the server applies them all or nothing is its own trait (ServerProfile).
        A stale ``ifMatch`` in any entry fails the whole Bundle as FhirConflictError.
        """
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": list(entries)}
        body = await self._json("POST", self.base_url, label="transaction", json=bundle)
        answers = body.get("entry")
        if body.get("type") != "transaction-response" or not isinstance(answers, list):
            raise FhirResponseError("The FHIR server answered a transaction with no response")
        written = [a.get("resource") if isinstance(a, dict) else None for a in answers]
        if len(written) != len(entries) or not all(isinstance(r, dict) for r in written):
            raise FhirResponseError("The FHIR server's transaction response lacks resources")
        return [r for r in written if isinstance(r, dict)]

    async def history(self, ref: Ref) -> list[Resource]:
        body = await self._json("GET", f"{ref.path}/_history", label=f"history {ref.type}")
        return [
            entry["resource"]
            for entry in body.get("entry") or []
            if isinstance(entry, dict) and isinstance(entry.get("resource"), dict)
        ]

    async def type_history(self, resource_type: str, params: Params) -> Resource:
        """One page of ``[type]/_history?params`` as the server's Bundle (newest first)."""
        validate_type(resource_type)
        query = urlencode(list(params))
        url = f"{resource_type}/_history?{query}" if query else f"{resource_type}/_history"
        return await self._json("GET", url, label=f"history {resource_type}")

    async def history_next(self, next_url: str, resource_type: str) -> Resource:
        """Follow a history Bundle's ``next`` link, only when it lies under the configured base."""
        if not same_origin_and_prefix(next_url, self.base_url):
            raise FhirResponseError("The FHIR server gave a next link outside its base URL")
        return await self._json("GET", next_url, label=f"history {resource_type} next")

    async def capabilities(self) -> Resource:
        return await self._json("GET", "metadata", label="metadata")

    def _searchset(self, body: Resource, resource_type: str) -> SearchPage:
        try:
            return parse_searchset(body, resource_type)
        except ValueError as exc:
            raise FhirResponseError("The FHIR server answered a search with no Bundle") from exc

    async def _json(self, method: str, url: str, *, label: str, **kwargs: Any) -> Resource:
        response = await self._send(method, url, label=label, **kwargs)
        body = _decode(response)
        if not isinstance(body, dict):
            raise FhirResponseError("The FHIR server answered with no JSON resource")
        return body

    async def _send(self, method: str, url: str, *, label: str, **kwargs: Any) -> httpx2.Response:
        started = time.perf_counter()
        headers = {"Accept": FHIR_JSON, **kwargs.pop("headers", {})}
        if "json" in kwargs:
            headers.setdefault("Content-Type", FHIR_JSON)
        kwargs["auth"] = self._auth
        try:
            async with asyncio.timeout(self._total_timeout):
                response = await self._http.request(method, url, headers=headers, **kwargs)
                pause = _retry_pause(method, response)
                if pause is not None:
                    log.info("fhir %s answered %d: one retry", label, response.status_code)
                    await asyncio.sleep(pause)
                    response = await self._http.request(method, url, headers=headers, **kwargs)
        except FhirError as exc:
            # The token endpoint failed inside the auth flow: already logged there.
            self._record(label, exc.kind, started)
            raise
        except (httpx2.HTTPError, TimeoutError) as exc:
            mapped = error_for_transport(exc)
            log.warning("fhir %s failed: %s", label, mapped.kind)
            self._record(label, mapped.kind, started)
            raise mapped from exc
        elapsed = self._record(label, str(response.status_code), started)
        # Only the operation and status are logged: URLs carry ids and search values (PHI).
        log.debug("fhir %s -> %d in %.1f ms", label, response.status_code, elapsed * 1000)
        if response.is_success:
            return response
        raise error_for_response(response, callers=self._callers)

    def _record(self, label: str, outcome: str, started: float) -> float:
        elapsed = time.perf_counter() - started
        if self._observe is not None:
            # The operation kind only ('search', 'read', ...): type names can come from clients.
            self._observe(label.split(" ", 1)[0], outcome, elapsed)
        return elapsed


def _retry_pause(method: str, response: httpx2.Response) -> float | None:
    """Seconds to wait before the one retry of a read the server turned away for a moment.

    Only GETs are retried (a write is never repeated behind the client's back), only on
    429/503, and only when Retry-After is short; otherwise the caller gets THROTTLED or
    UPSTREAM_UNAVAILABLE at once and decides.
    """
    if method != "GET" or response.status_code not in (429, 503):
        return None
    value = response.headers.get("Retry-After", "")
    if not value:
        return DEFAULT_RETRY_PAUSE_S
    if value.isdigit() and int(value) <= MAX_RETRY_PAUSE_S:
        return float(value)
    return None


def _decode(response: httpx2.Response) -> Any:
    if not response.content:
        return None
    try:
        # orjson reads a page of Tasks ~5x faster; what it refuses (NaN, integers past 64 bits)
        # is still JSON to Python's reader.
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    try:
        return response.json()
    except ValueError:
        return None
