"""Fan-out latency across two replicas: a change published on one hub, until a subscriber of
the other hub has it, through a real redis-server (two clients, as two processes would hold).

Run by `make bench` (never by `make test`): python bench/fanout_latency.py [--changes N]
Needs redis-server on PATH (`make redis`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime

from gateway.changes import ChangeHub, RedisFanout, TaskChangeEvent
from gateway.redis_connection import connect

# A Task of about the size the gateway's own writes carry.
TASK = {
    "resourceType": "Task",
    "status": "requested",
    "intent": "order",
    "priority": "urgent",
    "description": "x" * 400,
    "for": {"reference": "Patient/p-1"},
    "owner": {"reference": "Practitioner/pr-1"},
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def measure(url: str, changes: int) -> list[float]:
    sender_hub, receiver_hub = ChangeHub(), ChangeHub()
    sender_client, receiver_client = connect(url), connect(url)
    fanouts = [RedisFanout(sender_hub, sender_client), RedisFanout(receiver_hub, receiver_client)]
    running = [asyncio.create_task(f.run()) for f in fanouts]
    seconds: list[float] = []
    try:
        for fanout in fanouts:
            await asyncio.wait_for(fanout.subscribed.wait(), 10)
        async with receiver_hub.subscribe() as subscriber:
            for n in range(changes):
                task = {**TASK, "id": f"t{n}", "meta": {"versionId": "1"}}
                started = time.perf_counter()
                sender_hub.publish(
                    TaskChangeEvent(f"t{n}", "1", "UPDATED", task, datetime.now(UTC))
                )
                await asyncio.wait_for(anext(subscriber), 10)
                seconds.append(time.perf_counter() - started)
    finally:
        for job in running:
            job.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await sender_client.aclose()
        await receiver_client.aclose()
    return seconds


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def main(changes: int) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: `make redis`")
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        server = subprocess.Popen([*command, "--dir", directory], stdout=subprocess.DEVNULL)
        try:
            wait_until_up(port)
            seconds = asyncio.run(measure(f"redis://127.0.0.1:{port}/0", changes))
        finally:
            server.terminate()
            server.wait(10)
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"fan-out across two replicas, {len(ms)} changes one at a time:")
    print(f"  median {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, max {ms[-1]:.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=500)
    main(parser.parse_args().changes)
