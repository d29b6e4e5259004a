"""Starts and stops the Medplum FHIR router peer (``tests/peer/medplum/server.mjs``) for tests."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx2

__all__ = ["PEER_DIR", "PeerStartError", "reset", "reset_url", "running_medplum"]

PEER_DIR = Path(__file__).resolve().parent / "medplum"
FHIR_PATH = "/fhir/R4/"
_READY_PREFIX = "LISTENING "
_STOP_GRACE_SECONDS = 5.0
_STDERR_TAIL_BYTES = 4000


class PeerStartError(RuntimeError):
    """The peer could not be started: node or node_modules missing, early exit, or timeout."""


@contextlib.contextmanager
def running_medplum(timeout: float = 90.0) -> Iterator[str]:
    """Run the peer for the duration of the block; yields ``http://127.0.0.1:<port>/fhir/R4/``.

    The process is terminated on exit (killed if it has not stopped within 5 s).
    """
    node = shutil.which("node")
    if node is None:
        raise PeerStartError("node is not on PATH; the Medplum peer needs Node 20 or later")
    if not (PEER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        raise PeerStartError(
            f"{PEER_DIR}/node_modules is missing: run "
            f"`npm ci --no-audit --no-fund --loglevel=error` in {PEER_DIR}"
        )
    command = [node, "--experimental-websocket", "server.mjs", "--port", "0"]
    # stderr goes to a file, not a pipe nobody drains, so a chatty peer can never block on it.
    with (
        tempfile.TemporaryFile() as stderr,
        subprocess.Popen(
            command,
            cwd=PEER_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
            errors="replace",
        ) as process,
    ):
        assert process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(
            target=_pump, args=(process.stdout, lines), name="medplum-peer-stdout", daemon=True
        )
        reader.start()
        try:
            port = _await_port(process, lines, timeout, stderr)
            yield f"http://127.0.0.1:{port}{FHIR_PATH}"
        finally:
            _stop(process)
            reader.join(timeout=_STOP_GRACE_SECONDS)


def reset_url(base_url: str) -> str:
    """The peer's ``POST /reset`` URL (outside the FHIR base) for a base URL it yielded."""
    root = base_url.split(FHIR_PATH.rstrip("/"), 1)[0]
    return f"{root}/reset"


def reset(base_url: str, *, timeout: float = 10.0) -> None:
    """Replace the peer's repository with an empty one (synchronous; async code posts itself)."""
    response = httpx2.post(reset_url(base_url), timeout=timeout)
    if response.status_code != 204:
        raise RuntimeError(f"reset answered {response.status_code}: {response.text[:200]}")


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    # Keeps reading after the ready line so the pipe never fills; None marks end of output.
    try:
        for line in stream:
            lines.put(line)
    finally:
        lines.put(None)


def _await_port(
    process: subprocess.Popen[str],
    lines: queue.Queue[str | None],
    timeout: float,
    stderr: IO[bytes],
) -> int:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PeerStartError(
                f"Medplum peer printed no LISTENING line within {timeout:.0f} s; "
                f"stderr:\n{_tail(stderr)}"
            )
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=_STOP_GRACE_SECONDS)
            raise PeerStartError(
                f"Medplum peer exited (code {process.returncode}) before listening; "
                f"stderr:\n{_tail(stderr)}"
            )
        if line.startswith(_READY_PREFIX):
            return int(line[len(_READY_PREFIX) :].strip())


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=_STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(stderr: IO[bytes]) -> str:
    # pread leaves the file offset, which the child shares, where it is.
    size = os.fstat(stderr.fileno()).st_size
    start = max(0, size - _STDERR_TAIL_BYTES)
    return os.pread(stderr.fileno(), size - start, start).decode("utf-8", "replace")
