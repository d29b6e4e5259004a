"""Licenses and working hours as typed fields, and availableAt read in the clinic's zone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import SERVERS, Gateway, gateway_on
from tests.e2e.builders import NURSE, practitioner, put_all, role
from tests.e2e.routing_clinic import license


@pytest.fixture(params=SERVERS)
async def clinic(request: pytest.FixtureRequest) -> AsyncIterator[Gateway]:
    """A gateway whose clinic is in Chicago, with one nurse who works weekdays 9 to 5."""
    async with gateway_on(request, clinic_timezone="America/Chicago") as gw:
        nurse = practitioner("nina", "Nash", "Nina")
        nurse["qualification"] = [license("IL", "WI", start="2020-01-01", end="2030-12-31")]
        weekdays = role("r-nina", "nina", NURSE)
        weekdays["period"] = {"start": "2026-01-01"}
        weekdays["availableTime"] = [
            {
                "daysOfWeek": ["mon", "tue", "wed", "thu", "fri"],
                "availableStartTime": "09:00:00",
                "availableEndTime": "17:00:00",
            }
        ]
        weekdays["notAvailable"] = [
            {"description": "Conference", "during": {"start": "2026-05-06", "end": "2026-05-06"}}
        ]
        await put_all(gw.fhir, [nurse, weekdays])
        yield gw


async def test_practitioner_qualifications(clinic: Gateway) -> None:
    data = await clinic.data(
        """{ resource(reference: "Practitioner/nina") { ... on Practitioner {
             qualification { code { text } period { start end } issuer { display } whereValid }
        } } }"""
    )
    assert data["resource"]["qualification"] == [
        {
            "code": {"text": "RN"},
            "period": {"start": "2020-01-01", "end": "2030-12-31"},
            "issuer": {"display": "Board of Nursing"},
            "whereValid": ["IL", "WI"],
        }
    ]


AVAILABLE = """
query ($monday: DateTime, $evening: DateTime, $conference: DateTime, $early: DateTime) {
  resource(reference: "PractitionerRole/r-nina") { ... on PractitionerRole {
    active period { start }
    availableTime { daysOfWeek allDay availableStartTime availableEndTime }
    notAvailable { description during { start end } }
    monday: availableAt(at: $monday)
    evening: availableAt(at: $evening)
    conference: availableAt(at: $conference)
    early: availableAt(at: $early)
  } }
}
"""


async def test_available_at_reads_times_in_the_clinic_zone(clinic: Gateway) -> None:
    data = await clinic.data(
        AVAILABLE,
        {
            # 09:30 in Chicago (CDT) on Monday 2026-05-04, written in UTC.
            "monday": "2026-05-04T14:30:00Z",
            "evening": "2026-05-04T17:30:00-05:00",
            "conference": "2026-05-06T10:00:00-05:00",
            # Monday 09:30 in Tokyo is Sunday evening in Chicago.
            "early": "2026-05-04T09:30:00+09:00",
        },
    )
    role = data["resource"]
    assert role["active"] is True
    assert role["period"] == {"start": "2026-01-01"}
    assert role["availableTime"][0]["daysOfWeek"] == ["mon", "tue", "wed", "thu", "fri"]
    assert role["notAvailable"] == [
        {"description": "Conference", "during": {"start": "2026-05-06", "end": "2026-05-06"}}
    ]
    assert (role["monday"], role["evening"], role["conference"], role["early"]) == (
        True,
        False,
        False,
        False,
    )


async def test_available_at_needs_a_time_and_zone(clinic: Gateway) -> None:
    error = await clinic.error(
        '{ resource(reference: "PractitionerRole/r-nina") '
        '{ ... on PractitionerRole { availableAt(at: "2026-05-04") } } }'
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "at"
