"""Every GraphQL example in the README runs, in order, on the seeded demo clinic."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.seed import seed_demo_clinic
from tests.conftest import running_gateway, settings_for

README = Path(__file__).resolve().parents[2] / "README.md"
VARIABLES = {"me": "Practitioner/demo-prac-01", "id": "demo-task-0001", "after": None}


def examples() -> list[str]:
    text = README.read_text()
    documents: list[str] = []
    for block in re.findall(r"```graphql\n(.*?)```", text, re.S):
        documents += re.split(r"\n(?=mutation|query)", block.strip())
    documents += re.findall(r"`(query \{ resource\(.*?)`", text)
    return documents


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
