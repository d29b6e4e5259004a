"""The audit trail's records, and a Provenance that cannot be written."""

from __future__ import annotations

import json
import logging

import httpx2
import pytest

from gateway.fhir import FhirClient, Ref, Resource
from gateway.metrics import Metrics
from gateway.writes import Actor, AuditTrail
from gateway.writes.audit import provenance

BASE = "https://fhir.example.org/R4/"
NOW = "2026-11-30T10:00:00Z"
REASON = {"text": "waiting for the lab"}
ADA = Actor(reference=Ref("Practitioner", "ada"))


def task(**fields: object) -> Resource:
    return {"resourceType": "Task", "id": "t1", "status": "ready", "intent": "order", **fields}


def record(new: Resource, previous: Resource | None, actor: Actor = ADA) -> Resource:
    return provenance(
        new,
        target="Task/t1/_history/2",
        activity="UPDATE",
        actor=actor,
        recorded=NOW,
        previous=previous,
    )


def test_a_record_names_target_time_agent_and_activity() -> None:
    assert record(task(), task()) == {
        "resourceType": "Provenance",
        "target": [{"reference": "Task/t1/_history/2"}],
        "recorded": NOW,
        "activity": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                    "code": "UPDATE",
                }
            ]
        },
        "agent": [{"who": {"reference": "Practitioner/ada"}}],
    }


@pytest.mark.parametrize(
    ("new", "previous", "reason"),
    [
        (task(status="on-hold", statusReason=REASON), task(), [REASON]),
        (task(status="cancelled", statusReason=REASON), task(status="on-hold", statusReason=REASON),
         [REASON]),
        (task(status="on-hold", statusReason={"text": "other"}),
         task(status="on-hold", statusReason=REASON), [{"text": "other"}]),
        # An edit of other fields leaves the reason as it was: this version does not set it.
        (task(status="on-hold", statusReason=REASON, description="x"),
         task(status="on-hold", statusReason=REASON), None),
        (task(status="on-hold", statusReason=REASON), None, [REASON]),
        (task(), None, None),
    ],
)  # fmt: skip
def test_a_record_gives_the_reason_the_version_sets(
    new: Resource, previous: Resource | None, reason: object
) -> None:
    assert record(new, previous).get("reason") == reason


def test_without_a_caller_the_gateway_is_the_agent() -> None:
    anonymous = record(task(), None, Actor())
    for_client = record(task(), None, Actor(client_id="nightly"))

    assert anonymous["agent"] == [
        {"who": {"reference": "#gateway", "display": "fhir-task-gateway"}}
    ]
    assert anonymous["contained"][0]["resourceType"] == "Device"
    identifier = {"system": "urn:ietf:params:oauth:client-id", "value": "nightly"}
    assert for_client["agent"][0]["who"]["identifier"] == identifier
    assert for_client["contained"][0]["identifier"] == [identifier]


async def test_a_failed_provenance_leaves_the_task_written_logged_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[str] = []

    def handle(request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        sent.append(body["resourceType"])
        if body["resourceType"] == "Provenance":
            return httpx2.Response(500, json={"resourceType": "OperationOutcome"})
        return httpx2.Response(200, json={**body, "meta": {"versionId": "2"}})

    http = httpx2.AsyncClient(base_url=BASE, transport=httpx2.MockTransport(handle))
    metrics = Metrics()
    trail = AuditTrail(
        FhirClient(http, BASE, total_timeout=5.0),
        actor=ADA,
        clock=lambda: NOW,
        failed=metrics.count_audit_failure,
    )
    secret = task(description="Patient Jane Roe, call 555-0100")

    with caplog.at_level(logging.DEBUG):
        written = await trail.update(secret, if_match="1", previous=task())

    assert written["meta"]["versionId"] == "2"
    assert sent == ["Task", "Provenance"]
    assert metrics.registry.get_sample_value("gateway_audit_failures_total") == 1
    logged = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("gateway"))
    assert "audit" in logged
    assert "t1" not in logged and "Jane" not in logged and "ada" not in logged
