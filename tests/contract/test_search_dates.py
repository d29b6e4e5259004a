"""Date search: prefixes, partial dates as ranges, periods, due-date and _lastUpdated."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import FhirPeer
from tests.contract.resources import ids, put_task


def due(end: str) -> dict[str, Any]:
    return {"period": {"end": end}}


@pytest.fixture
async def tasks(fhir: FhirPeer) -> FhirPeer:
    await put_task(
        fhir,
        "october",
        authoredOn="2026-10-15T09:00:00Z",
        lastModified="2026-10-16T09:00:00Z",
        executionPeriod={"start": "2026-10-15T10:00:00Z", "end": "2026-10-20T10:00:00Z"},
        restriction=due("2026-11-01T17:00:00Z"),
    )
    await put_task(
        fhir,
        "november",
        authoredOn="2026-11-25T08:30:00Z",
        lastModified="2026-11-25T12:00:00Z",
        executionPeriod={"start": "2026-11-25T09:00:00Z"},
        restriction=due("2026-11-30T17:00:00Z"),
    )
    await put_task(fhir, "undated")
    return fhir


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"authored-on": "2026-11-25"}, ["november"]),
        ({"authored-on": "2026-11"}, ["november"]),
        ({"authored-on": "2026"}, ["november", "october"]),
        ({"authored-on": "eq2026-10-15"}, ["october"]),
        ({"authored-on": "lt2026-11-01"}, ["october"]),
        ({"authored-on": "le2026-10-15"}, ["october"]),
        ({"authored-on": "gt2026-10-15"}, ["november"]),
        ({"authored-on": "ge2026-10-15"}, ["november", "october"]),
        ({"authored-on": "gt2026-11-25T08:00:00Z"}, ["november"]),
        ({"authored-on": "lt2026-11-25T09:00:00+01:00"}, ["october"]),
        ({"authored-on": "lt2026-11-25T09:00:00-01:00"}, ["november", "october"]),
        ({"modified": "ge2026-11-25T12:00:00Z"}, ["november"]),
        ({"period": "ge2026-10-18"}, ["november", "october"]),
        ({"period": "sa2026-10-31"}, ["november"]),
        ({"period": "eb2026-10-31"}, ["october"]),
        ({"period": "gt2027-01-01"}, ["november"]),
    ],
)
async def test_date_parameters(
    tasks: FhirPeer, params: dict[str, str], expected: list[str]
) -> None:
    assert await ids(tasks, params) == expected


async def test_ranges_compare_as_r4_says(tasks: FhirPeer) -> None:
    inside_october_period = await ids(tasks, {"period": "2026-10-18"})
    not_october = await ids(tasks, {"authored-on": "ne2026-10-15"})

    if tasks.caps.spec_date_ranges:
        # eq: the value's range must contain the resource's; ne: dated resources only.
        assert inside_october_period == []
        assert not_october == ["november"]
    else:
        assert inside_october_period == ["october"]
        assert not_october == ["november", "undated"]


async def test_two_bounds_make_a_range(tasks: FhirPeer) -> None:
    params = [("authored-on", "ge2026-10-01"), ("authored-on", "lt2026-11-01")]

    assert await ids(tasks, params) == ["october"]


async def test_due_date_filter(tasks: FhirPeer) -> None:
    before = await ids(tasks, {"due-date": "lt2026-11-15"})
    after = await ids(tasks, {"due-date": "ge2026-11-15"})

    if tasks.caps.trusts_filter("due-date"):
        assert before == ["october"]
        assert after == ["november"]
        assert await ids(tasks, {"due-date:missing": "true"}) == ["undated"]
    else:
        assert set(before) <= {"october", "november"}
        assert set(after) <= {"october", "november"}


async def test_last_updated(tasks: FhirPeer) -> None:
    stamp = (await tasks.client.get("Task/november")).json()["meta"]["lastUpdated"]
    await put_task(tasks, "later", authoredOn="2026-11-26")

    assert "later" in await ids(tasks, {"_lastUpdated": f"gt{stamp}"})
    assert "october" not in await ids(tasks, {"_lastUpdated": f"gt{stamp}"})
    assert await ids(tasks, {"_lastUpdated": "lt2000-01-01"}) == []


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "xx2026-01-01", "2026-11-25T25:00Z"])
async def test_malformed_date_is_400(tasks: FhirPeer, value: str) -> None:
    response = await tasks.client.get("Task", params={"authored-on": value})

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
