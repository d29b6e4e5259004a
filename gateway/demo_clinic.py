"""The demo clinic: a fixed, deterministic set of FHIR R4 resources to explore the gateway with."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.fhir import format_instant

Resource = dict[str, Any]

ANCHOR = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SEED = 20261102
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
TASK_TYPE_SYSTEM = "http://example.org/fhir/CodeSystem/clinic-task-type"
FUNNEL_SYSTEM = "http://example.org/fhir/CodeSystem/clinic-funnel"
REASON_SYSTEM = "http://example.org/fhir/CodeSystem/clinic-status-reason"
ORG = {"reference": "Organization/demo-org", "display": "Riverside Family Clinic"}

DOCTOR, NP, RN = "158965000", "224571005", "224535009"
COORDINATOR, TEAM_LEAD = "768820003", "768821004"
CODER, RECORDS, PA = "1251542004", "56542007", "449161006"
# fmt: off
ROLES = {DOCTOR: "Doctor", NP: "Nurse Practitioner", RN: "Registered Nurse",
         COORDINATOR: "Care Coordinator", TEAM_LEAD: "Care Team Coordinator",
         CODER: "Medical Coder", RECORDS: "Medical record administrator",
         PA: "Physician assistant"}
GENERAL_PRACTICE, CARDIOLOGY = "394814009", "394579002"
SPECIALTIES = {GENERAL_PRACTICE: "General practice", CARDIOLOGY: "Cardiology"}

# (given, family, role, specialty)
STAFF = [
    ("Amara", "Okafor", DOCTOR, GENERAL_PRACTICE),
    ("Daniel", "Reyes", DOCTOR, CARDIOLOGY),
    ("Mei Lin", "Chen", NP, GENERAL_PRACTICE),
    ("Sofia", "Novak", RN, None),
    ("James", "Whitfield", RN, None),
    ("Priya", "Raman", COORDINATOR, None),
    ("Tomasz", "Kowalski", TEAM_LEAD, None),
    ("Grace", "Mensah", CODER, None),
    ("Liam", "O'Connor", RECORDS, None),
    ("Hannah", "Berg", PA, CARDIOLOGY),
]
REQUESTER_ROLES = {DOCTOR, NP, PA}

# Licensure (Da Vinci Plan-Net practitioner-qualification, as gateway/routing/licensure.py
# reads it). The clinic sits near the Massachusetts line and sees patients from neighbouring
# states; its patients' home states repeat in this pattern (None: no address on file).
PLAN_NET_QUALIFICATION = (
    "http://hl7.org/fhir/us/davinci-pdex-plan-net/StructureDefinition/practitioner-qualification"
)
USPS = "https://www.usps.com/"
DEGREE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0360"
DEGREES = {"MD": "Doctor of Medicine", "NP": "Nurse Practitioner", "RN": "Registered Nurse",
           "PA": "Physician Assistant"}
HOME_STATES = ["MA", "RI", "MA", "NH", None, "MA", "NY", "RI", "MA", None]
CITIES = {"MA": "Fall River", "RI": "Providence", "NH": "Nashua", "NY": "Albany"}
BOARDS = {"MA": "Massachusetts Board of Registration", "RI": "Rhode Island Department of Health",
          "NH": "New Hampshire Office of Professional Licensure and Certification",
          "NY": "New York State Office of the Professions"}
# Staff number: (degree, states licensed now, {state: the day an expired license ended}).
# Current licenses have no end, so the demo keeps working whenever it is run. Staff without
# a state license carry the clinic's authorization for the states it serves, since the
# licensure rule applies to every queue.
LICENSES = {1: ("MD", ["MA", "RI"], {"NY": "2025-06-30"}), 2: ("MD", ["MA", "NY"], {}),
            3: ("NP", ["MA", "NH"], {"RI": "2026-03-31"}), 4: ("RN", ["MA", "RI", "NH"], {}),
            5: ("RN", ["MA"], {"NH": "2025-12-31"}), 10: ("PA", ["MA"], {"RI": "2026-09-30"})}
AUTHORIZED_STATES = ["MA", "RI", "NH", "NY"]

# Availability (read in GATEWAY_CLINIC_TIMEZONE; the clinic keeps Eastern time). Role number:
# [(days, start, end)]; an end before the start runs past midnight (James Whitfield's nights).
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
HOURS = {1: [(WEEKDAYS, "08:00:00", "17:00:00")],
         2: [(["mon", "wed", "thu"], "08:00:00", "16:00:00")],
         3: [(WEEKDAYS, "09:00:00", "17:30:00")],
         4: [(WEEKDAYS, "07:00:00", "15:00:00")],
         5: [(["sun", "mon", "tue", "wed", "thu"], "19:00:00", "07:00:00")],
         6: [(WEEKDAYS, "09:00:00", "17:00:00")], 7: [(WEEKDAYS, "08:00:00", "16:00:00")],
         8: [(["mon", "tue", "wed", "thu"], "09:00:00", "17:00:00")],
         9: [(WEEKDAYS, "10:00:00", "18:00:00")],
         10: [(["mon", "tue", "wed"], "08:00:00", "16:00:00"), (["sat"], "09:00:00", "13:00:00")]}
# Role number: (why, from, to): Daniel Reyes is at a cardiology conference.
AWAY = {2: ("Cardiology conference", "2026-12-07T00:00:00-05:00", "2026-12-11T23:59:59-05:00")}
# An extra role that has ended (James Whitfield used to coordinate care), so queue
# filtering on active roles has something to leave out.
ENDED_ROLE = (5, COORDINATOR)

GIVEN = ["Olivia", "Noah", "Ava", "Mateo", "Zara", "Ethan", "Leila", "Kenji", "Isabel", "Omar",
         "Chloe", "Rafael", "Nadia", "Lucas", "Aisha", "Henrik", "Maya", "Tariq", "Elena", "Jonah"]
FAMILY = ["Garcia", "Nguyen", "Smith", "Haddad", "Kim", "Johansson", "Patel", "Moreau", "Silva",
          "Adeyemi", "Fischer", "Rossi", "Tanaka", "Walsh", "Cohen", "Ivanova", "Lopez", "Brown"]

LAB_PANELS = [("58410-2", "CBC panel - Blood by Automated count"),
              ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
              ("24323-8", "Comprehensive metabolic 2000 panel - Serum or Plasma"),
              ("57698-3", "Lipid panel with direct LDL - Serum or Plasma")]
QUESTIONNAIRES = [("phq-9", "Patient Health Questionnaire (PHQ-9)"),
                  ("gad-7", "Generalized Anxiety Disorder (GAD-7)"),
                  ("falls-risk", "Falls risk screening"), ("pre-visit", "Pre-visit intake")]

# Task types: (code, display, focus type, who may do it: a role or a specialty).
TASK_TYPES = [
    ("collect-specimen", "Collect specimen", "ServiceRequest", [RN, NP]),
    ("review-results", "Review lab results", "DiagnosticReport", [DOCTOR, NP, PA]),
    ("administer-questionnaire", "Complete questionnaire", "Questionnaire", [RN, COORDINATOR]),
    ("schedule-follow-up", "Schedule follow-up", "ServiceRequest", [COORDINATOR, TEAM_LEAD]),
    ("code-encounter", "Code the encounter", "DiagnosticReport", [CODER]),
    ("release-records", "Release medical records", "ServiceRequest", [RECORDS]),
    ("cardiology-consult", "Cardiology consult", "ServiceRequest", [CARDIOLOGY]),
]

# status: (how many Tasks, share with an owner, businessStatus funnel steps). Open Tasks
# are mostly unassigned, so the work queue has content.
STATUS_PLAN = {
    "draft": (15, 0.0, []),
    "requested": (50, 0.15, ["triage"]),
    "received": (20, 0.25, ["triage"]),
    "accepted": (30, 0.6, ["scheduled"]),
    "ready": (45, 0.3, ["scheduled"]),
    "in-progress": (40, 1.0, ["scheduled", "awaiting-results"]),
    "on-hold": (15, 0.9, ["awaiting-results"]),
    "completed": (50, 0.95, ["follow-up", "closed"]),
    "failed": (8, 0.9, ["follow-up"]),
    "cancelled": (12, 0.5, []),
    "rejected": (8, 0.3, []),
    "entered-in-error": (7, 0.5, []),
}
STARTED = {"in-progress", "completed", "failed"}
ENDED = {"completed", "failed", "cancelled"}
REASONS = {
    "on-hold": [("awaiting-patient", "Waiting for the patient to reschedule"),
                ("awaiting-lab", "Waiting for the laboratory"),
                ("equipment-unavailable", "Equipment unavailable")],
    "cancelled": [("patient-declined", "Patient declined"), ("duplicate", "Duplicate request"),
                  ("order-withdrawn", "Order withdrawn by the requester")],
    "rejected": [("out-of-scope", "Not offered by this clinic")],
    "failed": [("patient-unreachable", "Patient could not be reached")],
}
PRIORITY_WEIGHTS = {"routine": 55, "urgent": 20, "asap": 8, "stat": 5, None: 12}
NOTES = ["Patient prefers morning appointments.", "Interpreter needed (Portuguese).",
         "Called twice, left a voicemail.", "Results faxed from the outside lab."]

# Subtask trees: entry k names the index of node k's parent in the same tree (None: root).
TREE_SHAPES = [(None, 0, 1, 2), (None, 0, 0, 1, 1, 3), (None, 0, 0, 0), (None, 0, 1, 0, 3),
               (None, 0, 0, 2, 3, 1)]
# fmt: on


def demo_clinic() -> list[Resource]:
    """The demo clinic's resources, referenced ones first and parent Tasks before subtasks."""
    # Seeded, and dated from a fixed anchor, so every run (and `seed`) yields the same data.
    rng = random.Random(SEED)  # noqa: S311 - demo data, not a secret
    staff = [_practitioner(n, given, family, role) for n, (given, family, role, _) in
             enumerate(STAFF, 1)]  # fmt: skip
    for n, person in enumerate(staff, 1):
        person["qualification"] = _qualifications(n)
    roles = [_role(n, staff[n - 1], role, specialty, active=True)
             for n, (_, _, role, specialty) in enumerate(STAFF, 1)]  # fmt: skip
    roles.append(_role(len(roles) + 1, staff[ENDED_ROLE[0] - 1], ENDED_ROLE[1], None, False))
    patients = [_patient(n, rng) for n in range(1, 51)]
    for n, patient in enumerate(patients, 1):
        # Tables, not the seeded generator, so every other generated value stays as it was.
        state = HOME_STATES[(n - 1) % len(HOME_STATES)]
        if state:
            patient["address"] = [{"use": "home", "city": CITIES[state], "state": state,
                                   "country": "US"}]  # fmt: skip
    questionnaires = [
        {"resourceType": "Questionnaire", "id": f"demo-questionnaire-{key}", "status": "active",
         "title": title} for key, title in QUESTIONNAIRES
    ]  # fmt: skip
    orders = [_service_request(n, patient, rng) for n, patient in enumerate(patients, 1)]
    reports = [_diagnostic_report(n, order, rng) for n, order in enumerate(orders[::2], 1)]
    foci = {"ServiceRequest": orders, "DiagnosticReport": reports, "Questionnaire": questionnaires}
    clinic = _Clinic(rng, staff, roles, patients, foci)
    statuses = [status for status, (count, _, _) in STATUS_PLAN.items() for _ in range(count)]
    rng.shuffle(statuses)
    tasks: list[Resource] = []
    for shape in TREE_SHAPES:
        tree: list[Resource] = []
        for parent in shape:
            task = clinic.task(len(tasks) + 1, statuses[len(tasks)], tree[0] if tree else None)
            if parent is not None:
                task["partOf"] = [_ref(tree[parent])]
            tree.append(task)
            tasks.append(task)
    for n in range(len(tasks) + 1, len(statuses) + 1):
        tasks.append(clinic.task(n, statuses[n - 1], None))
    org = {"resourceType": "Organization", "id": "demo-org", "active": True, "name": ORG["display"]}
    resources = [org, *staff, *roles, *patients, *questionnaires, *orders, *reports, *tasks]
    # References are shared dicts while building; a JSON round trip gives each resource
    # its own copy, so a caller that edits one resource cannot change another.
    result: list[Resource] = json.loads(json.dumps(resources))
    return result


@dataclass
class _Clinic:
    """What Tasks are made from: the seeded generator and the resources they point at."""

    rng: random.Random
    staff: list[Resource]
    roles: list[Resource]
    patients: list[Resource]
    foci: dict[str, list[Resource]]

    def task(self, n: int, status: str, root: Resource | None) -> Resource:
        rng = self.rng
        # A subtask works for the same patient, on the same focus, as its tree's root.
        fitting = [kind for kind in TASK_TYPES if root is None or kind[2] == root["focus"]["type"]]
        code, display, focus_type, performers = rng.choice(fitting)
        if root is None:
            focus = rng.choice(self.foci[focus_type])
            patient_ref = focus.get("subject") or _ref(rng.choice(self.patients))
            focus_ref = {**_ref(focus), "type": focus_type}
        else:
            patient_ref, focus_ref = root["for"], root["focus"]
        performer = rng.choice(performers)
        _, owned_share, funnel = STATUS_PLAN[status]
        authored = ANCHOR - timedelta(minutes=rng.randint(60, 60 * 24 * 60))
        # Some on-hold and cancelled Tasks were stopped before any work began.
        worked = status in STARTED or (status in {"on-hold", "cancelled"} and rng.random() < 0.6)
        started = _between(rng, authored, ANCHOR) if worked else None
        ended = _between(rng, started or authored, ANCHOR) if status in ENDED else None
        modified = _between(rng, ended or started or authored, ANCHOR)
        task: Resource = {
            "resourceType": "Task",
            "id": f"demo-task-{n:04d}",
            "status": status,
            "intent": "plan" if status == "draft" and rng.random() < 0.5 else "order",
            "code": _concept(TASK_TYPE_SYSTEM, code, display),
            "description": f"{display} for {patient_ref['display']}",
            "performerType": [_concept(SNOMED, performer, (ROLES | SPECIALTIES)[performer])],
            "for": patient_ref,
            "focus": focus_ref,
            "requester": _ref(rng.choice(self._holders(*REQUESTER_ROLES))),
            "authoredOn": format_instant(authored),
            "lastModified": format_instant(modified),
        }
        [priority] = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))
        if priority:
            task["priority"] = priority
        if status in REASONS and (status in {"on-hold", "cancelled"} or rng.random() < 0.5):
            task["statusReason"] = _concept(REASON_SYSTEM, *rng.choice(REASONS[status]))
        if funnel:
            step = rng.choice(funnel)
            task["businessStatus"] = _concept(FUNNEL_SYSTEM, step, step.replace("-", " ").title())
        if rng.random() < owned_share:
            task["owner"] = _ref(rng.choice(self._holders(performer) or self.staff))
        if started or ended:
            task["executionPeriod"] = {
                key: format_instant(moment)
                for key, moment in (("start", started), ("end", ended))
                if moment is not None
            }
        if rng.random() < 0.8:
            due = authored + timedelta(days=rng.randint(1, 21), hours=rng.randint(0, 8))
            period = {"end": format_instant(due)}
            if rng.random() < 0.25:
                period["start"] = format_instant(authored + (due - authored) * rng.random() / 2)
            task["restriction"] = {"period": period}
        if rng.random() < 0.15:
            note = {"text": rng.choice(NOTES), "time": format_instant(modified)}
            task["note"] = [{**note, "authorReference": _ref(rng.choice(self.staff))}]
        return task

    def _holders(self, *codes: str) -> list[Resource]:
        """The Practitioners with an active role whose code or specialty is one of `codes`."""
        ids = {
            role["practitioner"]["reference"]
            for role in self.roles
            if role["active"]
            and any(
                coding["code"] in codes
                for concept in role["code"] + role.get("specialty", [])
                for coding in concept["coding"]
            )
        }
        return [person for person in self.staff if f"Practitioner/{person['id']}" in ids]


def _practitioner(n: int, given: str, family: str, role: str) -> Resource:
    name: dict[str, Any] = {"family": family, "given": given.split()}
    if role == DOCTOR:
        name["prefix"] = ["Dr."]
    return {
        "resourceType": "Practitioner",
        "id": f"demo-prac-{n:02d}",
        "active": True,
        "name": [name],
    }


def _role(
    n: int, practitioner: Resource, code: str, specialty: str | None, active: bool
) -> Resource:
    role: Resource = {
        "resourceType": "PractitionerRole",
        "id": f"demo-role-{n:02d}",
        "active": active,
        "practitioner": _ref(practitioner),
        "organization": ORG,
        "code": [_concept(SNOMED, code, ROLES[code])],
    }
    if specialty:
        role["specialty"] = [_concept(SNOMED, specialty, SPECIALTIES[specialty])]
    if n in HOURS:
        role["availableTime"] = [
            {"daysOfWeek": days, "availableStartTime": start, "availableEndTime": end}
            for days, start, end in HOURS[n]
        ]
    if n in AWAY:
        why, start, end = AWAY[n]
        role["notAvailable"] = [{"description": why, "during": {"start": start, "end": end}}]
    return role


def _qualifications(n: int) -> list[Resource]:
    """Practitioner ``n``'s licenses (current, then expired), or the clinic's authorization."""
    if n not in LICENSES:
        authorization = {"text": "Authorized to work for the clinic's patients"}
        return [_qualification(authorization, ORG, AUTHORIZED_STATES, {"start": "2024-01-01"})]
    degree, current, expired = LICENSES[n]
    code = _concept(DEGREE_SYSTEM, degree, DEGREES[degree])
    board = {state: {"display": BOARDS[state]} for state in [*current, *expired]}
    return [
        *(_qualification(code, board[s], [s], {"start": "2020-07-01"}) for s in current),
        *(
            _qualification(code, board[s], [s], {"start": "2021-07-01", "end": end})
            for s, end in expired.items()
        ),
    ]


def _qualification(
    code: dict[str, Any], issuer: dict[str, str], states: list[str], period: dict[str, str]
) -> Resource:
    where = [
        {"url": "whereValid", "valueCodeableConcept": {"coding": [{"system": USPS, "code": s}]}}
        for s in states
    ]
    return {
        "extension": [{"url": PLAN_NET_QUALIFICATION, "extension": where}],
        "code": code,
        "period": period,
        "issuer": issuer,
    }


def _patient(n: int, rng: random.Random) -> Resource:
    gender = rng.choice(["female", "male"] * 12 + ["other"])
    born = datetime(1940, 1, 1) + timedelta(days=rng.randint(0, 80 * 365))
    return {
        "resourceType": "Patient",
        "id": f"demo-pat-{n:02d}",
        "active": True,
        "name": [{"use": "official", "family": rng.choice(FAMILY), "given": [rng.choice(GIVEN)]}],
        "gender": gender,
        "birthDate": born.date().isoformat(),
    }


def _service_request(n: int, patient: Resource, rng: random.Random) -> Resource:
    code, display = rng.choice(LAB_PANELS)
    return {
        "resourceType": "ServiceRequest",
        "id": f"demo-sr-{n:03d}",
        "status": "active",
        "intent": "order",
        "code": _concept(LOINC, code, display),
        "subject": _ref(patient),
        "authoredOn": format_instant(ANCHOR - timedelta(days=rng.randint(30, 90))),
    }


def _diagnostic_report(n: int, order: Resource, rng: random.Random) -> Resource:
    issued = ANCHOR - timedelta(days=rng.randint(1, 29), hours=rng.randint(0, 12))
    return {
        "resourceType": "DiagnosticReport",
        "id": f"demo-report-{n:03d}",
        "status": rng.choice(["final", "final", "preliminary"]),
        "code": order["code"],
        "basedOn": [_ref(order)],
        "subject": order["subject"],
        "effectiveDateTime": format_instant(issued - timedelta(days=1)),
        "issued": format_instant(issued),
    }


def _ref(resource: Resource) -> dict[str, str]:
    reference = {"reference": f"{resource['resourceType']}/{resource['id']}"}
    name = resource.get("title") or resource.get("name")
    if isinstance(name, list):
        name = " ".join([*name[0].get("prefix", []), *name[0]["given"], name[0]["family"]])
    if name:
        reference["display"] = name
    return reference


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(minutes=int((end - start).total_seconds() // 60 * rng.random()))
