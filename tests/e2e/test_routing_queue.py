"""Licensure in taskQueue: Tasks for patients in states where the practitioner is not licensed
now are left out; pages still never repeat or skip a Task."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gateway.fhir import FhirClient
from gateway.server_profile import ServerProfile
from tests.conftest import Gateway
from tests.e2e.builders import NURSE, put_all, task
from tests.e2e.routing_clinic import home

QUEUE = """
query ($p: ID!, $first: Int, $after: String, $ignore: Boolean) {
  taskQueue(practitioner: $p, first: $first, after: $after, ignoreLicensure: $ignore) {
    nodes { id } pageInfo { hasNextPage endCursor }
  }
}
"""
CLINIC_TASKS = ["t-ca", "t-none", "t-ny"]  # the queue's order: id, all routine and undated


async def walk(gw: Gateway, practitioner: str, first: int, **variables: Any) -> list[str]:
    """Every page of the queue, in order; each page's endCursor leads to the next."""
    seen: list[str] = []
    after = None
    for _ in range(100):
        page = (
            await gw.data(QUEUE, {"p": practitioner, "first": first, "after": after, **variables})
        )["taskQueue"]
        seen += [node["id"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
        assert after is not None
    raise AssertionError("the queue did not end")


@pytest.mark.parametrize(
    ("practitioner", "queue"),
    [
        ("bob", ["t-none", "t-ny"]),  # NY and NJ
        ("eve", ["t-ca", "t-none"]),  # CA; the patient's "ca" matches case-insensitively
        ("dan", ["t-none"]),  # the NY license expired
    ],
)
async def test_a_practitioner_sees_only_tasks_they_are_licensed_for(
    routed: Gateway, practitioner: str, queue: list[str]
) -> None:
    assert await walk(routed, practitioner, 20) == queue
    assert await walk(routed, practitioner, 20, ignore=True) == CLINIC_TASKS


async def test_the_setting_turns_licensure_off(unlicensed: Gateway) -> None:
    assert await walk(unlicensed, "dan", 20) == CLINIC_TASKS


async def test_pages_never_repeat_or_skip_around_left_out_tasks(routed: Gateway) -> None:
    states = ["NY", "CA", "CA", "CA", "TX", "", "NJ", "CA", "CA", "CA", "CA", "NY"]
    resources: list[Any] = []
    for n, state in enumerate(states):
        resources.append(home(f"q{n}", *([state] if state else [])))
        resources.append(task(f"q{n:02d}", role=NURSE, **{"for": f"Patient/q{n}"}))
    await put_all(routed.fhir, resources)
    expected = ["q00", "q05", "q06", "q11", "t-none", "t-ny"]
    for first in (1, 2, 3, 5):
        assert await walk(routed, "bob", first) == expected, first


# A mixed clinic for bob (licensed in NY and NJ): which patients' Tasks are in his queue.
MIXED_PATIENTS = {
    "m-ny": (["NY"], True),
    "m-nj": (["nj"], True),  # case-insensitive
    "m-tx": (["TX"], False),
    "m-both": (["TX", "NY"], True),  # several addresses: any licensed state will do
    "m-out": (["TX", "CA"], False),
    "m-none": ([], True),  # no address at all
}
PATIENT_CYCLE = ["m-ny", "m-tx", "m-none", None, "m-out", "m-nj", "m-both", "m-tx", "m-city"]
PRIORITY_CYCLE = ["stat", None, "urgent", "routine", "asap"]
RANK = {"stat": 0, "asap": 1, "urgent": 2}


def mixed_clinic() -> tuple[list[Any], list[str]]:
    """Patients and 27 nurse Tasks of every kind, with bob's queue in order: most urgent first
    (no priority is routine), then due date (undated last), then id."""
    resources: list[Any] = [home(pid, *states) for pid, (states, _) in MIXED_PATIENTS.items()]
    resources.append({**home("m-city"), "address": [{"city": "Albany"}]})  # an address, no state
    queued: list[tuple[Any, ...]] = [(3, 1, "", "t-none"), (3, 1, "", "t-ny")]  # the clinic's
    for n in range(27):
        pid = PATIENT_CYCLE[n % len(PATIENT_CYCLE)]
        priority = PRIORITY_CYCLE[n % len(PRIORITY_CYCLE)]
        due = f"2026-12-{10 + n % 4:02d}T09:00:00Z" if n % 3 else None
        fields: dict[str, Any] = {"role": NURSE}
        if pid is not None:
            fields["for"] = f"Patient/{pid}"
        if priority is not None:
            fields["priority"] = priority
        resources.append(task(f"m{n:02d}", due=due, **fields))
        if pid is None or pid == "m-city" or MIXED_PATIENTS[pid][1]:
            queued.append((RANK.get(priority or "", 3), 0 if due else 1, due or "", f"m{n:02d}"))
    return resources, [key[-1] for key in sorted(queued)]


async def pages(gw: Gateway, practitioner: str, first: int) -> list[list[str]]:
    """The ids on each page of the queue."""
    seen: list[list[str]] = []
    after = None
    while len(seen) < 100:
        page = (await gw.data(QUEUE, {"p": practitioner, "first": first, "after": after}))[
            "taskQueue"
        ]
        seen.append([node["id"] for node in page["nodes"]])
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the queue did not end")


async def test_chained_search_fills_every_page_of_a_mixed_clinic(routed: Gateway) -> None:
    resources, expected = mixed_clinic()
    await put_all(routed.fhir, resources)
    assert routed.caps.chained_search
    for first in (1, 2, 3, 4, 7, 50):
        listed = await pages(routed, "bob", first)
        assert [tid for page in listed for tid in page] == expected, first
        # Full pages: only the last may hold fewer, and it holds some.
        assert [len(page) for page in listed[:-1]] == [first] * (len(listed) - 1), first
        assert 0 < len(listed[-1]) <= first


async def test_a_queue_page_costs_the_same_requests_however_many_tasks_are_left_out(
    routed: Gateway,
) -> None:
    resources, expected = mixed_clinic()
    await put_all(routed.fhir, resources)
    await routed.data(QUEUE, {"p": "bob", "first": 1})  # the server's metadata, read once

    async def first_page() -> tuple[list[str], list[str]]:
        with routed.counting() as sent:
            page = await routed.data(QUEUE, {"p": "bob", "first": 5})
        return [n["id"] for n in page["taskQueue"]["nodes"]], [r.url.path for r in sent]

    shown, sent = await first_page()
    assert shown == expected[:5]
    # The patients come with the Tasks (_include): none is read on its own.
    assert not [path for path in sent if "/Patient" in path]
    caps = routed.caps
    if caps.absent_priority_is_routine and caps.missing_sorts_last:
        # One PractitionerRole search; one Task search per way a Task passes licensure
        # (licensed state, no state, no patient).
        assert sorted(p.rsplit("/", 1)[-1] for p in sent) == ["PractitionerRole", *["Task"] * 3]
    # Thirty more Tasks ahead of all the others, every one for an unlicensed patient.
    await put_all(
        routed.fhir,
        [task(f"a{n:02d}", role=NURSE, priority="stat", due="2026-01-01", **{"for": "Patient/m-tx"})
         for n in range(30)],
    )  # fmt: skip
    assert await first_page() == (shown, sent)


@pytest.fixture
async def unchained(routed: Gateway, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    """The routing clinic on each server, the gateway taking the server for one without
    chained search."""
    profiles = routed.runtime.profiles
    learned = profiles.get

    async def get(fhir: FhirClient) -> ServerProfile:
        return replace(await learned(fhir), chained_search=False)

    monkeypatch.setattr(profiles, "get", get)
    return routed


async def test_without_chained_search_pages_are_screened_and_still_never_repeat_or_skip(
    unchained: Gateway,
) -> None:
    resources, expected = mixed_clinic()
    await put_all(unchained.fhir, resources)
    with unchained.counting() as sent:
        listed = await pages(unchained, "bob", 4)
    assert [tid for page in listed for tid in page] == expected
    assert any(len(page) < 4 for page in listed[:-1])  # Tasks left out after reading
    chained = [name for r in sent for name in r.url.params if name.startswith("patient")]
    assert chained == []


async def test_a_state_that_only_starts_with_a_licensed_one_is_not_licensed(
    routed: Gateway,
) -> None:
    # FHIR string search matches prefixes: the server's "NY" also finds "NYC"; the gateway
    # checks what came back.
    await put_all(
        routed.fhir, [home("p-nyc", "NYC"), task("t-nyc", role=NURSE, **{"for": "Patient/p-nyc"})]
    )
    assert await walk(routed, "bob", 20) == ["t-none", "t-ny"]
