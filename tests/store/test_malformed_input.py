"""Malformed request input is a 400 or 404 with an OperationOutcome, never a 500."""

from __future__ import annotations

import base64

import httpx2
import pytest

from tests.store.resources import task


@pytest.mark.parametrize("version", ["9" * 30, "\u0661", "-1", "1.0"])
async def test_vread_of_an_impossible_version_is_404(
    client: httpx2.AsyncClient, version: str
) -> None:
    await client.put("Task/t", json=task(id="t"))

    response = await client.get(f"Task/t/_history/{version}")

    assert response.status_code == 404


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "params",
    [
        {"_count": "9" * 30},
        {"_count": "9" * 5000},
        {"_count": "\u00b2"},
        {"_count": "\u0661"},
        {"_offset": "9" * 30},
        {"_offset": "9" * 12},
        {"_offset": "\u0661"},
        {"_page_token": _token(b'[{"a":1},"x"]')},
        {"_page_token": _token(b'[[1],"x"]')},
        {"_page_token": _token(b'[true,"x"]'), "_sort": "status"},
        {"_page_token": _token(b"[" * 5000 + b"]" * 5000)},
        {"_page_token": _token(b'[99999999999999999999999999,"x"]'), "_sort": "status"},
        {"_page_token": "A" * 5000},
    ],
)
async def test_malformed_paging_is_400(client: httpx2.AsyncClient, params: dict[str, str]) -> None:
    await client.put("Task/a", json=task(id="a"))

    response = await client.get("Task", params=params)

    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(
    "body",
    [
        '{"resourceType":"Task","id":"s","status":"ready","intent":"order","note":[{"text":"\\ud800"}]}',
        '{"resourceType":"Task","id":"s","status":"ready","intent":"order","\\udfff":1}',
        '{"resourceType":"Task","id":"s","status":"ready","intent":"order","note":'
        + "[" * 100_000
        + "]" * 100_000
        + "}",
        '{"resourceType":"Task","id":"s","status":"ready","intent":"order","note":'
        + '{"a":' * 500
        + "1"
        + "}" * 500
        + "}",
    ],
    ids=["surrogate", "surrogate-key", "deep-list", "deep-object"],
)
async def test_bodies_json_cannot_store_are_400(client: httpx2.AsyncClient, body: str) -> None:
    response = await client.put(
        "Task/s", content=body, headers={"Content-Type": "application/fhir+json"}
    )

    assert response.status_code == 400, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
