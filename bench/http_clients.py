"""httpx against httpx2 as the gateway's FHIR client, over TCP to a running FHIR server.

Starts the gateway with its embedded store (demo clinic) on a free port as the FHIR server,
then sends the gateway's two common FHIR requests (a search for a page of 50 Tasks, a read)
through a client configured as gateway/upstream.py configures it, at each concurrency, with
the libraries interleaved round by round. Run: python bench/http_clients.py [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

Results = dict[str, tuple[list[float], float, float]]

LIBRARIES = ("httpx", "httpx2")
CONCURRENCY = (8, 32)
MAX_CONNECTIONS = 20  # GATEWAY_UPSTREAM_MAX_CONNECTIONS' default
REQUESTS: dict[str, tuple[str, dict[str, str]]] = {
    "search, page of 50": ("Task", {"_count": "50"}),
    "read": ("Task/demo-task-0001", {}),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_server(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {
        **os.environ,
        "GATEWAY_STORE_PATH": str(Path(directory) / "fhir.sqlite3"),
        "GATEWAY_CURSOR_SECRET": "bench",
        "GATEWAY_LOG_LEVEL": "warning",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--port", str(port)], env=env
    )
    return server, f"http://127.0.0.1:{port}/fhir/R4/"


def _client(library: str, base_url: str) -> Any:
    http = importlib.import_module(library)
    limits = http.Limits(max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS)
    return http.AsyncClient(
        base_url=base_url,
        transport=http.AsyncHTTPTransport(retries=1, limits=limits),
        timeout=http.Timeout(10.0),
        follow_redirects=False,
    )


async def _wait_ready(base_url: str) -> None:
    client = _client("httpx", base_url)
    async with client:
        for _ in range(600):
            try:
                if (await client.get("metadata")).status_code == 200:
                    return
            except Exception:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the FHIR server did not start")


async def _round(
    client: Any, path: str, params: dict[str, str], n: int, concurrency: int
) -> tuple[list[float], float, float]:
    """Latencies, wall seconds, and this process's CPU seconds (the client's own cost)."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one() -> None:
        async with gate:
            started = time.perf_counter()
            response = await client.get(path, params=params)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one() for _ in range(n)))
    return latencies, time.perf_counter() - started, time.process_time() - cpu


async def main(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="http-clients-") as directory:
        server, base_url = _start_server(directory)
        try:
            await _wait_ready(base_url)
            print(f"load average: {os.getloadavg()[0]:.2f} (2 cores shared)")
            print(
                f"{'request':20} {'conc':>4} {'library':8} {'per s':>8} {'p50 ms':>8} "
                f"{'p95 ms':>8} {'client CPU ms/request':>22}"
            )
            for label, (path, params) in REQUESTS.items():
                for concurrency in CONCURRENCY:
                    results: Results = {lib: ([], 0.0, 0.0) for lib in LIBRARIES}
                    clients = {lib: _client(lib, base_url) for lib in LIBRARIES}
                    for client in clients.values():  # warm the pools
                        await _round(client, path, params, concurrency, concurrency)
                    for _ in range(rounds):
                        for lib, client in clients.items():
                            latencies, seconds, cpu = await _round(
                                client, path, params, requests // rounds, concurrency
                            )
                            kept, total, total_cpu = results[lib]
                            results[lib] = (kept + latencies, total + seconds, total_cpu + cpu)
                    for lib, client in clients.items():
                        await client.aclose()
                        latencies, seconds, cpu = results[lib]
                        latencies.sort()
                        p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
                        print(
                            f"{label:20} {concurrency:4d} {lib:8} {len(latencies) / seconds:8.1f} "
                            f"{statistics.median(latencies) * 1000:8.1f} {p95:8.1f} "
                            f"{cpu / len(latencies) * 1000:22.2f}"
                        )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=600, help="per library and case")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds))
