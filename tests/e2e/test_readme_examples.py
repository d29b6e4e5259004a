"""Every GraphQL example in the README runs, in order, on the seeded demo clinic."""

from __future__ import annotations

import re
from pathlib import Path

import httpx2

from gateway.seed import seed_demo_clinic
from tests.conftest import running_gateway, settings_for
from tests.e2e.live_server import serving, socket

README = Path(__file__).resolve().parents[2] / "README.md"
QUEUED = 'query { taskQueue(practitioner: "demo-prac-01", first: 1) { nodes { id } } }'
NOTE = 'mutation($id: ID!) { addTaskNote(id: $id, text: "Called the patient") { id } }'
CLAIM = "mutation($id: ID!, $owner: ReferenceInput!) { claimTask(id: $id, owner: $owner) { id } }"
VARIABLES = {"me": "Practitioner/demo-prac-01", "id": "demo-task-0001", "after": None}


def examples() -> list[str]:
    text = README.read_text()
    documents: list[str] = []
    for block in re.findall(r"```graphql\n(.*?)```", text, re.S):
        documents += re.split(r"\n(?=mutation|query|subscription)", block.strip())
    documents += re.findall(r"`(query \{ resource\(.*?)`", text)
    return [d for d in documents if not d.startswith("subscription")]


def subscription_examples() -> list[str]:
    return [
        block.strip()
        for block in re.findall(r"```graphql\n(.*?)```", README.read_text(), re.S)
        if block.startswith("subscription")
    ]


async def test_readme_examples_run_in_order() -> None:
    documents = examples()
    assert len(documents) >= 12
    async with running_gateway(settings_for("embedded"), "embedded") as gateway:
        await seed_demo_clinic(gateway.fhir)
        for document in documents:
            names = set(re.findall(r"\$(\w+)", document))
            variables = {k: v for k, v in VARIABLES.items() if k in names}
            body = await gateway.gql(document, variables)
            assert "errors" not in body, (document, body["errors"])
            # Every example names demo resources that exist: no field comes back null.
            assert all(value is not None for value in body["data"].values()), document


async def test_readme_subscriptions_deliver_the_changes_they_describe() -> None:
    """Each subscription example hears of a change on the demo clinic: a note on
    demo-task-0001, and a Task of demo-prac-01's queue claimed by someone else."""
    documents = subscription_examples()
    assert len(documents) == 2
    async with serving(settings_for("embedded")) as gateway:
        await seed_demo_clinic(gateway.runtime.fhir)
        async with socket(gateway) as ws, httpx2.AsyncClient(base_url=gateway.http) as client:
            await ws.init()
            for index, document in enumerate(documents):
                await ws.subscribe(str(index), document)
            await gateway.subscribers(len(documents))
            queue = await client.post("/graphql", json={"query": QUEUED})
            queued = queue.json()["data"]["taskQueue"]["nodes"][0]["id"]
            for query, variables in (
                (NOTE, {"id": "demo-task-0001"}),
                (CLAIM, {"id": queued, "owner": {"reference": "Practitioner/demo-prac-02"}}),
            ):
                written = await client.post(
                    "/graphql", json={"query": query, "variables": variables}
                )
                assert "errors" not in written.json(), written.json()
            heard: dict[str, object] = {}
            while len(heard) < len(documents):
                message = await ws.receive()
                assert message["type"] == "next", message
                assert "errors" not in message["payload"], message
                heard.setdefault(message["id"], message["payload"]["data"])
    assert all(data is not None for data in heard.values())
