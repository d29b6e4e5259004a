"""Generated operations (hypothesis-graphql) against the seeded embedded store: any valid or
invalid document gets data or a contract error code, never a masked internal error."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from gateway.schema import build_schema
from gateway.seed import seed_demo_clinic
from tests.conftest import Gateway, running_gateway, settings_for

CONTRACT_CODES = {
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "BAD_USER_INPUT",
    "STATUS_REASON_REQUIRED",
    "INVALID_STATUS_TRANSITION",
    "VERSION_CONFLICT",
    "ALREADY_CLAIMED",
    "NOT_FOUND",
    "QUERY_TOO_COMPLEX",
    "UNSUPPORTED_BY_SERVER",
    "TASK_CLOSED",
    # myTasks of an anonymous caller (behaviour.md: HTTP 200, reason "missing").
    "UNAUTHENTICATED",
}
SDL = build_schema().as_str()
DATES = st.sampled_from(
    ["2026-11-25", "2026-11-25T10:00:00Z", "2026", "2026-13-01", "yesterday", ""]
).map(nodes.String)
SCALARS: dict[str, Any] = {"DateTime": DATES}


@pytest.fixture(scope="module")
def clinic() -> Iterator[tuple[asyncio.AbstractEventLoop, Gateway]]:
    """One seeded gateway for all examples, driven from its own event loop."""
    loop = asyncio.new_event_loop()
    context = running_gateway(settings_for("embedded"), "embedded")
    gateway = loop.run_until_complete(context.__aenter__())
    loop.run_until_complete(seed_demo_clinic(gateway.fhir))
    yield loop, gateway
    loop.run_until_complete(context.__aexit__(None, None, None))
    loop.close()


def check(clinic: tuple[asyncio.AbstractEventLoop, Gateway], document: str) -> None:
    loop, gateway = clinic
    body = loop.run_until_complete(gateway.gql(document))
    codes = {error["extensions"]["code"] for error in body.get("errors") or []}
    assert codes <= CONTRACT_CODES, (document, body["errors"])


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(document=queries(SDL, custom_scalars=SCALARS))
def test_generated_queries(
    clinic: tuple[asyncio.AbstractEventLoop, Gateway], document: str
) -> None:
    check(clinic, document)


@FUZZ
@given(document=mutations(SDL, custom_scalars=SCALARS))
def test_generated_mutations(
    clinic: tuple[asyncio.AbstractEventLoop, Gateway], document: str
) -> None:
    check(clinic, document)


@FUZZ
@given(document=queries(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE))
def test_generated_invalid_queries(
    clinic: tuple[asyncio.AbstractEventLoop, Gateway], document: str
) -> None:
    check(clinic, document)
