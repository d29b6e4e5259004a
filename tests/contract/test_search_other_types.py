"""Search on the types around a Task: people, roles, organizations, teams and services."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import FhirPeer
from tests.contract.resources import SNOMED, ids, put_resource


@pytest.fixture
async def clinic(fhir: FhirPeer) -> FhirPeer:
    resources: list[dict[str, Any]] = [
        {
            "resourceType": "Patient",
            "id": "zoe",
            "name": [{"family": "Brontë", "given": ["Zoë", "Anne"]}],
            "gender": "female",
            "birthDate": "1990-04-02",
            "identifier": [{"system": "urn:mrn", "value": "MRN-1"}],
        },
        {
            "resourceType": "Patient",
            "id": "bob",
            "name": [{"family": "Brown", "given": ["Robert"]}],
            "gender": "male",
            "birthDate": "1955",
        },
        {
            "resourceType": "Practitioner",
            "id": "ama",
            "active": True,
            "name": [{"family": "Osei", "given": ["Ama"]}],
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "123"}],
        },
        {"resourceType": "Practitioner", "id": "old", "active": False, "name": [{"family": "Ode"}]},
        {
            "resourceType": "Organization",
            "id": "clinic",
            "name": "Riverside Clinic",
            "active": True,
            "identifier": [{"system": "urn:org", "value": "RC"}],
        },
        {
            "resourceType": "PractitionerRole",
            "id": "ama-nurse",
            "active": True,
            "practitioner": {"reference": "Practitioner/ama"},
            "organization": {"reference": "Organization/clinic"},
            "code": [{"coding": [{"system": SNOMED, "code": "224535009"}]}],
            "specialty": [{"coding": [{"system": SNOMED, "code": "394802001"}]}],
        },
        {
            "resourceType": "CareTeam",
            "id": "ward-a",
            "name": "Ward A team",
            "status": "active",
            "subject": {"reference": "Patient/zoe"},
            "participant": [{"member": {"reference": "Practitioner/ama"}}],
        },
        {
            "resourceType": "HealthcareService",
            "id": "lab",
            "name": "Laboratory",
            "active": True,
            "providedBy": {"reference": "Organization/clinic"},
            "type": [{"coding": [{"system": "urn:svc", "code": "lab"}]}],
        },
    ]
    for resource in resources:
        await put_resource(fhir, resource)
    return fhir


@pytest.mark.parametrize(
    ("resource_type", "params", "expected"),
    [
        ("Patient", {"name": "bro"}, ["bob", "zoe"]),
        ("Patient", {"name": "ANNE"}, ["zoe"]),
        ("Patient", {"family:exact": "Brown"}, ["bob"]),
        ("Patient", {"name:contains": "ober"}, ["bob"]),
        ("Patient", {"gender": "female"}, ["zoe"]),
        ("Patient", {"birthdate": "lt1960"}, ["bob"]),
        ("Patient", {"birthdate": "1990-04"}, ["zoe"]),
        ("Patient", {"identifier": "urn:mrn|MRN-1"}, ["zoe"]),
        ("Practitioner", {"name": "osei"}, ["ama"]),
        ("Practitioner", {"active": "true"}, ["ama"]),
        ("Practitioner", {"identifier": "http://hl7.org/fhir/sid/us-npi|123"}, ["ama"]),
        ("Organization", {"name": "river"}, ["clinic"]),
        ("Organization", {"identifier": "RC"}, ["clinic"]),
        ("PractitionerRole", {"practitioner": "Practitioner/ama"}, ["ama-nurse"]),
        ("PractitionerRole", {"organization": "Organization/clinic"}, ["ama-nurse"]),
        ("PractitionerRole", {"role": f"{SNOMED}|224535009"}, ["ama-nurse"]),
        ("PractitionerRole", {"specialty": "394802001"}, ["ama-nurse"]),
        ("CareTeam", {"participant": "Practitioner/ama"}, ["ward-a"]),
        ("CareTeam", {"subject": "Patient/zoe"}, ["ward-a"]),
        ("CareTeam", {"status": "active"}, ["ward-a"]),
        ("HealthcareService", {"organization": "Organization/clinic"}, ["lab"]),
        ("HealthcareService", {"service-type": "urn:svc|lab"}, ["lab"]),
        ("HealthcareService", {"name": "labor"}, ["lab"]),
    ],
)
async def test_search_parameters(
    clinic: FhirPeer, resource_type: str, params: dict[str, str], expected: list[str]
) -> None:
    assert await ids(clinic, params, resource_type=resource_type) == expected


async def test_string_matching_ignores_accents_and_exact_keeps_case(clinic: FhirPeer) -> None:
    accents_ignored = await ids(clinic, {"family": "bronte"}, resource_type="Patient")
    given_accents_ignored = await ids(clinic, {"given": "zoe"}, resource_type="Patient")
    exact_lowercase = await ids(clinic, {"family:exact": "brown"}, resource_type="Patient")

    if clinic.caps.spec_string_matching:
        assert accents_ignored == given_accents_ignored == ["zoe"]
        assert exact_lowercase == []
    else:
        assert accents_ignored == given_accents_ignored == []
        assert exact_lowercase == ["bob"]
