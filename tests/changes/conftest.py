"""Fixtures for the change-source tests: a FHIR client straight to an empty Medplum peer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from gateway.fhir import FhirClient
from tests.peer.medplum import reset_url


@pytest.fixture
async def peer(medplum_base_url: str) -> AsyncIterator[FhirClient]:
    """The empty Medplum peer, reached as another system would: not through the gateway."""
    async with httpx2.AsyncClient(base_url=medplum_base_url) as http:
        assert (await http.post(reset_url(medplum_base_url))).status_code == 204
        yield FhirClient(http, medplum_base_url, total_timeout=10.0)
