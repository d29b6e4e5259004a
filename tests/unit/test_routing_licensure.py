"""Licensure: Plan-Net whereValid states of licenses valid now, and a patient's home states."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.routing import licensed_for, licensed_states, patient_states, where_valid
from gateway.routing.licensure import PLAN_NET_QUALIFICATION, USPS_SYSTEM

NOW = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
ZONE = ZoneInfo("America/Chicago")


def license(
    *states: str, period: dict[str, str] | None = None, system: str = USPS_SYSTEM
) -> dict[str, Any]:
    where = [
        {"url": "whereValid", "valueCodeableConcept": {"coding": [{"system": system, "code": s}]}}
        for s in states
    ]
    qualification: dict[str, Any] = {
        "code": {"text": "MD"},
        "extension": [
            {
                "url": PLAN_NET_QUALIFICATION,
                "extension": [{"url": "status", "valueCode": "active"}, *where],
            }
        ],
    }
    if period is not None:
        qualification["period"] = period
    return qualification


def test_where_valid_reads_the_plan_net_extension() -> None:
    assert where_valid(license("ny", "CA", "NY")) == ["NY", "CA"]


@pytest.mark.parametrize(
    "qualification",
    [
        license("NY", system="http://example.org/states"),
        {
            "extension": [
                {
                    "url": "http://example.org/other",
                    "extension": license("NY")["extension"][0]["extension"],
                }
            ]
        },
        {"code": {"text": "MD"}},
        "NY",
    ],
)
def test_only_usps_codes_in_that_extension_count(qualification: Any) -> None:
    assert where_valid(qualification) == []


@pytest.mark.parametrize(
    ("period", "valid"),
    [
        (None, True),
        ({"start": "2020-01-01"}, True),
        ({"end": "2026-05-01"}, True),  # the last day, whole, in the clinic's zone
        ({"end": "2026-04-30"}, False),  # expired
        ({"start": "2026-05-02"}, False),  # not yet
        ({"start": "2026-05-01T10:00:00-05:00", "end": "2026-05-01T10:00:00-05:00"}, True),
        ({"end": "2026-05-01T09:59:59-05:00"}, False),
    ],
)
def test_a_license_counts_while_its_period_covers_now(
    period: dict[str, str] | None, valid: bool
) -> None:
    practitioner = {"resourceType": "Practitioner", "qualification": [license("NY", period=period)]}
    assert (licensed_states(practitioner, NOW, ZONE) == {"NY"}) is valid


def test_states_of_every_valid_license_add_up() -> None:
    practitioner = {
        "qualification": [
            license("NY", "NJ"),
            license("CA", period={"end": "2020-01-01"}),
            license("TX", period={"start": "2026-01-01"}),
        ]
    }
    assert licensed_states(practitioner, NOW, ZONE) == {"NY", "NJ", "TX"}


def test_a_patients_states_are_its_address_states_case_insensitive() -> None:
    patient = {"address": [{"state": "ny"}, {"state": " CA "}, {"city": "Nowhere"}, {"state": ""}]}
    assert patient_states(patient) == {"NY", "CA"}
    assert patient_states({"address": "NY"}) == frozenset()
    assert patient_states(None) == frozenset()


@pytest.mark.parametrize(
    ("licensed", "states", "expected"),
    [
        ({"NY"}, frozenset(), None),
        (set(), frozenset(), None),
        ({"NY"}, frozenset({"NY"}), True),
        ({"NY"}, frozenset({"CA", "NY"}), True),
        ({"NY"}, frozenset({"CA"}), False),
        (set(), frozenset({"CA"}), False),
    ],
)
def test_licensed_for_a_patient(
    licensed: set[str], states: frozenset[str], expected: bool | None
) -> None:
    assert licensed_for(licensed, states) is expected
