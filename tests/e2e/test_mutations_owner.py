"""assignTask, claimTask and releaseTask on both servers: the owner changes, the status never."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Gateway
from tests.e2e.builders import put_all, referenced, task
from tests.e2e.mutations import TASK_FIELDS, assert_error, assert_refused_unchanged, stored

ASSIGN = (
    "mutation($id: ID!, $owner: ReferenceInput, $v: String) {"
    " assignTask(id: $id, owner: $owner, expectedVersion: $v) { ...T } }" + TASK_FIELDS
)
UNASSIGN_LEFT_OUT = "mutation($id: ID!) { assignTask(id: $id) { ...T } }" + TASK_FIELDS
CLAIM = (
    "mutation($id: ID!, $owner: ReferenceInput!) {"
    " claimTask(id: $id, owner: $owner) { ...T } }" + TASK_FIELDS
)
RELEASE = (
    "mutation($id: ID!, $v: String) { releaseTask(id: $id, expectedVersion: $v) { ...T } }"
    + TASK_FIELDS
)
ADA = {"reference": "Practitioner/ada", "display": "Ada Hart"}
BEN = {"reference": "Practitioner/ben"}


async def test_assign_and_unassign(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1", status="in-progress")])

    assigned = (await gateway.data(ASSIGN, {"id": "t1", "owner": ADA}))["assignTask"]
    assert assigned["ownerReference"] == ADA
    saved = await stored(gateway, "t1")
    assert saved["owner"] == ADA and saved["status"] == "in-progress"
    assert saved["lastModified"] >= saved["authoredOn"]

    reassigned = (
        await gateway.data(ASSIGN, {"id": "t1", "owner": BEN, "v": saved["meta"]["versionId"]})
    )["assignTask"]
    assert reassigned["ownerReference"] == {**BEN, "display": None}
    assert (await stored(gateway, "t1"))["owner"] == BEN

    unassigned = (await gateway.data(ASSIGN, {"id": "t1", "owner": None}))["assignTask"]
    assert unassigned["ownerReference"] is None
    saved = await stored(gateway, "t1")
    assert "owner" not in saved and saved["status"] == "in-progress"


async def test_assign_with_owner_left_out_unassigns(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1", owner="Practitioner/ada")])
    await gateway.data(UNASSIGN_LEFT_OUT, {"id": "t1"})
    assert "owner" not in await stored(gateway, "t1")


async def test_assign_with_a_stale_version_writes_nothing(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1")])
    stale = (await stored(gateway, "t1"))["meta"]["versionId"]
    await gateway.data(ASSIGN, {"id": "t1", "owner": ADA})
    current = await stored(gateway, "t1")

    with gateway.counting():
        error = await gateway.error(ASSIGN, {"id": "t1", "owner": BEN, "v": stale})

    assert_error(error, "VERSION_CONFLICT", currentVersion=current["meta"]["versionId"])
    assert gateway.writes == []
    assert await stored(gateway, "t1") == current


@pytest.mark.parametrize(
    ("variables", "code", "argument"),
    [
        ({"id": "t1", "owner": {"reference": "Task/t2"}}, "BAD_USER_INPUT", "owner.reference"),
        ({"id": "t1", "owner": {"reference": "ada"}}, "BAD_USER_INPUT", "owner.reference"),
        ({"id": "t/1", "owner": ADA}, "BAD_USER_INPUT", "id"),
        ({"id": "missing", "owner": ADA}, "NOT_FOUND", None),
    ],
)
async def test_assign_errors(
    gateway: Gateway, variables: dict[str, Any], code: str, argument: str | None
) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1")])
    await assert_refused_unchanged(gateway, ASSIGN, variables, code, argument)


async def test_claim_an_unowned_task(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1", status="requested")])
    before = await stored(gateway, "t1")

    with gateway.counting():
        claimed = (await gateway.data(CLAIM, {"id": "t1", "owner": ADA}))["claimTask"]

    assert claimed["ownerReference"] == ADA and claimed["status"] == "REQUESTED"
    [(_, if_match)] = gateway.task_writes()
    assert if_match == f'W/"{before["meta"]["versionId"]}"'
    saved = await stored(gateway, "t1")
    assert saved["owner"] == ADA and saved["status"] == "requested"
    assert saved["meta"]["versionId"] == claimed["versionId"]
    assert saved["lastModified"] >= saved["authoredOn"]


async def test_claim_an_owned_task_is_already_claimed(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1", owner="Practitioner/ben")])
    before = await stored(gateway, "t1")

    with gateway.counting():
        error = await gateway.error(CLAIM, {"id": "t1", "owner": ADA})

    assert_error(error, "ALREADY_CLAIMED", currentOwner="Practitioner/ben")
    assert gateway.writes == []
    assert await stored(gateway, "t1") == before


async def test_claiming_a_task_you_own_writes_nothing(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1", owner="Practitioner/ada")])
    before = await stored(gateway, "t1")

    with gateway.counting():
        claimed = (await gateway.data(CLAIM, {"id": "t1", "owner": ADA}))["claimTask"]

    assert gateway.writes == []
    assert claimed["versionId"] == before["meta"]["versionId"]
    assert claimed["ownerReference"]["reference"] == "Practitioner/ada"
    assert await stored(gateway, "t1") == before


@pytest.mark.parametrize(
    ("variables", "code", "argument"),
    [
        (
            {"id": "t1", "owner": {"reference": "Observation/o1"}},
            "BAD_USER_INPUT",
            "owner.reference",
        ),
        ({"id": "..", "owner": ADA}, "BAD_USER_INPUT", "id"),
        ({"id": "missing", "owner": ADA}, "NOT_FOUND", None),
    ],
)
async def test_claim_errors(
    gateway: Gateway, variables: dict[str, Any], code: str, argument: str | None
) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1")])
    error = await gateway.error(CLAIM, variables)
    assert_error(error, code)
    assert error["extensions"].get("argument") == argument
    assert "owner" not in await stored(gateway, "t1")


async def test_release_clears_the_owner_and_keeps_the_status(gateway: Gateway) -> None:
    await put_all(
        gateway.fhir, [*referenced(), task("t1", status="in-progress", owner="Practitioner/ada")]
    )
    version = (await stored(gateway, "t1"))["meta"]["versionId"]

    released = (await gateway.data(RELEASE, {"id": "t1", "v": version}))["releaseTask"]

    assert released["ownerReference"] is None and released["status"] == "IN_PROGRESS"
    saved = await stored(gateway, "t1")
    assert "owner" not in saved and saved["status"] == "in-progress"
    assert saved["meta"]["versionId"] == released["versionId"] != version


async def test_releasing_an_unowned_task_writes_nothing(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1")])
    before = await stored(gateway, "t1")

    with gateway.counting():
        released = (await gateway.data(RELEASE, {"id": "t1"}))["releaseTask"]

    assert gateway.writes == []
    assert released["versionId"] == before["meta"]["versionId"]
    assert await stored(gateway, "t1") == before


async def test_release_with_a_stale_version_writes_nothing(gateway: Gateway) -> None:
    await put_all(gateway.fhir, [*referenced(), task("t1", owner="Practitioner/ada")])
    stale = (await stored(gateway, "t1"))["meta"]["versionId"]
    await gateway.data(ASSIGN, {"id": "t1", "owner": BEN})
    current = await stored(gateway, "t1")

    with gateway.counting():
        error = await gateway.error(RELEASE, {"id": "t1", "v": stale})

    assert_error(error, "VERSION_CONFLICT", currentVersion=current["meta"]["versionId"])
    assert gateway.writes == []
    assert (await stored(gateway, "t1"))["owner"] == BEN


async def test_release_unknown_task(gateway: Gateway) -> None:
    assert_error(await gateway.error(RELEASE, {"id": "missing"}), "NOT_FOUND")
    assert_error(await gateway.error(RELEASE, {"id": "a b"}), "BAD_USER_INPUT", argument="id")
