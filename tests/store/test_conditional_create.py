"""Conditional create (If-None-Exist): only criteria that filter are accepted."""

from __future__ import annotations

import httpx2
import pytest

from tests.store.resources import ids, task


@pytest.mark.parametrize(
    "criteria",
    [
        "identifier=",
        "identifier=%20",
        "_format=json",
        "",
        "identifier=s|new&_offset=0",
        "identifier=s|other&_offset=1",
        "identifier=s|other&_summary=count",
        "identifier=s|other&_count=0",
        "identifier=s|other&_sort=_id",
        "identifier=s|other&_page_token=WyJ4Il0",
        "identifier=s|other&_include=Task:owner",
        "identifier=s|other&_revinclude=Task:part-of",
        "identifier=s|other&_elements=id",
        "identifier=s|other&_total=accurate",
    ],
)
async def test_conditional_create_refuses_criteria_that_do_not_filter(
    client: httpx2.AsyncClient, criteria: str
) -> None:
    other = task(identifier=[{"system": "s", "value": "other"}])
    await client.put("Task/only-one", json={**other, "id": "only-one"})

    response = await client.post(
        "Task",
        json=task(identifier=[{"system": "s", "value": "new"}]),
        headers={"If-None-Exist": criteria},
    )

    assert response.status_code == 400, response.text
    assert await ids(client, {}) == {"only-one"}


async def test_conditional_create_still_finds_and_creates(client: httpx2.AsyncClient) -> None:
    body = task(identifier=[{"system": "s", "value": "1"}])
    headers = {"If-None-Exist": "identifier=s|1"}
    first = await client.post("Task", json=body, headers=headers)
    second = await client.post("Task", json=body, headers=headers)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    statement = (await client.get("metadata")).json()
    task_rest = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Task")
    assert task_rest["conditionalCreate"] is True
