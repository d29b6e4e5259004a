"""The resource types a Task points at (its focus, encounter, basis), with typed fields."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.fhir import Resource as FhirResource
from gateway.schema.elements import CodeableConcept, Coding, Period, Reference, as_datetime
from gateway.schema.resources import Resource, base_fields, converter
from gateway.schema.scalars import DateTime

STATUS = "The FHIR status code, as stored (e.g. 'active')."
SUBJECT = "Who or what the resource is about (usually 'Patient/id'), unresolved."


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _common(resource: FhirResource) -> dict[str, Any]:
    return {**base_fields(resource), "status": _text(resource.get("status"))}


def _about(resource: FhirResource) -> dict[str, Any]:
    return {**_common(resource), "subject": Reference.from_fhir(resource.get("subject"))}


@converter("ServiceRequest")
@strawberry.type(description="An order or proposal for a service: a lab test, a referral, ...")
class ServiceRequest(Resource):
    status: str | None = strawberry.field(description=STATUS)
    intent: str | None = strawberry.field(description="proposal, plan, order, ... (FHIR code).")
    code: CodeableConcept | None = strawberry.field(description="What is being requested.")
    subject: Reference | None = strawberry.field(description=SUBJECT)
    authored_on: DateTime | None = strawberry.field(description="When the request was signed.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> ServiceRequest:
        return cls(
            **_about(resource),
            intent=_text(resource.get("intent")),
            code=CodeableConcept.from_fhir(resource.get("code")),
            authored_on=as_datetime(resource.get("authoredOn")),
        )


@converter("DiagnosticReport")
@strawberry.type(description="Results of diagnostic tests and their interpretation.")
class DiagnosticReport(Resource):
    status: str | None = strawberry.field(description=STATUS)
    code: CodeableConcept | None = strawberry.field(description="What the report is about.")
    subject: Reference | None = strawberry.field(description=SUBJECT)
    issued: DateTime | None = strawberry.field(description="When this version was released.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> DiagnosticReport:
        return cls(
            **_about(resource),
            code=CodeableConcept.from_fhir(resource.get("code")),
            issued=as_datetime(resource.get("issued")),
        )


@converter("Questionnaire")
@strawberry.type(description="A form: an organized set of questions.")
class Questionnaire(Resource):
    url: str | None = strawberry.field(description="Its canonical URL.")
    title: str | None = strawberry.field(description="Its title, ready to show.")
    status: str | None = strawberry.field(description=STATUS)

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> Questionnaire:
        return cls(
            **_common(resource),
            url=_text(resource.get("url")),
            title=_text(resource.get("title")),
        )


@converter("QuestionnaireResponse")
@strawberry.type(description="The answers to a Questionnaire.")
class QuestionnaireResponse(Resource):
    status: str | None = strawberry.field(description=STATUS)
    questionnaire: str | None = strawberry.field(
        description="The canonical URL of the Questionnaire answered."
    )
    subject: Reference | None = strawberry.field(description=SUBJECT)
    authored: DateTime | None = strawberry.field(description="When the answers were gathered.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> QuestionnaireResponse:
        return cls(
            **_about(resource),
            questionnaire=_text(resource.get("questionnaire")),
            authored=as_datetime(resource.get("authored")),
        )


@converter("Encounter")
@strawberry.type(description="A visit or other interaction with a patient.")
class Encounter(Resource):
    status: str | None = strawberry.field(description=STATUS)
    class_: Coding | None = strawberry.field(
        name="class", description="Inpatient, ambulatory, virtual, ... (v3 ActCode)."
    )
    subject: Reference | None = strawberry.field(description=SUBJECT)
    period: Period | None = strawberry.field(description="When the encounter started and ended.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> Encounter:
        kind = resource.get("class")
        return cls(
            **_about(resource),
            class_=Coding.from_fhir(kind) if isinstance(kind, dict) else None,
            period=Period.from_fhir(resource.get("period")),
        )


@converter("Observation")
@strawberry.type(description="A measurement or finding about a patient.")
class Observation(Resource):
    status: str | None = strawberry.field(description=STATUS)
    code: CodeableConcept | None = strawberry.field(description="What was observed.")
    subject: Reference | None = strawberry.field(description=SUBJECT)
    effective_date_time: DateTime | None = strawberry.field(
        description="When it was observed, when given as effectiveDateTime."
    )

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> Observation:
        return cls(
            **_about(resource),
            code=CodeableConcept.from_fhir(resource.get("code")),
            effective_date_time=as_datetime(resource.get("effectiveDateTime")),
        )


@converter("DocumentReference")
@strawberry.type(description="A document: a letter, a scanned form, a discharge summary, ...")
class DocumentReference(Resource):
    status: str | None = strawberry.field(description=STATUS)
    type: CodeableConcept | None = strawberry.field(description="The kind of document.")
    subject: Reference | None = strawberry.field(description=SUBJECT)
    description: str | None = strawberry.field(description="What the document is, in words.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> DocumentReference:
        return cls(
            **_about(resource),
            type=CodeableConcept.from_fhir(resource.get("type")),
            description=_text(resource.get("description")),
        )


@converter("Communication")
@strawberry.type(description="A message that was sent: a letter, a text, a call.")
class Communication(Resource):
    status: str | None = strawberry.field(description=STATUS)
    subject: Reference | None = strawberry.field(description=SUBJECT)
    sent: DateTime | None = strawberry.field(description="When it was sent.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> Communication:
        return cls(**_about(resource), sent=as_datetime(resource.get("sent")))
