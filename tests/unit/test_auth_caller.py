"""caller.py: which caller a verified token's claims name, and which claims make it unusable."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.auth.caller import caller_from_claims
from gateway.errors import UnauthenticatedError
from gateway.fhir.references import Ref

USER = {"sub": "u", "exp": 2_000_000_000, "scope": "user/Task.rs"}


@pytest.mark.parametrize(
    ("fhir_user", "reference"),
    [
        ("Practitioner/123", Ref("Practitioner", "123")),
        ("https://ehr.example/fhir/R4/Practitioner/123", Ref("Practitioner", "123")),
        ("https://ehr.example/fhir/R4/Practitioner/123/", Ref("Practitioner", "123")),
        ("https://ehr.example/PractitionerRole/r.1?x=y", Ref("PractitionerRole", "r.1")),
        ("RelatedPerson/rp", Ref("RelatedPerson", "rp")),
        ("Person/x", Ref("Person", "x")),
    ],
)
def test_fhir_user_forms(fhir_user: str, reference: Ref) -> None:
    assert caller_from_claims({**USER, "fhirUser": fhir_user}).reference == reference


@pytest.mark.parametrize(
    "claims",
    [
        {"fhirUser": "Practitioner"},
        {"fhirUser": "Practitioner/.."},
        {"fhirUser": "Device/d1"},
        {"fhirUser": "https://ehr.example/"},
        {"fhirUser": 123},
        {"fhirUser": "Practitioner/1", "patient": "Patient/"},
        {"fhirUser": "Practitioner/1", "patient": "a b"},
        {"fhirUser": "Practitioner/1", "patient": 7},
        {"fhirUser": "Practitioner/1", "scope": {"user/Task.rs": True}},
        {"scope": "user/Task.rs"},
        {"scope": "patient/Task.rs", "patient": "1"},
        {"scope": ""},
    ],
)
def test_unusable_claims_are_invalid(claims: dict[str, Any]) -> None:
    with pytest.raises(UnauthenticatedError) as info:
        caller_from_claims({**USER, **claims})
    assert info.value.extensions == {"reason": "invalid"}


def test_a_system_token_acts_for_no_one_and_prefers_client_id() -> None:
    caller = caller_from_claims(
        {"scope": "system/Task.cruds system/Patient.rs", "client_id": "svc", "azp": "other"}
    )
    assert (caller.reference, caller.client_id, caller.context) == (None, "svc", "system")
    assert caller.expires_at is None
