"""Two gateway processes on one embedded store file: racing writes still lose no update."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.mutations import CLAIM, START, outcome

RACERS = 20
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
REQUEST_TIMEOUT = 30.0
CREATE = "mutation { createTask(input: {status: REQUESTED}) { id versionId } }"
READ = "query($id: ID!) { task(id: $id) { versionId status ownerReference { reference } } }"


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"gateway exited with {process.returncode}:\n{log.read()[-3000:]!r}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"gateway at {url} not healthy within {START_TIMEOUT} s")


@contextlib.contextmanager
def _gateway_process(store_path: Path) -> Iterator[str]:
    """``python -m gateway serve`` on a free port over ``store_path``; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_FHIR_BASE_URL": "",
        "GATEWAY_STORE_PATH": str(store_path),
        "GATEWAY_SEED_DEMO": "false",
        "GATEWAY_CURSOR_SECRET": "test-secret",
        "GATEWAY_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with (
        tempfile.TemporaryFile() as log,
        subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        ) as process,
    ):
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="module")
def two_gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two gateway processes sharing one store file; started one after the other."""
    store_path = tmp_path_factory.mktemp("shared-store") / "fhir.sqlite3"
    with _gateway_process(store_path) as first, _gateway_process(store_path) as second:
        yield first, second


async def _gql(client: httpx.AsyncClient, url: str, query: str, **variables: Any) -> Any:
    response = await client.post(f"{url}/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()


async def _new_task(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    body = await _gql(client, url, CREATE)
    assert "errors" not in body, body
    created: dict[str, Any] = body["data"]["createTask"]
    return created


async def test_claims_split_over_two_processes_have_one_winner(
    two_gateways: tuple[str, str],
) -> None:
    urls = two_gateways
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
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
    async with httpx.AsyncClient(timeout=REQUEST_TIMEOUT) as client:
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
