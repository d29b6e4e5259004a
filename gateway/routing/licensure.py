"""Licensure: the states where a practitioner's licenses are valid now, and a patient's states."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from gateway.fhir import Resource
from gateway.routing.clinic_time import period_covers

PLAN_NET_QUALIFICATION = (
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/practitioner-qualification"
)
USPS_SYSTEM = "https://www.usps.com/"


def _items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def where_valid(qualification: Any) -> list[str]:
    """USPS state codes of a qualification's Plan-Net ``whereValid``, upper-cased, in order."""
    states: list[str] = []
    if not isinstance(qualification, dict):
        return states
    for extension in _items(qualification.get("extension")):
        if extension.get("url") != PLAN_NET_QUALIFICATION:
            continue
        for part in _items(extension.get("extension")):
            if part.get("url") != "whereValid":
                continue
            concept = part.get("valueCodeableConcept")
            codings = concept.get("coding") if isinstance(concept, dict) else None
            for coding in _items(codings):
                code = coding.get("code")
                if coding.get("system") == USPS_SYSTEM and isinstance(code, str) and code.strip():
                    state = code.strip().upper()
                    if state not in states:
                        states.append(state)
    return states


def licensed_states(practitioner: Resource, at: datetime, zone: tzinfo) -> frozenset[str]:
    """States named by the practitioner's qualifications whose period covers ``at``."""
    return frozenset(
        state
        for qualification in _items(practitioner.get("qualification"))
        if period_covers(qualification.get("period"), at, zone)
        for state in where_valid(qualification)
    )


def patient_states(patient: Resource | None) -> frozenset[str]:
    """The ``state`` of each of the patient's addresses, case-folded as address-state matches."""
    if patient is None:
        return frozenset()
    return frozenset(
        address["state"].strip().upper()
        for address in _items(patient.get("address"))
        if isinstance(address.get("state"), str) and address["state"].strip()
    )


def licensed_for(licensed: Iterable[str], states: frozenset[str]) -> bool | None:
    """None when the patient has no state (no restriction); else whether a license covers one."""
    if not states:
        return None
    return not states.isdisjoint(licensed)
