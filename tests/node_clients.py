"""Run a Node script from tests/clients (off-the-shelf GraphQL clients) and read its JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
