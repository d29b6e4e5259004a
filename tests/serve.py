"""``python -m gateway serve`` as a real process on a free loopback port, for tests."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from typing import IO

import httpx2
import pytest

from tests.conftest import free_port

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# The process behind each URL gateway_process yields, for tests that stop it themselves.
PROCESSES: dict[str, subprocess.Popen[bytes]] = {}


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"gateway exited with {process.returncode}:\n{log.read()[-3000:]!r}")
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    pytest.fail(f"gateway at {url} not healthy within {START_TIMEOUT} s")


@contextlib.contextmanager
def gateway_process(settings: Mapping[str, str]) -> Iterator[str]:
    """A gateway process on the embedded store with GATEWAY_* ``settings`` on top of test
    defaults; yields its base URL and stops it on exit."""
    port = free_port()
    env = {
        **os.environ,
        "GATEWAY_FHIR_BASE_URL": "",
        "GATEWAY_STORE_PATH": ":memory:",
        "GATEWAY_SEED_DEMO": "false",
        "GATEWAY_CURSOR_SECRET": "test-secret",
        "GATEWAY_LOG_LEVEL": "warning",
        **settings,
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
            PROCESSES[url] = process
            yield url
        finally:
            PROCESSES.pop(f"http://127.0.0.1:{port}", None)
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT)
