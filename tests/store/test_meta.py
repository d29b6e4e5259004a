"""Resource meta: its shape is validated, and tags survive a subsetted read."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from tests.store.resources import task


@pytest.mark.parametrize(
    ("meta", "expression"),
    [
        ({"tag": 5}, "Task.meta.tag"),
        ({"tag": ["x"]}, "Task.meta.tag"),
        ({"security": {"code": "x"}}, "Task.meta.security"),
        ({"tag": [{"code": 5}]}, "Task.meta.tag.code"),
        ({"profile": "http://p"}, "Task.meta.profile"),
        ({"profile": [5]}, "Task.meta.profile"),
    ],
)
async def test_meta_of_the_wrong_shape_is_422(
    client: httpx2.AsyncClient, meta: dict[str, Any], expression: str
) -> None:
    response = await client.post("Task", json=task(meta=meta))

    assert response.status_code == 422, response.text
    assert response.json()["issue"][0]["expression"] == [expression]


async def test_well_formed_meta_is_kept_and_subsetted(client: httpx2.AsyncClient) -> None:
    meta = {"tag": [{"system": "urn:t", "code": "x"}], "profile": ["http://p"]}
    await client.put("Task/m", json=task(id="m", meta=meta))

    bundle = (await client.get("Task", params={"_elements": "status"})).json()

    tags = bundle["entry"][0]["resource"]["meta"]["tag"]
    assert {"system": "urn:t", "code": "x"} in tags
    assert any(t.get("code") == "SUBSETTED" for t in tags)
