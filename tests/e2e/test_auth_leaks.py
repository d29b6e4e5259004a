"""Small leaks closed: counts and searches a caller's scopes and compartment do not cover."""

from __future__ import annotations

from typing import Any

from tests.conftest import Gateway
from tests.e2e.builders import put_all, task
from tests.e2e.routing_clinic import clinic
from tests.oidc_provider import OidcProvider

SUGGEST = """
query { task(id: "t-ny") { suggestedAssignees(first: 5) { practitioner { id } openTasks } } }
"""


def use(gateway: Gateway, provider: OidcProvider, **claims: Any) -> None:
    token = provider.mint(provider.claims(**claims))
    gateway.client.headers["Authorization"] = f"Bearer {token}"


async def open_tasks(gateway: Gateway) -> dict[str, int]:
    data = await gateway.data(SUGGEST)
    return {s["practitioner"]["id"]: s["openTasks"] for s in data["task"]["suggestedAssignees"]}


async def test_a_patient_counts_only_its_own_tasks_in_open_tasks(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(
        secured.fhir,
        [
            *clinic(),
            task("owned3", status="ready", owner="Practitioner/amy", **{"for": "Patient/pny"}),
        ],
    )
    use(secured, oidc_provider, scope="openid fhirUser user/*.rs")
    assert (await open_tasks(secured))["amy"] == 3

    use(secured, oidc_provider, fhirUser="Patient/pny", patient="pny", scope="patient/*.rs")
    with secured.counting():
        counted = await open_tasks(secured)
    assert counted["amy"] == 1
    counts = [
        r for r in secured.requests if r.url.path.endswith("/Task") and b"_summary" in r.url.query
    ]
    assert counts
    assert all(r.url.params.get("patient") == "Patient/pny" for r in counts)


async def test_history_needs_the_provenance_list_scope(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, [task("t1")])
    use(secured, oidc_provider, scope="openid fhirUser user/Task.rs")
    query = 'query { task(id: "t1") { id history { versionId } } }'
    with secured.counting():
        body = await secured.gql(query)
    assert body["data"] == {"task": {"id": "t1", "history": None}}
    [error] = body["errors"]
    assert error["path"] == ["task", "history"]
    assert error["extensions"] == {
        "code": "FORBIDDEN",
        "reason": "scope",
        "scope": "user/Provenance.s",
    }
    # The Task itself was read; its history and its Provenance were not asked for.
    [read] = secured.requests
    assert read.url.path.endswith("/Task")

    use(secured, oidc_provider, scope="openid fhirUser user/Task.rs user/Provenance.s")
    history = (await secured.data(query))["task"]["history"]
    assert len(history) == 1


async def test_the_queue_needs_the_practitioner_role_list_scope(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, clinic())
    query = 'query { taskQueue(practitioner: "bob") { nodes { id } } }'
    use(secured, oidc_provider, scope="openid fhirUser user/Task.s user/Practitioner.r")
    with secured.counting():
        body = await secured.gql(query)
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {
        "code": "FORBIDDEN",
        "reason": "scope",
        "scope": "user/PractitionerRole.s",
    }
    assert secured.requests == []

    scope = "openid fhirUser user/Task.s user/Practitioner.r user/PractitionerRole.s"
    use(secured, oidc_provider, scope=scope)
    nodes = (await secured.data(query))["taskQueue"]["nodes"]
    assert {"id": "t-ny"} in nodes
