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
