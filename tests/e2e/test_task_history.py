"""Task.history: versions newest first, who made each and how, in two FHIR requests."""

from __future__ import annotations

from typing import Any

from gateway.fhir import Ref
from tests.conftest import Gateway
from tests.e2e.builders import put_all, referenced, task
from tests.oidc_provider import OidcProvider

# Who made each version is a Provenance search: the token lists Provenance too.
CLINICIAN_WITH_PROVENANCE = "openid fhirUser user/Task.cruds user/Practitioner.rs user/Provenance.s"

HISTORY = """query($id: ID!, $first: Int) { task(id: $id) { history(first: $first) {
  versionId lastUpdated status statusReason { text } businessStatus { text }
  ownerReference { reference } agent { reference display } activity
} } }"""
CREATE = "mutation { createTask(input: {}) { id } }"
HOLD = """mutation($id: ID!) { updateTaskStatus(id: $id, status: ON_HOLD,
  statusReason: {text: "waiting for the lab"}) { versionId } }"""
ASSIGN = """mutation($id: ID!) {
  assignTask(id: $id, owner: {reference: "Practitioner/ada"}) { versionId } }"""


def use(gateway: Gateway, token: str) -> None:
    gateway.client.headers["Authorization"] = f"Bearer {token}"


async def history(gateway: Gateway, task_id: str, first: int | None = None) -> Any:
    variables: dict[str, Any] = {"id": task_id}
    if first is not None:
        variables["first"] = first
    return (await gateway.data(HISTORY, variables))["task"]["history"]


async def test_history_shows_who_did_what_newest_first(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, referenced())
    use(secured, oidc_provider.mint(oidc_provider.claims(scope=CLINICIAN_WITH_PROVENANCE)))
    task_id = (await secured.data(CREATE))["createTask"]["id"]
    await secured.data(HOLD, {"id": task_id})
    last = (await secured.data(ASSIGN, {"id": task_id}))["assignTask"]["versionId"]

    with secured.counting():
        versions = await history(secured, task_id)

    me = {"reference": "Practitioner/p1", "display": None}
    assert [(v["status"], v["activity"], v["agent"]) for v in versions] == [
        ("ON_HOLD", "UPDATE", me),
        ("ON_HOLD", "UPDATE", me),
        ("READY", "CREATE", me),
    ]
    assert versions[0]["versionId"] == last
    assert versions[0]["ownerReference"] == {"reference": "Practitioner/ada"}
    assert versions[1]["statusReason"] == {"text": "waiting for the lab"}
    assert versions[2]["ownerReference"] is None
    assert len({v["versionId"] for v in versions}) == 3
    stamps = [v["lastUpdated"] for v in versions]
    assert stamps == sorted(stamps, reverse=True)
    # The Task's read, its history, and one Provenance search for every version listed.
    paths = [r.url.path for r in secured.requests]
    assert sum(p.endswith("/_history") for p in paths) == 1
    assert sum("/Provenance" in p for p in paths) == 1
    assert len(paths) == 3


async def test_a_version_written_outside_the_gateway_has_no_agent(gateway: Gateway) -> None:
    task_id = (await gateway.data(CREATE))["createTask"]["id"]
    written = await gateway.fhir.read(Ref("Task", task_id))
    await gateway.fhir.update({**written, "description": "edited directly on the FHIR server"})

    newest, oldest = await history(gateway, task_id)

    assert (newest["agent"], newest["activity"]) == (None, None)
    assert oldest["activity"] == "CREATE"
    assert oldest["agent"]["reference"] == "#gateway"


async def test_first_bounds_the_versions(gateway: Gateway) -> None:
    await put_all(gateway.fhir, referenced())
    task_id = (await gateway.data(CREATE))["createTask"]["id"]
    await gateway.data(HOLD, {"id": task_id})
    newest = (await gateway.data(ASSIGN, {"id": task_id}))["assignTask"]["versionId"]

    two = await history(gateway, task_id, first=2)
    refused = await gateway.error(HISTORY, {"id": task_id, "first": 0})

    assert [v["status"] for v in two] == ["ON_HOLD", "ON_HOLD"]
    assert two[0]["versionId"] == newest
    assert refused["extensions"] == {"code": "BAD_USER_INPUT", "argument": "first"}


async def test_history_needs_read_scope(secured: Gateway, oidc_provider: OidcProvider) -> None:
    await put_all(secured.fhir, [task("t1")])
    use(secured, oidc_provider.mint(oidc_provider.claims(scope="user/Task.s")))

    body = await secured.gql("query { tasks { nodes { id history { versionId } } } }")

    assert body["data"]["tasks"]["nodes"] == [{"id": "t1", "history": None}]
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["extensions"]["scope"] == "user/Task.r"


async def test_a_patient_sees_only_versions_in_its_compartment(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, [*referenced(), task("t1", **{"for": "Patient/pt2"})])
    moved = await secured.fhir.read(Ref("Task", "t1"))
    await secured.fhir.update({**moved, "for": {"reference": "Patient/pt1"}})
    scope = "patient/Task.rs patient/Provenance.s"
    claims = oidc_provider.claims(fhirUser="Patient/pt1", patient="pt1", scope=scope)
    use(secured, oidc_provider.mint(claims))

    versions = await history(secured, "t1")

    current = await secured.fhir.read(Ref("Task", "t1"))
    assert [v["versionId"] for v in versions] == [current["meta"]["versionId"]]


async def test_many_versions_are_paired_with_their_records(gateway: Gateway) -> None:
    # With UUID versionIds (Medplum) the Provenance search outgrows a URL: POST _search.
    task_id = (await gateway.data(CREATE))["createTask"]["id"]
    note = 'mutation($id: ID!) { addTaskNote(id: $id, text: "called") { id } }'
    for _ in range(24):
        await gateway.data(note, {"id": task_id})

    with gateway.counting():
        versions = await history(gateway, task_id, first=25)

    assert [v["activity"] for v in versions] == ["UPDATE"] * 24 + ["CREATE"]
    assert all(v["agent"] is not None for v in versions)
    assert len([r for r in gateway.requests if "/Provenance" in r.url.path]) == 1
