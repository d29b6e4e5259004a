"""_sort with several keys and ties, _count, totals, and paging that never repeats or skips."""

from __future__ import annotations

from typing import Any

from tests.contract.conftest import FhirPeer
from tests.contract.resources import put_task


async def search(fhir: FhirPeer, params: Any) -> dict[str, Any]:
    response = await fhir.client.get("Task", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids_of(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def due(day: int) -> dict[str, Any]:
    return {"period": {"end": f"2026-12-{day:02d}T17:00:00Z"}}


async def test_queue_order_priority_then_due_date_then_id(fhir: FhirPeer) -> None:
    await put_task(fhir, "b-urgent-3", priority="urgent", restriction=due(3))
    await put_task(fhir, "a-urgent-3", priority="urgent", restriction=due(3))
    await put_task(fhir, "c-urgent-1", priority="urgent", restriction=due(1))
    await put_task(fhir, "d-urgent-none", priority="urgent")
    await put_task(fhir, "e-stat-9", priority="stat", restriction=due(9))
    await put_task(fhir, "f-asap-2", priority="asap", restriction=due(2))
    await put_task(fhir, "g-routine-1", priority="routine", restriction=due(1))

    bundle = await search(fhir, {"_sort": "-priority-order,due-date", "_count": "50"})
    by_priority = ids_of(await search(fhir, {"_sort": "-priority-order"}))

    caps = fhir.caps
    if not caps.last_sort_key_wins and caps.missing_sorts_last and caps.sorts_ties_by_id:
        assert ids_of(bundle) == [
            "e-stat-9",
            "f-asap-2",
            "c-urgent-1",
            "a-urgent-3",
            "b-urgent-3",
            "d-urgent-none",
            "g-routine-1",
        ]
    else:
        assert len(ids_of(bundle)) == 7
    assert by_priority[:2] == ["e-stat-9", "f-asap-2"]
    assert by_priority[-1] == "g-routine-1"


async def test_absent_priority_sorts_as_routine(fhir: FhirPeer) -> None:
    await put_task(fhir, "urgent", priority="urgent", restriction=due(5))
    await put_task(fhir, "no-priority", restriction=due(1))
    await put_task(fhir, "routine", priority="routine", restriction=due(2))

    order = ids_of(await search(fhir, {"_sort": "-priority-order"}))

    if fhir.caps.absent_priority_is_routine:
        assert order == ["urgent", "no-priority", "routine"]  # a tie with routine, then by id
    else:
        assert order == ["urgent", "routine", "no-priority"]


async def test_descending_sort_keeps_missing_values_last(fhir: FhirPeer) -> None:
    await put_task(fhir, "early", authoredOn="2026-01-01")
    await put_task(fhir, "none")
    await put_task(fhir, "late", authoredOn="2026-06-01")

    newest_first = ids_of(await search(fhir, {"_sort": "-authored-on"}))
    oldest_first = ids_of(await search(fhir, {"_sort": "authored-on"}))

    if fhir.caps.missing_sorts_last:
        assert newest_first == ["late", "early", "none"]
        assert oldest_first == ["early", "late", "none"]
    else:
        assert [t for t in newest_first if t != "none"] == ["late", "early"]
        assert [t for t in oldest_first if t != "none"] == ["early", "late"]


async def test_sort_by_status_and_last_updated(fhir: FhirPeer) -> None:
    await put_task(fhir, "t1", status="ready")
    await put_task(fhir, "t2", status="accepted")
    await put_task(fhir, "t3", status="ready")

    order = ids_of(await search(fhir, {"_sort": "status,-_lastUpdated"}))

    # Last key deciding: newest first only, the status ignored.
    assert order == (["t3", "t2", "t1"] if fhir.caps.last_sort_key_wins else ["t2", "t3", "t1"])


async def test_pages_never_repeat_or_skip(fhir: FhirPeer) -> None:
    expected = []
    for n in range(23):
        # Few distinct keys: most rows tie on priority and due date and are ordered by id.
        task_id = f"task-{(n * 7) % 23:02d}"
        priority = "urgent" if n % 3 == 0 else "routine"
        await put_task(fhir, task_id, priority=priority, restriction=due(1 + n % 2))
        expected.append(task_id)
    params = {"_sort": "-priority-order,due-date", "_count": "5"}

    seen = await _all_pages(fhir, params)

    assert len(seen) == len(set(seen)) == 23
    assert sorted(seen) == sorted(expected)
    everything = ids_of(await search(fhir, {**params, "_count": "100"}))
    assert seen == everything


async def test_paging_is_stable_when_every_key_ties(fhir: FhirPeer) -> None:
    for n in range(12):
        await put_task(fhir, f"same-{(n * 5) % 12:02d}", priority="routine")

    seen = await _all_pages(fhir, {"_sort": "priority", "_count": "4"})

    if fhir.caps.sorts_ties_by_id:
        assert seen == [f"same-{n:02d}" for n in range(12)]
    else:
        assert sorted(seen) == [f"same-{n:02d}" for n in range(12)]


async def test_count_zero_gives_only_the_total(fhir: FhirPeer) -> None:
    for n in range(3):
        await put_task(fhir, f"t{n}")

    bundle = await search(fhir, {"_count": "0", "_total": "accurate"})

    assert bundle.get("entry", []) == []
    assert bundle["total"] == 3


async def test_total_accurate_counts_every_match(fhir: FhirPeer) -> None:
    for n in range(7):
        await put_task(fhir, f"t{n}", status="ready" if n < 5 else "completed")

    bundle = await search(fhir, {"status": "ready", "_count": "2", "_total": "accurate"})

    assert len(ids_of(bundle)) == 2
    assert bundle["total"] == 5


async def test_default_page_size(fhir: FhirPeer) -> None:
    for n in range(25):
        await put_task(fhir, f"t{n:02d}")

    bundle = await search(fhir, {})

    assert len(ids_of(bundle)) == (20 if fhir.caps.next_links else 25)


async def _all_pages(fhir: FhirPeer, params: dict[str, str]) -> list[str]:
    seen: list[str] = []
    if fhir.caps.next_links:
        bundle = await search(fhir, params)
        while True:
            seen += ids_of(bundle)
            links = {link["relation"]: link["url"] for link in bundle.get("link", [])}
            if "next" not in links:
                return seen
            assert links["next"].startswith(str(fhir.client.base_url))
            response = await fhir.client.get(links["next"])
            assert response.status_code == 200
            bundle = response.json()
    offset = 0
    while True:
        page = ids_of(await search(fhir, {**params, "_offset": str(offset)}))
        if not page:
            return seen
        seen += page
        offset += len(page)
