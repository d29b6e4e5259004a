"""Two gateway processes on one embedded store file: racing writes still lose no update."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.e2e.mutations import CLAIM, START, outcome
from tests.serve import gateway_process

RACERS = 20
REQUEST_TIMEOUT = 30.0
CREATE = "mutation { createTask(input: {status: REQUESTED}) { id versionId } }"
READ = "query($id: ID!) { task(id: $id) { versionId status ownerReference { reference } } }"


@pytest.fixture(scope="module")
def two_gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two gateway processes sharing one store file; started one after the other."""
    store_path = tmp_path_factory.mktemp("shared-store") / "fhir.sqlite3"
    settings = {"GATEWAY_STORE_PATH": str(store_path)}
    with gateway_process(settings) as first, gateway_process(settings) as second:
        yield first, second


async def _gql(client: httpx2.AsyncClient, url: str, query: str, **variables: Any) -> Any:
    response = await client.post(f"{url}/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


async def _new_task(client: httpx2.AsyncClient, url: str) -> dict[str, Any]:
    body = await _gql(client, url, CREATE)
    assert "errors" not in body, body
    created: dict[str, Any] = body["data"]["createTask"]
    return created


async def test_claims_split_over_two_processes_have_one_winner(
    two_gateways: tuple[str, str],
) -> None:
    urls = two_gateways
    async with httpx2.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
        task_id = (await _new_task(client, urls[0]))["id"]
        owners = [f"Practitioner/p{i}" for i in range(RACERS)]
        for owner in owners:
            person = {"resourceType": "Practitioner", "id": owner.split("/")[1]}
            created = await client.put(f"{urls[0]}/fhir/R4/{owner}", json=person)
            assert created.status_code in (200, 201), created.text

        bodies = await asyncio.gather(
            *(
                _gql(client, urls[i % 2], CLAIM, id=task_id, owner={"reference": owner})
                for i, owner in enumerate(owners)
            )
        )

        outcomes = Counter(outcome(body) for body in bodies)
        assert outcomes == {"ok": 1, "ALREADY_CLAIMED": RACERS - 1}, outcomes
        winner = next(o for o, b in zip(owners, bodies, strict=True) if outcome(b) == "ok")
        for url in urls:
            seen = (await _gql(client, url, READ, id=task_id))["data"]["task"]
            assert seen["ownerReference"] == {"reference": winner}
            assert seen["status"] == "REQUESTED"


async def test_status_changes_split_over_two_processes_have_one_winner(
    two_gateways: tuple[str, str],
) -> None:
    urls = two_gateways
    async with httpx2.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
        created = await _new_task(client, urls[1])
        task_id, version = created["id"], created["versionId"]
        # REQUESTED cannot go IN_PROGRESS directly; accept it first, on the other process.
        accept = "mutation($id: ID!) { updateTaskStatus(id: $id, status: ACCEPTED) { versionId } }"
        version = (await _gql(client, urls[0], accept, id=task_id))["data"]["updateTaskStatus"][
            "versionId"
        ]

        bodies = await asyncio.gather(
            *(_gql(client, urls[i % 2], START, id=task_id, v=version) for i in range(RACERS))
        )

        outcomes = Counter(outcome(body) for body in bodies)
        assert outcomes == {"ok": 1, "VERSION_CONFLICT": RACERS - 1}, outcomes
        winner = next(b for b in bodies if outcome(b) == "ok")["data"]["updateTaskStatus"]
        for url in urls:
            seen = (await _gql(client, url, READ, id=task_id))["data"]["task"]
            assert seen["status"] == "IN_PROGRESS"
            assert seen["versionId"] == winner["versionId"]
