"""routeTask: the first suggestion becomes the owner, refusals in order, one winner of a race."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from gateway.fhir import Ref
from tests.conftest import Gateway
from tests.e2e.builders import NURSE, put_all, task
from tests.e2e.mutations import assert_error, outcome, stored
from tests.e2e.routing_clinic import clinic
from tests.oidc_provider import OidcProvider

ROUTE = """
mutation ($id: ID!, $v: String) {
  routeTask(id: $id, expectedVersion: $v) { id status versionId owner { id } }
}
"""
RACERS = 10


async def test_the_first_suggestion_becomes_the_owner(routed: Gateway) -> None:
    before = await stored(routed, "t-ny")
    data = await routed.data(ROUTE, {"id": "t-ny", "v": before["meta"]["versionId"]})
    assert data["routeTask"]["owner"] == {"id": "bob"}
    assert data["routeTask"]["status"] == "READY"
    saved = await stored(routed, "t-ny")
    assert saved["owner"] == {"reference": "Practitioner/bob"}
    assert data["routeTask"]["versionId"] == saved["meta"]["versionId"]


async def test_an_owned_task_is_already_claimed(routed: Gateway) -> None:
    await put_all(routed.fhir, [task("t-own", role=NURSE, owner="Practitioner/amy")])
    with routed.counting():
        error = await routed.error(ROUTE, {"id": "t-own"})
    assert_error(error, "ALREADY_CLAIMED", currentOwner="Practitioner/amy")
    assert routed.count("PUT") == 0
    # Refused before anyone was looked for: the Task read is the only request.
    assert routed.count() == 1


async def test_nobody_fits_is_routing_no_candidate(routed: Gateway) -> None:
    await put_all(routed.fhir, [task("t-tx", role=NURSE, **{"for": "Patient/ptx"})])
    await put_all(
        routed.fhir, [{"resourceType": "Patient", "id": "ptx", "address": [{"state": "TX"}]}]
    )
    before = await stored(routed, "t-tx")
    error = await routed.error(ROUTE, {"id": "t-tx"})
    assert error["extensions"] == {"code": "ROUTING_NO_CANDIDATE"}
    assert await stored(routed, "t-tx") == before


@pytest.mark.parametrize(
    ("status", "version", "code"),
    [
        ("completed", "stale", "TASK_CLOSED"),
        ("ready", "stale", "VERSION_CONFLICT"),
    ],
)
async def test_closed_then_stale_come_first(
    routed: Gateway, status: str, version: str, code: str
) -> None:
    # Owned and without a candidate too: the earlier refusal wins.
    await put_all(
        routed.fhir,
        [task("t-x", status=status, owner="Practitioner/amy", **{"for": "Patient/pca"})],
    )
    error = await routed.error(ROUTE, {"id": "t-x", "v": version})
    assert error["extensions"]["code"] == code


async def test_an_unknown_task_is_not_found(routed: Gateway) -> None:
    error = await routed.error(ROUTE, {"id": "nope"})
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_of_concurrent_routes_exactly_one_writes(routed: Gateway) -> None:
    bodies = await asyncio.gather(*(routed.gql(ROUTE, {"id": "t-ny"}) for _ in range(RACERS)))
    outcomes = Counter(outcome(body) for body in bodies)
    assert outcomes == {"ok": 1, "ALREADY_CLAIMED": RACERS - 1}, outcomes
    for body in bodies:
        if outcome(body) == "ALREADY_CLAIMED":
            assert body["errors"][0]["extensions"]["currentOwner"] == "Practitioner/bob"
    versions = await routed.fhir.history(Ref("Task", "t-ny"))
    assert len(versions) == 2  # created, then routed once


async def test_scopes_are_checked_before_any_request(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, clinic())
    for scope, missing in [
        ("user/Task.rs user/PractitionerRole.s user/Practitioner.r", "user/Task.u"),
        ("user/Task.cruds user/Practitioner.rs", "user/PractitionerRole.s"),
    ]:
        token = oidc_provider.mint(oidc_provider.claims(scope=scope))
        with secured.counting():
            response = await secured.client.post(
                "/graphql",
                json={"query": ROUTE, "variables": {"id": "t-ny"}},
                headers={"Authorization": f"Bearer {token}"},
            )
        error = response.json()["errors"][0]
        assert error["extensions"] == {"code": "FORBIDDEN", "reason": "scope", "scope": missing}
        assert secured.requests == []
    allowed = "user/Task.cruds user/PractitionerRole.s user/Practitioner.r"
    token = oidc_provider.mint(oidc_provider.claims(scope=allowed))
    response = await secured.client.post(
        "/graphql",
        json={"query": ROUTE, "variables": {"id": "t-ny"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.json()["data"]["routeTask"]["owner"] == {"id": "bob"}
