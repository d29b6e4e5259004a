"""Every resource a Task points at arrives as its own GraphQL type, with its typed fields,
inside the caller's patient compartment."""

from __future__ import annotations

from typing import Any

from gateway.fhir import Resource
from tests.conftest import Gateway
from tests.e2e.builders import put_all, referenced, task
from tests.oidc_provider import OidcProvider

SUBJECT = {"reference": "Patient/pt1"}
PHQ9 = "http://clinic.example/Questionnaire/phq-9"
AMBULATORY = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
    "code": "AMB",
    "display": "ambulatory",
}


def pointed_at(subject: dict[str, str] = SUBJECT, suffix: str = "") -> list[Resource]:
    """One resource of each typed kind; ServiceRequest and Observation share the id x."""
    return [
        {
            "resourceType": "ServiceRequest",
            "id": f"x{suffix}",
            "status": "active",
            "intent": "order",
            "code": {"text": "Blood test"},
            "subject": subject,
            "authoredOn": "2026-11-01T09:00:00Z",
        },
        {
            "resourceType": "Observation",
            "id": f"x{suffix}",
            "status": "final",
            "code": {"text": "HbA1c"},
            "subject": subject,
            "effectiveDateTime": "2026-11-02T08:30:00Z",
        },
        {
            "resourceType": "DiagnosticReport",
            "id": f"dr{suffix}",
            "status": "final",
            "code": {"text": "Lipid panel"},
            "subject": subject,
            "issued": "2026-11-03T10:00:00Z",
        },
        {
            "resourceType": "Questionnaire",
            "id": f"q{suffix}",
            "url": PHQ9,
            "title": "PHQ-9",
            "status": "active",
        },
        {
            "resourceType": "QuestionnaireResponse",
            "id": f"qr{suffix}",
            "status": "completed",
            "questionnaire": PHQ9,
            "subject": subject,
            "authored": "2026-11-04T11:00:00Z",
        },
        {
            "resourceType": "Encounter",
            "id": f"enc{suffix}",
            "status": "finished",
            "class": AMBULATORY,
            "subject": subject,
            "period": {"start": "2026-11-05T09:00:00Z", "end": "2026-11-05T09:30:00Z"},
        },
        {
            "resourceType": "DocumentReference",
            "id": f"doc{suffix}",
            "status": "current",
            "type": {"text": "Discharge summary"},
            "subject": subject,
            "description": "Discharge letter",
        },
        {
            "resourceType": "Communication",
            "id": f"comm{suffix}",
            "status": "completed",
            "subject": subject,
            "sent": "2026-11-06T12:00:00Z",
        },
    ]


FIELDS = """
  __typename id resourceType
  ... on ServiceRequest { status intent code { text } subject { reference } authoredOn }
  ... on Observation { status code { text } subject { reference } effectiveDateTime }
  ... on DiagnosticReport { status code { text } subject { reference } issued }
  ... on Questionnaire { url title status }
  ... on QuestionnaireResponse { status questionnaire subject { reference } authored }
  ... on Encounter { status class { system code display } subject { reference }
                     period { start end } }
  ... on DocumentReference { status type { text } subject { reference } description }
  ... on Communication { status subject { reference } sent }
"""


def expected(resource: Resource) -> dict[str, Any]:
    """What the typed fields answer: the resource's own elements, named as FHIR names them."""
    answer: dict[str, Any] = {
        "__typename": resource["resourceType"],
        "resourceType": resource["resourceType"],
    }
    for name, value in resource.items():
        if isinstance(value, dict) and "text" in value:
            value = {"text": value["text"]}
        answer[name] = value
    return answer


async def test_each_type_a_task_points_at_answers_its_typed_fields(gateway: Gateway) -> None:
    resources = pointed_at()
    await put_all(gateway.fhir, [*referenced(), *resources])
    query = (
        "query {\n"
        + "\n".join(
            f'  r{n}: resource(reference: "{r["resourceType"]}/{r["id"]}") {{ {FIELDS} }}'
            for n, r in enumerate(resources)
        )
        + "\n}"
    )
    data = await gateway.data(query)
    assert [data[f"r{n}"] for n in range(len(resources))] == [expected(r) for r in resources]


async def test_same_id_resources_of_two_types_stay_two_through_task_focus(
    gateway: Gateway,
) -> None:
    service_request, observation = pointed_at()[:2]
    await put_all(
        gateway.fhir,
        [
            *referenced(),
            service_request,
            observation,
            task("t-order", focus="ServiceRequest/x"),
            task("t-result", focus="Observation/x"),
        ],
    )
    data = await gateway.data(
        'query { order: task(id: "t-order") { focus { __typename id } }'
        ' result: task(id: "t-result") { focus { __typename id } } }'
    )
    assert data == {
        "order": {"focus": {"__typename": "ServiceRequest", "id": "x"}},
        "result": {"focus": {"__typename": "Observation", "id": "x"}},
    }


async def test_a_patient_token_reads_resources_of_its_own_patient_only(
    secured: Gateway, oidc_provider: OidcProvider
) -> None:
    mine, theirs = pointed_at(), pointed_at({"reference": "Patient/pt2"}, suffix="-theirs")
    # A generated type (only the Resource fields) is checked the same way.
    condition = {"resourceType": "Condition", "id": "c", "subject": SUBJECT}
    mine.append(condition)
    theirs.append({**condition, "id": "c-theirs", "subject": {"reference": "Patient/pt2"}})
    await put_all(secured.fhir, [*referenced(), *mine, *theirs])
    claims = oidc_provider.claims(fhirUser="Patient/pt1", patient="pt1", scope="patient/*.rs")
    secured.client.headers["Authorization"] = f"Bearer {oidc_provider.mint(claims)}"
    both = [*mine, *theirs]
    query = (
        "query {\n"
        + "\n".join(
            f'  r{n}: resource(reference: "{r["resourceType"]}/{r["id"]}") {{ __typename id }}'
            for n, r in enumerate(both)
        )
        + "\n}"
    )
    data = await secured.data(query)
    # A Questionnaire is nobody's health data; every other type names its patient.
    visible = [*mine, *(r for r in theirs if r["resourceType"] == "Questionnaire")]
    assert [data[f"r{n}"] for n in range(len(both))] == [
        {"__typename": r["resourceType"], "id": r["id"]} if r in visible else None for r in both
    ]
