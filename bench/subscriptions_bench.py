"""Latency from a mutation to the delivered event at 1,000 WebSocket subscribers on one gateway
process, and the memory one idle subscription costs.

Run by `make bench` (never by `make test`):
python bench/subscriptions_bench.py [--subscribers N] [--rounds N]

The gateway runs as its own process (`python -m gateway serve`, embedded store in memory); this
process holds the subscribers (graphql-transport-ws, one subscription per connection) and
sends the mutations, so both share the machine's cores, as a client fleet would not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator

import httpx2
from websockets.asyncio.client import ClientConnection, connect

SUBSCRIPTION = "subscription { taskChanged { kind taskId versionId } }"
CREATE = "mutation { createTask(input: {status: REQUESTED}) { id } }"
DEADLINE_S = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@contextlib.contextmanager
def _gateway() -> Iterator[tuple[str, int]]:
    port = _free_port()
    env = {
        **os.environ,
        "GATEWAY_FHIR_BASE_URL": "",
        "GATEWAY_STORE_PATH": ":memory:",
        "GATEWAY_SEED_DEMO": "false",
        "GATEWAY_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "gateway", "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx2.HTTPError):
                if httpx2.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                    break
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


class Subscribers:
    """Arrival times of each Task's CREATED event, per subscriber."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.arrivals: dict[str, list[float]] = defaultdict(list)
        self.complete: dict[str, asyncio.Event] = defaultdict(asyncio.Event)

    async def read(self, connection: ClientConnection) -> None:
        async for message in connection:
            arrived = time.perf_counter()
            data = json.loads(message)
            if data.get("type") != "next":
                continue
            task_id = data["payload"]["data"]["taskChanged"]["taskId"]
            times = self.arrivals[task_id]
            times.append(arrived)
            if len(times) == self.expected:
                self.complete[task_id].set()


async def _subscribe(url: str, subscribers: Subscribers, stack: contextlib.AsyncExitStack) -> None:
    connection = await stack.enter_async_context(
        connect(url, subprotocols=["graphql-transport-ws"], open_timeout=DEADLINE_S)  # type: ignore[list-item]
    )
    await connection.send(json.dumps({"type": "connection_init", "payload": {}}))
    json.loads(await connection.recv())
    payload = {"query": SUBSCRIPTION}
    await connection.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
    task = asyncio.create_task(subscribers.read(connection))
    stack.callback(task.cancel)


async def _live(url: str) -> int:
    async with httpx2.AsyncClient(timeout=10.0) as client:
        metrics = (await client.get(f"{url}/metrics")).text
    found = re.search(r"^gateway_live_subscriptions (\S+)$", metrics, re.M)
    return int(float(found.group(1))) if found else 0


@contextlib.asynccontextmanager
async def _subscribed(url: str, count: int) -> AsyncIterator[Subscribers]:
    subscribers = Subscribers(count)
    ws = url.replace("http://", "ws://") + "/graphql"
    async with contextlib.AsyncExitStack() as stack:
        for start in range(0, count, 100):
            batch = min(100, count - start)
            await asyncio.gather(*(_subscribe(ws, subscribers, stack) for _ in range(batch)))
        async with asyncio.timeout(DEADLINE_S):
            while True:  # the gateway's own count, polled: nothing to wait on across processes
                if await _live(url) >= count:
                    break
                await asyncio.sleep(0.1)
        yield subscribers


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def main(count: int, rounds: int) -> None:
    with _gateway() as (url, pid):
        async with httpx2.AsyncClient(base_url=url, timeout=DEADLINE_S) as client:
            await client.post("/graphql", json={"query": CREATE})  # warm up
            await asyncio.sleep(1.0)
            before = _rss_kib(pid)
            async with _subscribed(url, count) as subscribers:
                await asyncio.sleep(1.0)
                idle = _rss_kib(pid)
                latencies: list[float] = []
                last_delivery: list[float] = []
                for _ in range(rounds):
                    sent = time.perf_counter()
                    body = (await client.post("/graphql", json={"query": CREATE})).json()
                    task_id = body["data"]["createTask"]["id"]
                    async with asyncio.timeout(DEADLINE_S):
                        await subscribers.complete[task_id].wait()
                    arrivals = subscribers.arrivals[task_id]
                    latencies += [(arrived - sent) * 1000 for arrived in arrivals]
                    last_delivery.append((max(arrivals) - sent) * 1000)
                    await asyncio.sleep(0.2)
    per_subscription = (idle - before) / count
    print(f"subscribers: {count} WebSockets on one process, one subscription each")
    print(f"rounds: {rounds} mutations, {len(latencies)} deliveries")
    print(
        f"mutation -> delivered event: p50 {statistics.median(latencies):.0f} ms, "
        f"p99 {_percentile(latencies, 0.99):.0f} ms, "
        f"slowest round's last delivery {max(last_delivery):.0f} ms"
    )
    print(
        f"memory per idle subscription: {per_subscription:.1f} KiB "
        f"(server RSS {before / 1024:.0f} MiB -> {idle / 1024:.0f} MiB)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.subscribers, arguments.rounds))
