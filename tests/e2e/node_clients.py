"""Off-the-shelf JavaScript subscription clients (tests/clients) run against a gateway process:
start one, wait until the gateway counts its subscription, read what it printed."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

CLIENTS = Path(__file__).resolve().parents[1] / "clients"
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
        metrics = httpx.get(f"{url}/metrics", timeout=10.0).text
        found = re.search(r"^gateway_live_subscriptions (\S+)$", metrics, re.M)
        if found and float(found.group(1)) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{url} did not reach {count} subscriptions within {DEADLINE_S} s")
