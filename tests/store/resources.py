"""Tasks the store tests write, and the search that reads their ids back."""

from __future__ import annotations

from typing import Any

import httpx2


def task(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Task", "status": "requested", "intent": "order", **fields}


async def ids(client: httpx2.AsyncClient, params: dict[str, str]) -> set[str]:
    """The ids of the Tasks a search over HTTP finds."""
    response = await client.get("Task", params=params)
    assert response.status_code == 200, response.text
    return {e["resource"]["id"] for e in response.json().get("entry", [])}
