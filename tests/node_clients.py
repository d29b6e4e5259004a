"""Run a Node script from tests/clients (off-the-shelf GraphQL clients) and read its JSON: to the
end (``run_client``), or in the background while the test writes (``node_client``)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx2

CLIENTS = Path(__file__).resolve().parent / "clients"
CLIENT_TIMEOUT = 120.0


def run_client(script: str, *args: str, env: Mapping[str, str] | None = None) -> Any:
    """The JSON a script of tests/clients printed on its last line; fails on a non-zero exit."""
    node = shutil.which("node")
    assert node is not None, "node is needed to run the GraphQL clients"
    assert (CLIENTS / "node_modules" / "@apollo" / "client").is_dir(), f"run npm ci in {CLIENTS}"
    finished = subprocess.run(
        [node, script, *args],
        cwd=CLIENTS,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout.strip().splitlines()[-1])


# Generous bounds: waited for, never asserted as speed.
DEADLINE_S = 60.0


@contextlib.contextmanager
def node_client(script: str, *args: str) -> Iterator[subprocess.Popen[str]]:
    node = shutil.which("node")
    assert node is not None, "node is needed to run the JavaScript clients"
    assert (CLIENTS / "node_modules" / "graphql-ws").is_dir(), f"run npm ci in {CLIENTS}"
    with subprocess.Popen(
        [node, script, *args],
        cwd=CLIENTS,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()


def printed(process: subprocess.Popen[str]) -> list[dict[str, Any]]:
    """The JSON lines a client printed before it exited (within the deadline)."""
    out, err = process.communicate(timeout=DEADLINE_S)
    assert process.returncode == 0, err
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def wait_for_subscriptions(url: str, count: int) -> None:
    """Until the gateway at ``url`` reports ``count`` live subscriptions in /metrics."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        metrics = httpx2.get(f"{url}/metrics", timeout=10.0).text
        found = re.search(r"^gateway_live_subscriptions (\S+)$", metrics, re.M)
        if found and float(found.group(1)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{url} did not reach {count} subscriptions within {DEADLINE_S} s")
