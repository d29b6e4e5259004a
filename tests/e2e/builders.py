"""Small FHIR resources for arranging test data on any server, through the gateway's client."""

from __future__ import annotations

from typing import Any

from gateway.fhir import FhirClient, Resource

SNOMED = "http://snomed.info/sct"
NURSE = "224535009"
DOCTOR = "158965000"


def task(task_id: str, **fields: Any) -> Resource:
    resource: Resource = {
        "resourceType": "Task",
        "id": task_id,
        "status": "ready",
        "intent": "order",
        "authoredOn": "2026-11-01T09:00:00Z",
    }
    due = fields.pop("due", None)
    if due is not None:
        resource["restriction"] = {"period": {"end": due}}
    parent = fields.pop("parent", None)
    if parent is not None:
        resource["partOf"] = [{"reference": f"Task/{parent}"}]
    role = fields.pop("role", None)
    if role is not None:
        resource["performerType"] = [{"coding": [{"system": SNOMED, "code": role}]}]
    for name in ("owner", "for", "focus", "requester"):
        target = fields.pop(name, None)
        if target is not None:
            resource[name] = {"reference": target}
    resource.update(fields)
    return resource


def practitioner(pid: str, family: str = "Doe", given: str = "Jo") -> Resource:
    return {
        "resourceType": "Practitioner",
        "id": pid,
        "name": [{"family": family, "given": [given]}],
    }


def patient(pid: str, family: str = "Roe", given: str = "Ann") -> Resource:
    return {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"family": family, "given": [given]}],
        "gender": "female",
        "birthDate": "1970-01-01",
    }


def role(rid: str, pid: str, code: str, *, active: bool = True) -> Resource:
    return {
        "resourceType": "PractitionerRole",
        "id": rid,
        "active": active,
        "practitioner": {"reference": f"Practitioner/{pid}"},
        "code": [{"coding": [{"system": SNOMED, "code": code}]}],
    }


async def put_all(fhir: FhirClient, resources: list[Resource]) -> None:
    """Create each resource with its own id (PUT), in order."""
    for resource in resources:
        await fhir.update(resource)


def referenced() -> list[Resource]:
    """The people and things test Tasks point at, so that writes naming them are accepted."""
    service_request: Resource = {
        "resourceType": "ServiceRequest",
        "id": "sr1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/pt1"},
    }
    practitioner_role: Resource = {
        "resourceType": "PractitionerRole",
        "id": "r1",
        "practitioner": {"reference": "Practitioner/p1"},
    }
    return [
        patient("pt1"),
        patient("pt2", given="Bo"),
        practitioner("p1", "Hart"),
        practitioner("ada", "Hart", "Ada"),
        practitioner("ben", "Bell", "Ben"),
        service_request,
        practitioner_role,
    ]
