"""Fixtures the end-to-end suites share: gateways holding the routing clinic."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import SERVERS, Gateway, gateway_on
from tests.e2e.builders import put_all
from tests.e2e.routing_clinic import clinic


@pytest.fixture
async def routed(gateway: Gateway) -> Gateway:
    """A gateway on each server, holding the routing clinic."""
    await put_all(gateway.fhir, clinic())
    return gateway


@pytest.fixture(params=SERVERS)
async def unlicensed(request: pytest.FixtureRequest) -> AsyncIterator[Gateway]:
    """The routing clinic on each server with GATEWAY_QUEUE_LICENSURE=false."""
    async with gateway_on(request, queue_licensure=False) as gw:
        await put_all(gw.fhir, clinic())
        yield gw
