"""Scale benchmark of the embedded FHIR store: load N Tasks, then time the gateway's searches.

Run: .venv/bin/python bench/store_scale.py [--tasks N] [--path FILE] [--runs R]
[--analytics-only | --no-analytics]
(--path keeps the loaded store for the next run; --analytics-only times only taskStats and
taskTurnaround.)
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
from starlette.applications import Starlette
from starlette.routing import Mount

from gateway.app import create_app
from gateway.config import Settings
from gateway.store import FhirStore, create_store_app
from gateway.store.bundles import searchset
from gateway.store.search_request import encode_page_token

SNOMED = "http://snomed.info/sct"
ROLES = [
    "158965000",
    "224571005",
    "224535009",
    "768820003",
    "768821004",
    "1251542004",
    "56542007",
    "449161006",
]
STATUSES = [
    ("requested", 20),
    ("received", 8),
    ("accepted", 8),
    ("ready", 14),
    ("in-progress", 15),
    ("on-hold", 5),
    ("completed", 15),
    ("cancelled", 5),
    ("failed", 3),
    ("rejected", 3),
    ("draft", 3),
    ("entered-in-error", 1),
]
PRIORITIES = [("routine", 50), ("urgent", 25), ("asap", 15), ("stat", 5), (None, 5)]
QUEUE = [
    ("status", "requested,received,accepted,ready"),
    ("performer", f"{SNOMED}|224535009"),
    ("owner:missing", "true"),
    ("_sort", "-priority-order,due-date"),
    ("_count", "50"),
]
# The same queue with the performer's code alone, as a client that knows no system asks.
QUEUE_CODE_ONLY = [(k, "224535009" if k == "performer" else v) for k, v in QUEUE]
WRITERS = 4  # concurrent HTTP clients writing
WRITES = 2000  # durable creates in all
ROOTS_TIMED = 50
ANALYTICS = {
    "taskStats [STATUS]": "query { taskStats(groupBy: [STATUS]) { total } }",
    "taskStats [BUSINESS_STATUS, STATUS_REASON]": """query {
        taskStats(groupBy: [BUSINESS_STATUS, STATUS_REASON]) { total groups { count } } }""",
    "taskTurnaround [CODE]": "query { taskTurnaround(groupBy: [CODE]) { count medianHours } }",
}


def _weighted(rng: random.Random, choices: list[tuple[Any, int]]) -> Any:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def generate_tasks(count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Tasks r1..rR are roots (R = count/10); every other Task is part of an earlier one."""
    rng = random.Random(seed)
    roots = max(ROOTS_TIMED, count // 10)
    for n in range(1, count + 1):
        task_id = f"r{n}" if n <= roots else f"t{n}"
        day = rng.randrange(0, 120)
        task: dict[str, Any] = {
            "resourceType": "Task",
            "id": task_id,
            "status": _weighted(rng, STATUSES),
            "intent": "order",
            "code": {"coding": [{"system": SNOMED, "code": "385763009"}]},
            "businessStatus": {"text": f"step-{rng.randrange(5)}"},
            "identifier": [{"system": "urn:bench", "value": task_id}],
            "for": {"reference": f"Patient/pat{rng.randrange(2000)}"},
            "requester": {"reference": f"Practitioner/p{rng.randrange(200)}"},
            "focus": {"reference": f"ServiceRequest/sr{n}"},
            "authoredOn": f"2026-{9 + day // 60:02d}-{1 + day % 28:02d}T08:00:00Z",
            "lastModified": f"2026-{9 + day // 60:02d}-{1 + day % 28:02d}T09:30:00Z",
            "performerType": [{"coding": [{"system": SNOMED, "code": rng.choice(ROLES)}]}],
        }
        priority = _weighted(rng, PRIORITIES)
        if priority:
            task["priority"] = priority
        if rng.random() < 0.5:
            task["owner"] = {"reference": f"Practitioner/p{rng.randrange(200)}"}
        if rng.random() < 0.9:
            due = f"2026-{11 + day // 90:02d}-{1 + day % 28:02d}T17:00:00Z"
            task["restriction"] = {"period": {"end": due.replace("2026-13", "2027-01")}}
        if n > roots:
            parent = rng.randrange(1, n)
            task["partOf"] = [{"reference": f"Task/{'r' if parent <= roots else 't'}{parent}"}]
        yield task


def load(store: FhirStore, count: int, batch: int = 2000) -> float:
    started = time.perf_counter()
    store.load(
        {"resourceType": "Practitioner", "id": f"p{n}", "name": [{"family": f"Doe{n}"}]}
        for n in range(200)
    )
    pending: list[dict[str, Any]] = []
    for task in generate_tasks(count):
        pending.append(task)
        if len(pending) == batch:
            store.load(pending)
            pending = []
    if pending:
        store.load(pending)
    return time.perf_counter() - started


def timed(action: Callable[[], object], runs: int, warmup: int = 3) -> float:
    """Median wall milliseconds; also notes the median CPU milliseconds of this thread, which
    other processes' load on a shared machine changes far less (see cpu_note)."""
    for _ in range(warmup):
        action()
    samples, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.thread_time()
        action()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - used) * 1000)
    _last_cpu[0] = statistics.median(cpu)
    return statistics.median(samples)


_last_cpu = [0.0]


def cpu_note() -> str:
    return f"(CPU {_last_cpu[0]:.2f} ms)"


def main() -> None:
    print(f"load average: {os.getloadavg()[0]:.2f} (a shared machine: figures vary with it)")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--path", help="store file (default: a temporary file)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--analytics-runs", type=int, default=5)
    parser.add_argument("--analytics-only", action="store_true")
    parser.add_argument("--no-analytics", action="store_true")
    args = parser.parse_args()
    directory = tempfile.TemporaryDirectory(prefix="store-scale-")
    path = args.path or str(Path(directory.name) / "bench.sqlite3")
    store = FhirStore.open(path)
    fresh = store.is_empty()
    if fresh:
        seconds = load(store, args.tasks)
        print(f"loaded {args.tasks} Tasks in {seconds:.1f} s: {args.tasks / seconds:,.0f} Tasks/s")
    size = sum(p.stat().st_size for p in Path(path).parent.glob(Path(path).name + "*"))
    print(f"database file: {size / 1e6:.1f} MB ({path})")
    if not args.analytics_only:
        _store_timings(store, args.runs)
    store.close()
    if not args.analytics_only:
        print(f"\nwrites over HTTP to the gateway serving this file (adds {WRITES} Tasks):")
        _write_throughput(path)
    if not args.no_analytics:
        print(f"\nanalytics through the gateway on this store (median of {args.analytics_runs}):")
        asyncio.run(_analytics_timings(path, args.analytics_runs))
    directory.cleanup()


def _store_timings(store: FhirStore, runs: int) -> None:

    part_of = [("part-of", ",".join(f"Task/r{n}" for n in range(1, ROOTS_TIMED + 1)))]
    part_of.append(("_count", "1000"))
    roots = ",".join(f"r{n}" for n in range(1, ROOTS_TIMED + 1))
    tree = [("_id", roots), ("_revinclude:iterate", "Task:part-of"), ("_count", "50")]
    searches = {
        "queue search": QUEUE,
        "queue search, code without system": QUEUE_CODE_ONLY,
        "part-of, 50 parents": part_of,
        "_revinclude:iterate, 50 roots": tree,
        "sorted, no filter": [("_sort", "-priority-order,due-date"), ("_count", "50")],
        "queue _total=accurate": [*QUEUE, ("_total", "accurate")],
        "queue, rare status": [("status", "entered-in-error"), *QUEUE[1:]],
        "authored-on range, by id": [("authored-on", "ge2026-10-01"), ("_count", "50")],
        "owner + _include=Task:owner": [
            ("owner", "Practitioner/p7"),
            ("_include", "Task:owner"),
            ("_sort", "-_lastUpdated"),
        ],
    }
    print(f"\nstore-level timings (median of {runs} after warm-up), including Bundle JSON:")
    for label, params in searches.items():
        result = store.search("Task", params, base_url="http://bench/fhir/R4")

        def run(params: list[tuple[str, str]] = params) -> None:
            searchset(store.search("Task", params), "http://bench/fhir/R4")

        ms = timed(run, runs)
        print(
            f"  {label:32s} {ms:8.2f} ms {cpu_note()} "
            f"({len(result.matches)} matches, {len(result.included)} included)"
        )
    first = store.search("Task", QUEUE)
    assert first.next_after is not None
    page_two = [*QUEUE, ("_page_token", encode_page_token(first.next_after))]
    ms = timed(lambda: store.search("Task", page_two), runs)
    print(f"  {'queue search, next page':32s} {ms:8.2f} ms")
    print(f"  {'read Task/r1':32s} {timed(lambda: store.read('Task', 'r1'), runs):8.2f} ms")
    counter = iter(range(10**9))
    body = next(generate_tasks(1))

    def create() -> None:
        store.create("Task", {**body, "identifier": [{"value": f"new-{next(counter)}"}]})

    print(f"  {'create Task (fsync)':32s} {timed(create, runs):8.2f} ms")
    print(f"\nHTTP timings through the ASGI app (median of {runs}):")
    asyncio.run(_http_timings(store, searches, runs))
    for label, params in searches.items():
        print(f"\nEXPLAIN QUERY PLAN, {label}:")
        for line in store.query_plan("Task", params):
            print("  " + line)


async def _http_timings(
    store: FhirStore, searches: dict[str, list[tuple[str, str]]], runs: int
) -> None:
    app = Starlette(routes=[Mount("/fhir/R4", app=create_store_app(store))])
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://bench/fhir/R4/") as client:
        for label, params in searches.items():
            samples = []
            for n in range(runs + 3):
                started = time.perf_counter()
                response = await client.get("Task", params=tuple(params))
                if n >= 3:
                    samples.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, response.text
            print(f"  {label:32s} {statistics.median(samples):8.2f} ms")


def _write_throughput(path: str) -> None:
    """Creates from WRITERS client processes at once over TCP, each waiting for its answer (a
    durable commit), against the gateway serving this store file."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "GATEWAY_STORE_PATH": path, "GATEWAY_SEED_DEMO": "false"}
    env |= {"GATEWAY_CURSOR_SECRET": "bench", "GATEWAY_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "gateway", "serve", "--port", str(port)]
    server = subprocess.Popen(command, env=env)
    base = f"http://127.0.0.1:{port}/fhir/R4/"
    try:
        with httpx2.Client(base_url=base) as client:
            for _ in range(600):
                try:
                    client.get("metadata")
                    break
                except httpx2.TransportError:
                    time.sleep(0.1)
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(WRITERS + 1)
        writers = [
            context.Process(target=_writer, args=(base, n, WRITES // WRITERS, start))
            for n in range(WRITERS)
        ]
        for writer in writers:
            writer.start()
        start.wait(timeout=60)
        started = time.perf_counter()
        for writer in writers:
            writer.join(timeout=600)
            assert writer.exitcode == 0
        seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    label = f"creates, {WRITERS} client processes"
    print(f"  {label:32s} {WRITES / seconds:8.0f} per s ({WRITES} in {seconds:.2f} s, fsync each)")


def _writer(base: str, writer: int, count: int, start: Any) -> None:
    body = next(generate_tasks(1))
    with httpx2.Client(base_url=base) as client:
        client.get("metadata")  # connected before the clock starts
        start.wait(timeout=60)
        for n in range(count):
            created = {**body, "identifier": [{"system": "urn:bench", "value": f"w{writer}-{n}"}]}
            response = client.post("Task", json=created)
            assert response.status_code == 201, response.text


async def _analytics_timings(path: str, runs: int) -> None:
    settings = Settings(store_path=path, seed_demo=False, cursor_secret="bench")
    app = create_app(settings)
    sent: list[httpx2.Request] = []

    async def count(request: httpx2.Request) -> None:
        sent.append(request)

    app.state.runtime.http.event_hooks["request"].append(count)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as client:
            for label, query in ANALYTICS.items():
                samples = []
                for n in range(runs + 1):
                    sent.clear()
                    started = time.perf_counter()
                    response = await client.post("/graphql", json={"query": query})
                    if n >= 1:
                        samples.append((time.perf_counter() - started) * 1000)
                    assert "errors" not in response.json(), response.text
                median = statistics.median(samples)
                print(f"  {label:44s} {median:9.1f} ms  ({len(sent)} FHIR requests)")


if __name__ == "__main__":
    main()
