"""``python -m gateway serve`` as a process: a busy port fails at once, before any seeding."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

EXIT_TIMEOUT = 60.0


def test_a_busy_port_fails_before_the_store_is_seeded(tmp_path: Path) -> None:
    store = tmp_path / "fhir.sqlite3"
    env = {
        **os.environ,
        "GATEWAY_FHIR_BASE_URL": "",
        "GATEWAY_STORE_PATH": str(store),
        "GATEWAY_ENV": "development",
        "GATEWAY_SEED_DEMO": "true",
    }
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        command = [sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1"]
        finished = subprocess.run(
            [*command, "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=EXIT_TIMEOUT,
            check=False,
        )

    assert finished.returncode == 1
    assert finished.stderr.splitlines() == [
        f"gateway: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]
    assert not store.exists()  # not opened, so not seeded
