"""FhirClient against a scripted transport: URLs, If-Match, paging safety and error mapping."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx2
import pytest

from gateway.error_mapping import from_fhir
from gateway.fhir import FhirClient, IncludeRefusedError, Ref
from gateway.fhir.errors import (
    FhirAuthError,
    FhirConflictError,
    FhirError,
    FhirNotFoundError,
    FhirRequestError,
    FhirResponseError,
    FhirThrottledError,
    FhirTimeoutError,
    FhirUnavailableError,
)

BASE = "https://fhir.example.org/R4/"
Handler = Callable[[httpx2.Request], httpx2.Response]


def client(handler: Handler, total_timeout: float = 5.0) -> FhirClient:
    http = httpx2.AsyncClient(base_url=BASE, transport=httpx2.MockTransport(handler))
    return FhirClient(http, BASE, total_timeout=total_timeout)


def bundle(*ids: str, next_url: str | None = None) -> dict[str, object]:
    links = [{"relation": "self", "url": BASE + "Task"}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [{"resource": {"resourceType": "Task", "id": i}} for i in ids],
    }


async def test_update_sends_if_match_and_reads_are_relative() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json={"resourceType": "Task", "id": "1"})

    fhir = client(handler)
    await fhir.read(Ref("Task", "1"))
    await fhir.update({"resourceType": "Task", "id": "1"}, if_match="7")
    assert str(seen[0].url) == BASE + "Task/1"
    assert seen[1].method == "PUT"
    assert seen[1].headers["If-Match"] == 'W/"7"'


async def test_long_searches_go_as_post() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=bundle("a"))

    ids = ",".join(f"id-{n:04d}" for n in range(400))
    page = await client(handler).search("Task", [("_id", ids)])
    assert [r["id"] for r in page.matches] == ["a"]
    assert seen[0].method == "POST"
    assert seen[0].url.path.endswith("/Task/_search")
    assert seen[0].headers["Content-Type"] == "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://internal.local/R4/Task?page=2",
        "http://fhir.example.org/R4/Task?page=2",
        "https://fhir.example.org:444/R4/Task?page=2",
        "https://fhir.example.org/admin/Task?page=2",
    ],
)
async def test_foreign_next_links_are_not_followed(next_url: str) -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(200, json=bundle("a", next_url=next_url))

    fhir = client(handler)
    page = await fhir.search("Task", [])
    assert page.next_url == next_url
    with pytest.raises(FhirResponseError):
        await fhir.search_next(next_url, "Task")
    assert len(seen) == 1


async def test_search_all_follows_good_links() -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        if "page=2" in str(request.url):
            return httpx2.Response(200, json=bundle("b"))
        return httpx2.Response(200, json=bundle("a", next_url=BASE + "Task?page=2"))

    page = await client(handler).search_all("Task", [])
    assert [r["id"] for r in page.matches] == ["a", "b"]


async def test_search_all_stops_once_past_max_matches() -> None:
    sent: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        page = int(request.url.params.get("page", "1"))
        ids = [f"{page}-{n}" for n in range(3)]
        return httpx2.Response(200, json=bundle(*ids, next_url=f"{BASE}Task?page={page + 1}"))

    page = await client(handler).search_all("Task", [], max_matches=4)
    # Pages of max_matches + 1 asked for; the second page passes the bound, so reading stops.
    assert sent[0].url.params["_count"] == "5"
    assert len(sent) == 2 and len(page.matches) == 6


@pytest.mark.parametrize(
    ("status", "error", "extensions"),
    [
        (404, FhirNotFoundError, {"code": "NOT_FOUND"}),
        (410, FhirNotFoundError, {"code": "NOT_FOUND"}),
        (409, FhirConflictError, {"code": "VERSION_CONFLICT"}),
        (412, FhirConflictError, {"code": "VERSION_CONFLICT"}),
        (400, FhirRequestError, {"code": "BAD_USER_INPUT"}),
        (422, FhirRequestError, {"code": "BAD_USER_INPUT"}),
        (401, FhirAuthError, {"code": "UPSTREAM_ERROR"}),
        (403, FhirAuthError, {"code": "UPSTREAM_ERROR"}),
        (429, FhirThrottledError, {"code": "THROTTLED", "retryAfter": 7}),
        (503, FhirUnavailableError, {"code": "UPSTREAM_UNAVAILABLE"}),
        (500, FhirResponseError, {"code": "UPSTREAM_ERROR"}),
    ],
)
async def test_http_errors_are_mapped(
    status: int, error: type[FhirError], extensions: dict[str, object]
) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "invalid", "diagnostics": "bad status"}],
        }
        return httpx2.Response(status, json=outcome, headers={"Retry-After": "7"})

    with pytest.raises(error) as caught:
        await client(handler).read(Ref("Task", "1"))
    assert type(caught.value) is error
    mapped = from_fhir(caught.value)
    assert mapped.graphql_extensions() == extensions
    assert "bad status" not in mapped.message


@pytest.mark.parametrize(
    ("issue", "refuses_include"),
    [
        ({"code": "not-supported", "expression": ["_include"]}, True),
        ({"code": "processing", "location": ["_include"]}, True),
        ({"code": "not-supported", "diagnostics": "Parameter _include is not supported"}, True),
        ({"code": "invalid", "details": {"text": "Invalid _include value 'Task:x'"}}, True),
        ({"code": "not-supported", "diagnostics": "Parameter due-date is not supported"}, False),
        ({"code": "not-supported", "expression": ["_revinclude"]}, False),
        ({"code": "invalid"}, False),
    ],
)
async def test_a_refused_include_is_told_apart(
    issue: dict[str, object], refuses_include: bool
) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(400, json={"resourceType": "OperationOutcome", "issue": [issue]})

    with pytest.raises(FhirRequestError) as caught:
        await client(handler).search("Task", [("_include", "Task:owner")])
    assert isinstance(caught.value, IncludeRefusedError) is refuses_include


async def test_transport_failures_are_mapped() -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("refused", request=request)

    with pytest.raises(FhirUnavailableError):
        await client(refuse).read(Ref("Task", "1"))

    def slow(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("slow", request=request)

    with pytest.raises(FhirTimeoutError):
        await client(slow).read(Ref("Task", "1"))


async def test_total_timeout_bounds_a_request() -> None:
    async def hang(request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(30)
        return httpx2.Response(200)

    http = httpx2.AsyncClient(base_url=BASE, transport=httpx2.MockTransport(hang))
    fhir = FhirClient(http, BASE, total_timeout=0.05)
    with pytest.raises(FhirTimeoutError):
        await fhir.read(Ref("Task", "1"))


async def test_non_json_answers_are_upstream_errors() -> None:
    def html(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, text="<html>login</html>")

    with pytest.raises(FhirResponseError):
        await client(html).read(Ref("Task", "1"))


def scripted(*responses: httpx2.Response) -> tuple[FhirClient, list[httpx2.Request]]:
    seen: list[httpx2.Request] = []
    queue = list(responses)

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return queue.pop(0)

    return client(handler), seen


async def test_a_read_turned_away_briefly_is_retried_once() -> None:
    ok = httpx2.Response(200, json={"resourceType": "Task", "id": "1"})
    fhir, seen = scripted(httpx2.Response(503, headers={"Retry-After": "0"}), ok)
    assert (await fhir.read(Ref("Task", "1")))["id"] == "1"
    assert len(seen) == 2


async def test_no_retry_for_writes_or_long_waits() -> None:
    fhir, seen = scripted(httpx2.Response(503, headers={"Retry-After": "0"}))
    with pytest.raises(FhirUnavailableError):
        await fhir.update({"resourceType": "Task", "id": "1"}, if_match="1")
    assert len(seen) == 1
    fhir, seen = scripted(httpx2.Response(429, headers={"Retry-After": "30"}))
    with pytest.raises(FhirThrottledError) as caught:
        await fhir.read(Ref("Task", "1"))
    assert caught.value.retry_after == 30
    assert len(seen) == 1


async def test_a_second_refusal_is_reported() -> None:
    busy = httpx2.Response(429, headers={"Retry-After": "0"})
    fhir, seen = scripted(busy, httpx2.Response(429, headers={"Retry-After": "0"}))
    with pytest.raises(FhirThrottledError):
        await fhir.search("Task", [])
    assert len(seen) == 2
