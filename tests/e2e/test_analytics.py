"""taskStats and taskTurnaround on both servers: counts equal to paging `tasks`, bounded cost."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from tests.conftest import SERVERS, Gateway, gateway_on
from tests.e2e.builders import SNOMED, put_all, referenced, task
from tests.oidc_provider import OidcProvider

FUNNEL = "http://clinic.example/funnel"
REASONS = "http://clinic.example/hold-reason"
LOINC = "http://loinc.org"
STATUSES = ["ready", "in-progress", "on-hold", "completed", "cancelled", "requested"]
DIMENSIONS = [
    "STATUS",
    "BUSINESS_STATUS",
    "STATUS_REASON",
    "CODE",
    "PRIORITY",
    "PERFORMER_TYPE",
    "OWNER",
]


def _concept(system: str | None, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"code": code, **({"system": system} if system else {})}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def clinic() -> list[dict[str, Any]]:
    """36 Tasks that vary in every dimension, with gaps, texts, codings without systems,
    several performer types, and completed Tasks with and without the times they need."""
    resources: list[dict[str, Any]] = [*referenced()]
    for n in range(36):
        status = STATUSES[n % 6]
        fields: dict[str, Any] = {
            "status": status,
            "for": "Patient/pt1" if n % 3 else "Patient/pt2",
            "authoredOn": f"2026-10-{1 + n % 20:02d}T08:00:00Z",
            "due": f"2026-11-{1 + n % 28:02d}T17:00:00Z",
        }
        if n % 4:
            fields["priority"] = ["routine", "urgent", "stat"][n % 3]
        if n % 5 != 4:
            step = ["intake", "scheduled", "in-review"][n % 3]
            fields["businessStatus"] = _concept(FUNNEL, step, step.title())
        elif n % 2:
            fields["businessStatus"] = {"text": "Waiting room"}
        if status in ("on-hold", "cancelled"):
            reason = ["away", "no-answer"][n % 2]
            fields["statusReason"] = _concept(None if n % 3 == 0 else REASONS, reason)
        fields["code"] = _concept(LOINC, ["lab", "call", "referral"][n % 3])
        if n % 7:
            fields["performerType"] = [
                _concept(SNOMED, ["224535009", "158965000"][n % 2]),
                _concept(SNOMED, "309343006"),
            ]
        if n % 3 != 1:
            fields["owner"] = ["Practitioner/ada", "Practitioner/bob"][n % 2]
        if status == "completed":
            if n % 4 != 3:
                fields["executionPeriod"] = {"end": f"2026-10-{2 + n % 20:02d}T{n % 24:02d}:00:00Z"}
            else:
                fields["lastModified"] = f"2026-10-{1 + n % 20:02d}T20:00:00Z"
            if n == 9:
                del fields["authoredOn"]
            if n == 33:  # finished before it was authored: no turnaround
                fields["executionPeriod"] = {"end": "2026-09-30T00:00:00Z"}
        resources.append(task(f"t{n:02d}", **fields))
    return resources


NODE = """
  status priority authoredOn lastModified executionPeriod { end }
  businessStatus { coding { system code } text }
  statusReason { coding { system code } text }
  code { coding { system code } text }
  performerType { coding { system code } text }
  ownerReference { reference }
"""


async def page_all(gateway: Gateway, task_filter: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Task `tasks` lists with the filter, page by page."""
    query = f"""query($f: TaskFilter, $after: String) {{
      tasks(filter: $f, first: 100, after: $after) {{
        pageInfo {{ hasNextPage endCursor }} nodes {{ {NODE} }} }} }}"""
    nodes: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await gateway.data(query, {"f": task_filter, "after": after}))["tasks"]
        nodes += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


def _concept_value(concept: dict[str, Any] | None) -> str | None:
    if not concept:
        return None
    for coding in concept.get("coding") or []:
        if coding.get("code"):
            return f"{coding.get('system') or ''}|{coding['code']}"
    text: str | None = concept.get("text")
    return text


def expected_value(node: dict[str, Any], dimension: str) -> str | None:
    """The key, computed from the listed Task, independently of the gateway's own code."""
    if dimension in ("STATUS", "PRIORITY"):
        value: str | None = node[dimension.lower()]
        return value
    if dimension == "PERFORMER_TYPE":
        types = node["performerType"]
        return _concept_value(types[0]) if types else None
    if dimension == "OWNER":
        return (node["ownerReference"] or {}).get("reference")
    name = {"BUSINESS_STATUS": "businessStatus", "STATUS_REASON": "statusReason", "CODE": "code"}
    return _concept_value(node[name[dimension]])


def _ordered(counts: Counter[tuple[str | None, ...]]) -> list[tuple[tuple[str | None, ...], int]]:
    def key(item: tuple[tuple[str | None, ...], int]) -> Any:
        return (-item[1], [(v is None, v or "") for v in item[0]])

    return sorted(counts.items(), key=key)


STATS = """query($f: TaskFilter, $by: [TaskDimension!]!) {
  taskStats(filter: $f, groupBy: $by) { total groups { count keys { dimension value display } } }
}"""


async def stats(gateway: Gateway, task_filter: dict[str, Any], by: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = (await gateway.data(STATS, {"f": task_filter, "by": by}))["taskStats"]
    return result


FILTERS: list[dict[str, Any]] = [
    {},
    {"status": ["ON_HOLD", "CANCELLED"]},
    {"statusNot": ["COMPLETED"], "priority": ["STAT", "URGENT"]},
    {"dueBefore": "2026-11-10", "dueAfter": "2026-11-03"},  # Medplum's: checked by reading
    {"patient": "Patient/pt2"},
]
GROUPINGS = [[d] for d in DIMENSIONS] + [
    ["BUSINESS_STATUS", "STATUS_REASON"],
    ["STATUS", "PRIORITY"],
    ["OWNER", "PERFORMER_TYPE"],
]


async def test_every_grouping_equals_counting_the_paged_tasks(gateway: Gateway) -> None:
    await put_all(gateway.fhir, clinic())
    for task_filter in FILTERS:
        nodes = await page_all(gateway, task_filter)
        assert nodes or task_filter.get("status")
        for by in GROUPINGS:
            result = await stats(gateway, task_filter, by)
            assert result["total"] == len(nodes), (task_filter, by)
            wanted = Counter(tuple(expected_value(n, d) for d in by) for n in nodes)
            got = [(tuple(k["value"] for k in g["keys"]), g["count"]) for g in result["groups"]]
            assert got == _ordered(wanted), (task_filter, by)
            assert all([k["dimension"] for k in g["keys"]] == by for g in result["groups"])


async def test_keys_carry_displays_and_texts(gateway: Gateway) -> None:
    await put_all(gateway.fhir, clinic())
    result = await stats(gateway, {}, ["BUSINESS_STATUS"])
    keys = {g["keys"][0]["value"]: (g["keys"][0]["display"], g["count"]) for g in result["groups"]}
    assert keys == {
        f"{FUNNEL}|intake": ("Intake", 10),
        f"{FUNNEL}|scheduled": ("Scheduled", 9),
        f"{FUNNEL}|in-review": ("In-Review", 10),
        "Waiting room": ("Waiting room", 3),
        None: (None, 4),
    }


def _hours(node: dict[str, Any]) -> float | None:
    end = (node["executionPeriod"] or {}).get("end") or node["lastModified"]
    if not node["authoredOn"] or not end:
        return None
    start = datetime.fromisoformat(node["authoredOn"])
    seconds = (datetime.fromisoformat(end) - start).total_seconds()
    return seconds / 3600 if seconds >= 0 else None


TURNAROUND = """query($f: TaskFilter, $by: [TaskDimension!]!) {
  taskTurnaround(filter: $f, groupBy: $by) { count medianHours p90Hours keys { value } }
}"""


@pytest.mark.parametrize("by", [[], ["CODE"], ["PRIORITY", "OWNER"]])
async def test_turnaround_equals_the_hours_of_the_paged_completed_tasks(
    gateway: Gateway, by: list[str]
) -> None:
    await put_all(gateway.fhir, clinic())
    nodes = await page_all(gateway, {"status": ["COMPLETED"]})
    hours: dict[tuple[str | None, ...], list[float]] = {}
    for node in nodes:
        duration = _hours(node)
        if duration is not None:
            hours.setdefault(tuple(expected_value(node, d) for d in by), []).append(duration)
    assert sum(len(h) for h in hours.values()) == 4  # 6 completed, one unauthored, one early
    result = (await gateway.data(TURNAROUND, {"f": {}, "by": by}))["taskTurnaround"]
    got = {tuple(k["value"] for k in g["keys"]): g for g in result}
    assert set(got) == set(hours)
    for values, durations in hours.items():
        group = got[values]
        assert group["count"] == len(durations)
        assert group["medianHours"] == pytest.approx(statistics.median(durations))
        p90 = (
            statistics.quantiles(durations, n=10, method="inclusive")[-1]
            if len(durations) > 1
            else durations[0]
        )
        assert group["p90Hours"] == pytest.approx(p90)
    counts = [g["count"] for g in result]
    assert counts == sorted(counts, reverse=True)


async def test_turnaround_groups_by_code_unless_told_otherwise(gateway: Gateway) -> None:
    await put_all(gateway.fhir, clinic())
    result = (await gateway.data("query { taskTurnaround { count keys { dimension } } }"))[
        "taskTurnaround"
    ]
    assert result and all([k["dimension"] for k in g["keys"]] == ["CODE"] for g in result)


@pytest.mark.parametrize(
    ("by", "argument"),
    [([], "groupBy"), (["CODE", "OWNER", "STATUS"], "groupBy"), (["CODE", "CODE"], "groupBy")],
)
async def test_bad_groupings_are_refused_before_any_fhir_request(
    gateway: Gateway, by: list[str], argument: str
) -> None:
    with gateway.counting() as sent:
        error = await gateway.error(STATS, {"f": None, "by": by})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument
    assert sent == []


# --- cost ------------------------------------------------------------------------------


async def _warm(gateway: Gateway) -> None:
    # The server's metadata is read once per process; keep it out of the counts.
    await gateway.data("query { tasks(first: 1) { nodes { id } } }")


async def test_status_is_counted_with_one_count_per_status(gateway: Gateway) -> None:
    await put_all(gateway.fhir, clinic())
    await _warm(gateway)
    with gateway.counting() as sent:
        result = await stats(gateway, {}, ["STATUS"])
    assert result["total"] == 36
    assert len(sent) == 1 + 12  # the total, then each R4 status
    assert all(r.url.params.get("_summary") == "count" for r in sent)
    with gateway.counting() as sent:
        result = await stats(gateway, {"status": ["ON_HOLD", "CANCELLED"]}, ["STATUS"])
    assert [(g["keys"][0]["value"], g["count"]) for g in result["groups"]] == [
        ("CANCELLED", 6),
        ("ON_HOLD", 6),
    ]
    assert len(sent) == 1 + 2


async def test_other_dimensions_read_the_count_then_large_pages_of_few_elements(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("gateway.schema.stats_reader.STATS_PAGE_SIZE", 10)
    await put_all(gateway.fhir, clinic())
    await _warm(gateway)
    with gateway.counting() as sent:
        result = await stats(gateway, {}, ["BUSINESS_STATUS", "STATUS_REASON"])
    assert result["total"] == 36
    # The count, then 4 pages of 10.
    assert len(sent) == 1 + 4, [str(r.url) for r in sent]
    assert sent[0].url.params.get("_summary") == "count"
    first_page = sent[1].url.params
    assert first_page.get("_elements") == "businessStatus,statusReason"
    assert first_page.get("_count") == "10"


# --- limits and access -----------------------------------------------------------------


@pytest.fixture(params=SERVERS)
async def limited(request: pytest.FixtureRequest) -> AsyncIterator[Gateway]:
    """A gateway whose analytics count at most 5 Tasks."""
    async with gateway_on(request, stats_max_tasks=5) as gw:
        yield gw


async def test_more_tasks_than_the_limit_are_refused_before_reading_them(
    limited: Gateway,
) -> None:
    await put_all(limited.fhir, clinic())
    await _warm(limited)
    for by in (["STATUS"], ["CODE"]):
        with limited.counting() as sent:
            error = await limited.error(STATS, {"f": None, "by": by})
        assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": 5, "value": 36}
        assert error["path"] == ["taskStats"]
        assert [r.url.params.get("_summary") for r in sent] == ["count"]
    # Three urgent Tasks on hold fit.
    small = await stats(limited, {"status": ["ON_HOLD"], "priority": ["STAT"]}, ["CODE"])
    assert small["total"] == 3


async def test_the_turnaround_limit_counts_only_completed_tasks(limited: Gateway) -> None:
    await put_all(limited.fhir, clinic()[:-6])  # 30 Tasks, 5 of them completed
    result = (await limited.data("query { taskTurnaround(groupBy: []) { count } }"))[
        "taskTurnaround"
    ]
    assert [g["count"] for g in result] == [4]
    error = await limited.error(STATS, {"f": None, "by": ["CODE"]})
    assert error["extensions"]["value"] == 30


async def test_a_patient_token_counts_only_its_compartment(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    await put_all(secured.fhir, clinic())
    patient_scopes = "openid fhirUser launch/patient patient/Task.rs"
    token = oidc_provider.mint(
        oidc_provider.claims(fhirUser="Patient/pt2", patient="pt2", scope=patient_scopes)
    )
    secured.client.headers["Authorization"] = f"Bearer {token}"
    with secured.counting() as sent:
        for by in (["STATUS"], ["CODE"]):
            assert (await stats(secured, {}, by))["total"] == 12
        turnaround = (await secured.data("query { taskTurnaround(groupBy: []) { count } }"))[
            "taskTurnaround"
        ]
    assert turnaround == [{"count": 4}]  # every completed Task is pt2's
    searches = [r for r in sent if r.url.path.endswith("/Task")]
    assert searches and all(r.url.params.get("patient") == "Patient/pt2" for r in searches)


async def test_stats_need_the_list_scope(secured: Gateway, oidc_provider: OidcProvider) -> None:
    token = oidc_provider.mint(oidc_provider.claims(scope="openid fhirUser user/Task.r"))
    secured.client.headers["Authorization"] = f"Bearer {token}"
    with secured.counting() as sent:
        error = await secured.error(STATS, {"f": None, "by": ["CODE"]})
    assert error["extensions"] == {"code": "FORBIDDEN", "reason": "scope", "scope": "user/Task.s"}
    assert sent == []
