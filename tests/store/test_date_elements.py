"""Date elements on write: typed FHIR dates only, with a zone when they carry a time."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from gateway.store.dates import date_range
from gateway.store.indexing import extract
from tests.store.resources import task


@pytest.mark.parametrize(
    ("fields", "expression"),
    [
        ({"restriction": {"period": {"end": 20240501}}}, "restriction.period.end"),
        ({"executionPeriod": {"start": ["2024-05-01"]}}, "executionPeriod"),
        ({"authoredOn": True}, "authoredOn"),
        ({"lastModified": 5}, "lastModified"),
        ({"authoredOn": "2024-05-01T10:00:00"}, "authoredOn"),
        ({"restriction": {"period": {"end": "2024-05-01T10:00"}}}, "restriction.period.end"),
    ],
)
async def test_dates_of_the_wrong_shape_are_refused(
    client: httpx2.AsyncClient, fields: dict[str, Any], expression: str
) -> None:
    response = await client.put("Task/d", json=task(id="d", **fields))

    assert response.status_code == 422, response.text
    assert response.json()["issue"][0]["expression"] == [expression]


async def test_dates_with_a_zone_or_without_a_time_are_stored(client: httpx2.AsyncClient) -> None:
    for n, value in enumerate(["2024-05-01", "2024-05-01T10:00:00+02:00", "2024-05-01T08:00Z"]):
        response = await client.put(f"Task/d{n}", json=task(id=f"d{n}", authoredOn=value))
        assert response.status_code == 201, response.text


def test_reindexing_old_versions_is_lenient_about_dates() -> None:
    stored = {"status": "ready", "authoredOn": "2024-05-01T10:00:00", "lastModified": 5}

    entries = extract("Task", stored, strict=False)

    assert entries.sort["authored_on"] == date_range("2024-05-01T10:00:00Z")[0]
    assert entries.sort["modified"] is None
    assert entries.sort["status"] == "ready"
