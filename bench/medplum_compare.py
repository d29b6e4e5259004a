"""The gateway against Medplum's own $graphql on the same Medplum router and the same data.

Run by `make bench` (never by `make test`): python bench/medplum_compare.py [--rounds N]
Both read the test suite's Medplum peer (tests/peer/medplum); the gateway runs in this process
(its FHIR client talks HTTP to the peer), requests interleave, and each figure is a median.
Writes bench/results/<date>.json and <date>.png (the ratios) and prints every target.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
from graphql import build_schema, graphql_sync

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gateway.app import create_app
from gateway.config import Settings
from gateway.runtime import Runtime
from tests.peer.medplum import reset, running_medplum

RESULTS = Path(__file__).resolve().parent / "results"
ROOTS, LEVELS = 50, 3
ROOT_MARK = "http://bench.example|root"

PAGE_GATEWAY = """{ tasks(first: 50, sort: AUTHORED_ON_ASC, filter: { topLevel: true }) { nodes {
  id status owner { id ... on Practitioner { displayName } }
  for { id ... on Patient { displayName } } focus { id resourceType } } } }"""
PAGE_MEDPLUM = (
    f'{{ TaskList(identifier: "{ROOT_MARK}", _count: 50, _sort: "authored-on") {{'
    """ id status owner { resource { ... on Practitioner { id name { given family } } } }
  for { resource { ... on Patient { id name { given family } } } }
  focus { resource { ... on ServiceRequest { id resourceType } } } } }"""
)


def _nested(leaf: str, child: str, levels: int) -> str:
    inner = leaf
    for _ in range(levels):
        inner = f"{leaf} {child} {{ {inner} }}"
    return inner


TREE_GATEWAY = (
    "{ tasks(first: 50, sort: AUTHORED_ON_ASC, filter: { topLevel: true }) { nodes { "
    + _nested("id status owner { id }", "subtasks", LEVELS)
    + " } } }"
)
TREE_MEDPLUM = (
    f'{{ TaskList(identifier: "{ROOT_MARK}", _count: 50, _sort: "authored-on") {{ '
    + _nested(
        "id status owner { resource { ... on Practitioner { id } } }",
        "TaskList(_reference: part_of)",
        LEVELS,
    )
    + " } }"
)
BARE_SDL = """type Query { tasks: [Task] }
type Task { id: ID status: String owner: Ref subtasks: [Task] }
type Ref { id: ID }"""
TREE_BARE = "{ tasks { " + _nested("id status owner { id }", "subtasks", LEVELS) + " } }"

TARGETS = {  # scenario -> (ratio at most, or throughput ratio at least)
    "page": ("<=", 1.0),
    "tree": ("<=", 0.1),
    "throughput c8": (">=", 1.0),
    "cpu per Task node": ("<=", 1.5),
}


def resources() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    found += [
        {"resourceType": "Practitioner", "id": f"p{n}", "name": [{"family": f"Doe{n}"}]}
        for n in range(5)
    ]  # fmt: skip
    found += [
        {"resourceType": "Patient", "id": f"pt{n}", "name": [{"family": f"Roe{n}"}]}
        for n in range(10)
    ]  # fmt: skip
    found += [
        {"resourceType": "ServiceRequest", "id": f"sr{n}", "status": "active", "intent": "order",
         "subject": {"reference": f"Patient/pt{n}"}}
        for n in range(4)
    ]  # fmt: skip
    for root in range(ROOTS):
        parent = None
        for level in range(LEVELS + 1):
            tid = f"b{root:02d}-{level}"
            task: dict[str, Any] = {
                "resourceType": "Task",
                "id": tid,
                "status": "ready",
                "intent": "order",
                "authoredOn": f"2026-11-01T09:{root:02d}:0{level}Z",
                "owner": {"reference": f"Practitioner/p{(root + level) % 5}"},
                "for": {"reference": f"Patient/pt{root % 10}"},
                "focus": {"reference": f"ServiceRequest/sr{root % 4}"},
            }
            if parent is None:
                task["identifier"] = [{"system": ROOT_MARK.split("|")[0], "value": "root"}]
            else:
                task["partOf"] = [{"reference": f"Task/{parent}"}]
            found.append(task)
            parent = tid
    return found


def bare_tasks(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same Tasks as plain dicts linked for graphql-core's default resolvers."""
    tasks = {r["id"]: dict(r) for r in found if r["resourceType"] == "Task"}
    for task in tasks.values():
        task["subtasks"] = []
        task["owner"] = {"id": task["owner"]["reference"].split("/")[1]}
    roots = []
    for task in tasks.values():
        parents = task.get("partOf") or []
        if parents:
            tasks[parents[0]["reference"].split("/")[1]]["subtasks"].append(task)
        else:
            roots.append(task)
    return roots


def count_nodes(value: Any) -> int:
    """Task nodes in a result: objects that carry a status."""
    if isinstance(value, list):
        return sum(count_nodes(v) for v in value)
    if isinstance(value, dict):
        return ("status" in value) + sum(count_nodes(v) for v in value.values())
    return 0


def waves(spans: list[tuple[float, float]]) -> int:
    """Sequential round trips: requests that start after every earlier one has ended."""
    count, horizon = 0, float("-inf")
    for start, end in sorted(spans):
        if start >= horizon:
            count += 1
        horizon = max(horizon, end) if start < horizon else end
    return count


async def main(rounds: int) -> None:
    with running_medplum() as base_url:
        reset(base_url)
        found = resources()
        async with httpx2.AsyncClient(base_url=base_url, timeout=120) as medplum:
            for resource in found:
                response = await medplum.put(
                    f"{resource['resourceType']}/{resource['id']}", json=resource
                )
                response.raise_for_status()
            await run(rounds, base_url, medplum, found)


async def run(
    rounds: int, base_url: str, medplum: httpx2.AsyncClient, found: list[dict[str, Any]]
) -> None:
    settings = Settings(fhir_base_url=base_url, fhir_server="medplum", cursor_secret="bench")
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    spans: list[tuple[float, float]] = []
    started: dict[int, float] = {}

    async def on_request(request: httpx2.Request) -> None:
        started[id(request)] = time.perf_counter()

    async def on_response(response: httpx2.Response) -> None:
        spans.append((started.pop(id(response.request)), time.perf_counter()))

    runtime.http.event_hooks["request"].append(on_request)
    runtime.http.event_hooks["response"].append(on_response)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as gateway:

            async def ask_gateway(query: str) -> dict[str, Any]:
                body: dict[str, Any] = (
                    await gateway.post("/graphql", json={"query": query})
                ).json()
                assert "errors" not in body, body["errors"]
                return body

            async def ask_medplum(query: str) -> dict[str, Any]:
                body: dict[str, Any] = (
                    await medplum.post("$graphql", json={"query": query})
                ).json()
                assert "errors" not in body, body
                return body

            # Warm both: Medplum builds its GraphQL schema on the first call (seconds).
            for query in (PAGE_GATEWAY, TREE_GATEWAY):
                await ask_gateway(query)
            for query in (PAGE_MEDPLUM, TREE_MEDPLUM):
                await ask_medplum(query)
            report: dict[str, Any] = {"date": datetime.now(UTC).isoformat(), "rounds": rounds}
            for name, (gq, mq) in {
                "page": (PAGE_GATEWAY, PAGE_MEDPLUM),
                "tree": (TREE_GATEWAY, TREE_MEDPLUM),
            }.items():
                report[name] = await latency(rounds, ask_gateway, ask_medplum, gq, mq, spans)
            for concurrency in (1, 8):
                report[f"throughput c{concurrency}"] = await throughput(
                    rounds, concurrency, ask_gateway, ask_medplum
                )
            report["cpu per Task node"] = await cpu_per_node(rounds, ask_gateway, found)
    finish(report)


async def latency(
    rounds: int,
    ask_gateway: Callable[[str], Awaitable[dict[str, Any]]],
    ask_medplum: Callable[[str], Awaitable[dict[str, Any]]],
    gateway_query: str,
    medplum_query: str,
    spans: list[tuple[float, float]],
) -> dict[str, Any]:
    times: dict[str, list[float]] = {"gateway": [], "medplum": []}
    requests: list[int] = []
    sequential: list[int] = []
    for index in range(rounds):
        order = [("gateway", ask_gateway, gateway_query), ("medplum", ask_medplum, medplum_query)]
        for who, ask, query in order if index % 2 == 0 else order[::-1]:
            spans.clear()
            begin = time.perf_counter()
            await ask(query)
            times[who].append((time.perf_counter() - begin) * 1000)
            if who == "gateway":
                requests.append(len(spans))
                sequential.append(waves(spans))
    gateway_ms, medplum_ms = (
        statistics.median(times["gateway"]),
        statistics.median(times["medplum"]),
    )
    return {
        "gateway_ms": round(gateway_ms, 2),
        "medplum_ms": round(medplum_ms, 2),
        "ratio": round(gateway_ms / medplum_ms, 3),
        "fhir_requests": max(requests),
        "fhir_sequential": max(sequential),
    }


async def throughput(
    rounds: int,
    concurrency: int,
    ask_gateway: Callable[[str], Awaitable[dict[str, Any]]],
    ask_medplum: Callable[[str], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    async def burst(ask: Callable[[str], Awaitable[dict[str, Any]]], query: str) -> float:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                await ask(query)

        begin = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(rounds)))
        return rounds / (time.perf_counter() - begin)

    rates: dict[str, list[float]] = {"gateway": [], "medplum": []}
    for index in range(5):
        pairs = [("gateway", ask_gateway, PAGE_GATEWAY), ("medplum", ask_medplum, PAGE_MEDPLUM)]
        for who, ask, query in pairs if index % 2 == 0 else pairs[::-1]:
            rates[who].append(await burst(ask, query))
    gateway_rate, medplum_rate = (
        statistics.median(rates["gateway"]),
        statistics.median(rates["medplum"]),
    )
    return {
        "gateway_per_s": round(gateway_rate, 1),
        "medplum_per_s": round(medplum_rate, 1),
        "ratio": round(gateway_rate / medplum_rate, 3),
    }


async def cpu_per_node(
    rounds: int,
    ask_gateway: Callable[[str], Awaitable[dict[str, Any]]],
    found: list[dict[str, Any]],
) -> dict[str, Any]:
    """CPU of this process per rendered Task node: the gateway's tree query (its client and
    in-process transport included), and graphql-core alone on the same query over the dicts."""
    gateway_us, bare_us = [], []
    schema = build_schema(BARE_SDL)
    roots = bare_tasks(found)
    for _ in range(rounds):
        begin = time.process_time()
        body = await ask_gateway(TREE_GATEWAY)
        gateway_us.append((time.process_time() - begin) * 1e6 / count_nodes(body["data"]))
        begin = time.process_time()
        result = graphql_sync(schema, TREE_BARE, root_value={"tasks": roots})
        assert not result.errors, result.errors
        bare_us.append((time.process_time() - begin) * 1e6 / count_nodes(result.data))
    gateway, bare = statistics.median(gateway_us), statistics.median(bare_us)
    return {
        "gateway_us": round(gateway, 1),
        "bare_graphql_core_us": round(bare, 1),
        "ratio": round(gateway / bare, 3),
    }


def finish(report: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    stem = datetime.now(UTC).strftime("%Y-%m-%d")
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    chart(report, RESULTS / f"{stem}.png")
    head = ["scenario", "gateway", "Medplum/bare", "ratio", "target", "met", "FHIR req (seq)"]
    print("{:20} {:>12} {:>14} {:>7} {:>8} {:>4} {:>15}".format(*head))
    for name, (sense, bound) in TARGETS.items():
        row = report[name]
        skip = ("ratio", "fhir_requests", "fhir_sequential")
        values = [v for k, v in row.items() if k not in skip]
        ratio = row["ratio"]
        met = ratio <= bound if sense == "<=" else ratio >= bound
        requests = f"{row['fhir_requests']} ({row['fhir_sequential']})" if skip[1] in row else ""
        cells = [name, values[0], values[1], ratio, f"{sense}{bound}", "yes" if met else "no"]
        print("{:20} {:>12} {:>14} {:>7} {:>8} {:>4} {:>15}".format(*cells, requests))
    c1 = report["throughput c1"]
    print(
        f"{'throughput c1':20} {c1['gateway_per_s']:>12} {c1['medplum_per_s']:>14} {c1['ratio']:>7}"
    )
    trips = report["tree"]["fhir_sequential"]
    print(
        f"tree: {trips} sequential FHIR round trips (target <= 2): {'yes' if trips <= 2 else 'no'}"
    )
    print(f"wrote {RESULTS / (stem + '.json')} and {RESULTS / (stem + '.png')}")


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [*TARGETS, "throughput c1"]
    ratios = [report[n]["ratio"] for n in names]
    figure, axes = plt.subplots(figsize=(7, 3.2))
    axes.barh(names, ratios, color="#4a7ab5")
    for name, (_, bound) in TARGETS.items():
        axes.plot(
            [bound, bound], [names.index(name) - 0.4, names.index(name) + 0.4], color="#c0392b"
        )
    axes.axvline(1.0, color="#888", linewidth=0.8, linestyle="--")
    axes.set_xlabel("gateway / Medplum $graphql (CPU: gateway / bare graphql-core); red: target")
    axes.invert_yaxis()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=25)
    asyncio.run(main(parser.parse_args().rounds))
