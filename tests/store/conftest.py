"""Fixtures for the store's HTTP tests: a client on an empty in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from gateway.store import FhirStore, create_store_app


@pytest.fixture
async def client() -> AsyncIterator[httpx2.AsyncClient]:
    """An HTTP client on an empty in-memory store served at http://store.test/."""
    store = FhirStore.open(":memory:")
    transport = httpx2.ASGITransport(app=create_store_app(store))
    async with httpx2.AsyncClient(transport=transport, base_url="http://store.test/") as client:
        yield client
    store.close()
