"""If-Match compare-and-set holds across OS processes writing one store file."""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

from gateway.store import FhirStore
from gateway.store.errors import PreconditionFailedError

ROUNDS = 40
WRITERS = 2


def _writer(
    path: str, writer: int, barrier: Barrier, results: Queue[tuple[int, int, bool]]
) -> None:
    store = FhirStore.open(path)
    try:
        for round_ in range(ROUNDS):
            barrier.wait(timeout=30)
            # Every writer starts each round from the same version: 1 + one winner per round.
            body = {
                "resourceType": "Task",
                "id": "contested",
                "status": "requested",
                "intent": "order",
                "owner": {"reference": f"Practitioner/w{writer}-r{round_}"},
            }
            try:
                store.update("Task", "contested", body, if_match=f'W/"{round_ + 1}"')
                results.put((round_, writer, True))
            except PreconditionFailedError:
                results.put((round_, writer, False))
    finally:
        store.close()


def test_concurrent_processes_never_lose_an_update(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite3")
    store = FhirStore.open(path)
    store.update(
        "Task",
        "contested",
        {"resourceType": "Task", "id": "contested", "status": "requested", "intent": "order"},
    )
    store.close()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WRITERS)
    results: Queue[tuple[int, int, bool]] = context.Queue()
    processes = [
        context.Process(target=_writer, args=(path, n, barrier, results)) for n in range(WRITERS)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in range(ROUNDS * WRITERS)]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0

    for round_ in range(ROUNDS):
        winners = [w for r, w, won in outcomes if r == round_ and won]
        assert len(winners) == 1, f"round {round_}: {len(winners)} writers won"
    reopened = FhirStore.open(path)
    try:
        history = reopened.history("Task", "contested")
        successes = sum(won for _, _, won in outcomes)
        assert reopened.read("Task", "contested").version == successes + 1
        assert len(history) == successes + 1
        last_winner = next(w for r, w, won in outcomes if r == ROUNDS - 1 and won)
        assert f"w{last_winner}-r{ROUNDS - 1}" in (history[0].json or "")
    finally:
        reopened.close()
