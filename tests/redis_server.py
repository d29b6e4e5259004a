"""A real ``redis-server`` on a free loopback port, for tests; it can be stopped and restarted."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest
import redis

from tests.conftest import free_port

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class RedisServer:
    """One redis-server without persistence; ``url`` stays the same across stop and start."""

    def __init__(self, binary: str, directory: str) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True)

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", self.directory]
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + START_TIMEOUT
        with self.client() as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    stderr = self._process.stderr.read() if self._process.stderr else b""
                    pytest.fail(f"redis-server exited with {self._process.returncode}: {stderr!r}")
                with contextlib.suppress(redis.ConnectionError):
                    if client.ping():
                        return
                time.sleep(0.05)
        pytest.fail(f"redis-server on port {self.port} did not answer within {START_TIMEOUT} s")

    def stop(self) -> None:
        if self._process is None:
            return
        process, self._process = self._process, None
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)
        if process.stderr is not None:
            process.stderr.close()


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A started redis-server, stopped on exit; fails (never skips) when none is installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed: `make redis` installs Debian's redis-server")
    with tempfile.TemporaryDirectory() as directory:
        server = RedisServer(binary, directory)
        server.start()
        try:
            yield server
        finally:
            server.stop()
