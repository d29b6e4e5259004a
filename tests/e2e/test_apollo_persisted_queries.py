"""Apollo Client 4 with its persisted-queries link against a running gateway: the hash alone
is asked for once, the document sent once, and from then on the hash alone is served."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from tests.serve import gateway_process

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
CLIENT_TIMEOUT = 120.0
QUERY = "query Open { tasks(first: 3) { totalCount nodes { id status } } }"


def without_typename(value: Any) -> Any:
    """Apollo's cache adds __typename to every selection; the rest is what the gateway sent."""
    if isinstance(value, dict):
        return {k: without_typename(v) for k, v in value.items() if k != "__typename"}
    if isinstance(value, list):
        return [without_typename(item) for item in value]
    return value


def sent(request: dict[str, Any]) -> tuple[str, str | None, str]:
    """(method, document sent or None, hash) of one request the client made."""
    if request["method"] == "GET":
        params = parse_qs(urlsplit(request["url"]).query)
        extensions = json.loads(params["extensions"][0])
        document = params["query"][0] if "query" in params else None
    else:
        extensions = request["body"]["extensions"]
        document = request["body"].get("query")
    return request["method"], document, extensions["persistedQuery"]["sha256Hash"]


def test_the_second_query_carries_only_the_hash() -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed to run Apollo Client"
    assert (CLIENTS / "node_modules" / "@apollo" / "client").is_dir(), f"run npm ci in {CLIENTS}"
    with gateway_process({"GATEWAY_SEED_DEMO": "true"}) as url:
        finished = subprocess.run(
            [node, "apollo_apq.mjs", f"{url}/graphql", QUERY],
            cwd=CLIENTS,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            check=False,
        )
        direct = httpx2.post(f"{url}/graphql", json={"query": QUERY}, timeout=10.0).json()
        metrics = httpx2.get(f"{url}/metrics", timeout=10.0).text
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)

    assert (
        direct["data"]["tasks"]["totalCount"] > 0
    )  # the demo clinic, so the answer says something
    assert [without_typename(a["data"]) for a in report["answers"]] == [direct["data"]] * 2
    assert [a["error"] for a in report["answers"]] == [None, None]

    requests = [sent(request) for request in report["requests"]]
    assert [(method, document is None) for method, document, _ in requests] == [
        ("GET", True),  # the hash alone: not found yet
        ("POST", False),  # the document with its hash, which the gateway keeps
        ("GET", True),  # the second query: the hash alone, served
    ]
    document = requests[1][1]
    assert document is not None
    assert {h for _, _, h in requests} == {hashlib.sha256(document.encode()).hexdigest()}
    assert 'gateway_graphql_errors_total{code="PERSISTED_QUERY_NOT_FOUND"} 1.0' in metrics
