"""Latency and FHIR request cost of the frontend's queries on the seeded embedded store.

Run by `make bench` (never by `make test`): python bench/gateway_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx2

from gateway.app import create_app
from gateway.config import Settings
from gateway.runtime import Runtime

QUERIES = {
    "page of 50 with owner/for/focus/requester": """query { tasks(first: 50) { nodes {
        id status priority dueDate owner { id ... on Practitioner { displayName } }
        for { ... on Patient { displayName } } focus { id resourceType } requester { id } } } }""",
    "role queue (first 20)": """query { taskQueue(practitioner: "demo-prac-01", first: 20) {
        nodes { id priority dueDate } } }""",
    "subtasks 4 levels below 50 tasks": """query { tasks(first: 50, filter: {topLevel: true}) {
        nodes { id owner { id } subtasks { id owner { id } subtasks { id subtasks { id
        subtasks { id } } } } } } }""",
    "task detail": """query { task(id: "demo-task-0001") { id status owner { id } for { id }
        focus { id } requester { id } partOf { id } subtasks { id } subtaskTree { depth } } }""",
}


async def main(rounds: int) -> None:
    settings = Settings(store_path=":memory:", seed_demo=True, cursor_secret="bench")
    app = create_app(settings)
    runtime: Runtime = app.state.runtime
    sent: list[httpx2.Request] = []

    async def count(request: httpx2.Request) -> None:
        sent.append(request)

    runtime.http.event_hooks["request"].append(count)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://bench") as client:
            print(f"{'query':45} {'median ms':>10} {'p95 ms':>8} {'FHIR requests':>14}")
            for name, query in QUERIES.items():
                timings = []
                for _ in range(rounds):
                    sent.clear()
                    started = time.perf_counter()
                    response = await client.post("/graphql", json={"query": query})
                    timings.append((time.perf_counter() - started) * 1000)
                    assert "errors" not in response.json(), response.text
                timings.sort()
                p95 = timings[int(len(timings) * 0.95) - 1]
                print(f"{name:45} {statistics.median(timings):10.1f} {p95:8.1f} {len(sent):14d}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))
