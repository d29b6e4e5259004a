"""Licensure in the work queue: a page of Tasks screened by their patients' states."""

from __future__ import annotations

from datetime import datetime

from gateway.fhir import Ref, Resource, try_parse_reference
from gateway.routing import licensed_for, licensed_states, patient_states
from gateway.schema.context import Context
from gateway.schema.task_filter import Screen

# Asked for with the page, so the patients come in the same round trip where servers include.
PATIENT_INCLUDE = "Task:patient"


def patient_of(task: Resource, base_url: str) -> Ref | None:
    """The Patient a Task is for, or None when it is for no Patient."""
    subject = task.get("for")
    text = subject.get("reference") if isinstance(subject, dict) else None
    ref = try_parse_reference(text, base_url=base_url)
    return ref if ref is not None and ref.type == "Patient" else None


def licensure_screen(ctx: Context, practitioner: Resource, at: datetime) -> Screen:
    """Keeps a Task whose patient has no state, or a state the practitioner is licensed in now.

    Works on any server: the page is read as usual and screened, so a page may hold fewer
    than ``first`` Tasks, yet pages never repeat or skip one (the cursor resumes after the
    last Task read). Patients come along with the page (``_include``) or in one batched read.
    This is the whole filter where the server has no chained search; where it has, the
    server filters (work_queue.licensure_alternatives) and this checks what it matched.
    """
    licensed = licensed_states(practitioner, at, ctx.settings.clinic_zone)
    base_url = ctx.fhir.base_url

    async def screen(tasks: list[Resource]) -> list[bool]:
        refs = [patient_of(task, base_url) for task in tasks]
        wanted = list(dict.fromkeys(ref for ref in refs if ref is not None))
        found = await ctx.loaders.resource_by_ref.load_many(wanted)
        patients = dict(zip(wanted, found, strict=True))
        return [
            licensed_for(licensed, patient_states(patients.get(ref) if ref else None)) is not False
            for ref in refs
        ]

    return screen
