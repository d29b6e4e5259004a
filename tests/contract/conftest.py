"""The FHIR servers the contract suite runs against: the embedded store and Medplum's router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.server_profile import PRESETS, ServerProfile

EMBEDDED_BASE = "http://embedded.test/fhir/R4/"


@dataclass(frozen=True)
class FhirPeer:
    """A FHIR server under test: its name, an httpx2 client on its base URL, and what it does
    where servers differ (the gateway's own preset for it: tests branch on it, never skip)."""

    name: str
    client: httpx2.AsyncClient
    caps: ServerProfile


@pytest.fixture(params=["embedded", pytest.param("medplum", marks=pytest.mark.medplum)])
async def fhir(request: pytest.FixtureRequest) -> AsyncIterator[FhirPeer]:
    """A fresh, empty FHIR server of each kind for every test."""
    if request.param == "embedded":
        from gateway.store import FhirStore, create_store_app

        store = FhirStore.open(":memory:")
        app = Starlette(routes=[Mount("/fhir/R4", app=create_store_app(store))])
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url=EMBEDDED_BASE) as client:
            yield FhirPeer("embedded", client, PRESETS["embedded"])
        store.close()
    else:
        base_url: str = request.getfixturevalue("medplum_base_url")
        async with httpx2.AsyncClient(base_url=base_url, timeout=30.0) as client:
            reset = await client.post(base_url.split("/fhir/R4")[0] + "/reset")
            assert reset.status_code == 204
            yield FhirPeer("medplum", client, PRESETS["medplum"])
