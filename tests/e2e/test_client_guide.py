"""The client guide runs: each README example of "Use it from your app" is a file of
tests/clients/guide, run against a gateway process with the demo clinic."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from tests.node_clients import CLIENTS, run_client
from tests.serve import gateway_process

README = Path(__file__).resolve().parents[2] / "README.md"
GUIDE = CLIENTS / "guide"


class Direct:
    """The same gateway asked directly over HTTP, to compare what an example saw and did."""

    def __init__(self, url: str) -> None:
        self.url = url

    def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        body = httpx2.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=10.0
        ).json()
        assert "errors" not in body, body
        return body["data"]

    def task(self, task_id: str) -> Any:
        query = """query ($id: ID!) { task(id: $id) {
          status versionId note { text } ownerReference { reference }
          focus { __typename id ... on ServiceRequest { status intent code { text } } } } }"""
        return self.data(query, {"id": task_id})["task"]


# One process for the module: seeding the demo clinic is the slow part, and each test reads
# the state it compares against right before its example runs.
@pytest.fixture(scope="module")
def demo() -> Iterator[Direct]:
    with gateway_process({"GATEWAY_SEED_DEMO": "true"}) as url:
        yield Direct(url)


def run_example(name: str, direct: Direct) -> Any:
    return run_client(f"guide/{name}.mjs", env={"GRAPHQL_URL": f"{direct.url}/graphql"})


def test_the_readme_shows_exactly_the_guide_files() -> None:
    text = README.read_text()
    section = text.split("\n## Use it from your app\n", 1)[1].split("\n## ", 1)[0]
    shown = re.findall(r"```js\n(.*?)```", section, re.S)
    assert shown == [(GUIDE / f"{name}.mjs").read_text() for name in ("apollo", "urql", "fetch")]


def test_apollo_pages_updates_its_cache_and_reads_error_codes(demo: Direct) -> None:
    ready = demo.data(
        "{ tasks(filter: {status: [READY]}, sort: AUTHORED_ON_ASC, first: 10) "
        "{ nodes { id versionId } } }"
    )["tasks"]["nodes"]
    first = ready[0]
    report = run_example("apollo", demo)

    # Two pages of five, merged into one list in the cache.
    assert report["listed"] == [task["id"] for task in ready]
    stored = demo.task(first["id"])
    assert stored["status"] == "IN_PROGRESS"
    assert stored["versionId"] != first["versionId"]
    # The mutation's answer updated the cached Task; the update function took it off the list.
    assert report["started"] == {
        "__typename": "Task",
        "status": "IN_PROGRESS",
        "versionId": stored["versionId"],
    }
    assert report["stillListed"] == [task["id"] for task in ready[1:]]
    # The second start carried the stale version: refused, nothing written.
    assert report["conflict"] == {"code": "VERSION_CONFLICT", "currentVersion": stored["versionId"]}


def test_urql_reads_a_typed_focus_and_refetches_after_a_mutation(demo: Direct) -> None:
    before = demo.task("demo-task-0001")
    report = run_example("urql", demo)
    after = demo.task("demo-task-0001")

    assert before["focus"]["__typename"] == "ServiceRequest"
    code = {**before["focus"]["code"], "__typename": "CodeableConcept"}
    assert report["focus"] == {**before["focus"], "code": code}
    assert report["notesBefore"] == len(before["note"])
    notes = [*before["note"], {"text": "Called the patient."}]
    assert after["note"] == notes
    assert report["notesAfter"] == [note["text"] for note in notes]
    assert report["versions"] == [before["versionId"], after["versionId"]]
    assert report["refused"] == {"code": "BAD_USER_INPUT", "argument": "first"}


def test_fetch_claims_a_task_and_reads_the_late_claims_code(demo: Direct) -> None:
    unassigned = demo.data(
        "{ tasks(filter: {status: [READY], unassigned: true}, sort: AUTHORED_ON_ASC, first: 1) "
        "{ totalCount nodes { id } } }"
    )["tasks"]
    task_id = unassigned["nodes"][0]["id"]
    report = run_example("fetch", demo)

    assert report["open"] == unassigned["totalCount"]
    assert report["claimed"] == {"id": task_id, "owner": {"id": "demo-prac-01"}}
    owner = "Practitioner/demo-prac-01"
    assert demo.task(task_id)["ownerReference"] == {"reference": owner}
    assert report["late"] == {"status": 200, "code": "ALREADY_CLAIMED", "currentOwner": owner}
    assert report["invalid"] == {"status": 400, "code": "GRAPHQL_VALIDATION_FAILED"}
