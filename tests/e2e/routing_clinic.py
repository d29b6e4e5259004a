"""A small clinic for routing tests: licensed nurses in states, patients with home states."""

from __future__ import annotations

from typing import Any

from gateway.fhir import Resource
from tests.e2e.builders import DOCTOR, NURSE, patient, practitioner, role, task

PLAN_NET = (
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/practitioner-qualification"
)
ALWAYS = [{"allDay": True}]
AWAY = [{"description": "Sabbatical", "during": {"start": "2000-01-01", "end": "2999-12-31"}}]


def license(*states: str, **period: str) -> dict[str, Any]:
    """A Practitioner.qualification valid in ``states`` (Plan-Net whereValid) over ``period``."""
    return {
        "code": {"text": "RN"},
        "issuer": {"display": "Board of Nursing"},
        "period": period,
        "extension": [
            {
                "url": PLAN_NET,
                "extension": [
                    {
                        "url": "whereValid",
                        "valueCodeableConcept": {
                            "coding": [{"system": "https://www.usps.com/", "code": state}]
                        },
                    }
                    for state in states
                ],
            }
        ],
    }


def licensed(pid: str, *states: str, **period: str) -> Resource:
    person = practitioner(pid, pid.capitalize(), pid[0].upper())
    person["qualification"] = [license(*states, **period)]
    return person


def shift(rid: str, pid: str, code: str = NURSE, **fields: Any) -> Resource:
    held = role(rid, pid, code, active=fields.pop("active", True))
    held["availableTime"] = ALWAYS
    held.update(fields)
    return held


def home(pid: str, *states: str) -> Resource:
    person = patient(pid)
    if states:
        person["address"] = [{"state": state} for state in states]
    return person


def clinic() -> list[Resource]:
    """amy, bob (both NY, available), cat (NY, away), dan (NY license expired), eve (CA),
    fay (NY, a doctor), gus (NY, an inactive nurse role); amy owns two open Tasks."""
    return [
        licensed("amy", "NY", start="2020-01-01"),
        licensed("bob", "NY", "NJ"),
        licensed("cat", "NY"),
        licensed("dan", "NY", end="2021-12-31"),
        licensed("eve", "CA"),
        licensed("fay", "NY"),
        licensed("gus", "NY"),
        shift("r-amy", "amy"),
        shift("r-bob", "bob"),
        shift("r-cat", "cat", notAvailable=AWAY),
        shift("r-dan", "dan"),
        shift("r-eve", "eve"),
        shift("r-fay", "fay", DOCTOR),
        shift("r-gus", "gus", active=False),
        home("pny", "NY"),
        home("pca", "ca"),
        home("pnone"),
        task("t-ny", role=NURSE, **{"for": "Patient/pny"}),
        task("t-ca", role=NURSE, **{"for": "Patient/pca"}),
        task("t-none", role=NURSE, **{"for": "Patient/pnone"}),
        task("t-any", **{"for": "Patient/pny"}),
        task("owned1", status="in-progress", owner="Practitioner/amy"),
        task("owned2", status="on-hold", owner="Practitioner/amy"),
        task("done", status="completed", owner="Practitioner/bob"),
    ]
