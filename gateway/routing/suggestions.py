"""Who could do a Task: matching roles to its performerType, and ranking the candidates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gateway.fhir import Resource

Coding = tuple[str | None, str]  # (system, code)


def _codings(concepts: Any) -> list[Coding]:
    found: list[Coding] = []
    for concept in concepts if isinstance(concepts, list) else []:
        codings = concept.get("coding") if isinstance(concept, dict) else None
        for coding in codings if isinstance(codings, list) else []:
            if not isinstance(coding, dict):
                continue
            code, system = coding.get("code"), coding.get("system")
            if isinstance(code, str) and code:
                found.append((system if isinstance(system, str) and system else None, code))
    return found


def role_codings(role: Resource) -> list[Coding]:
    """The codings of a PractitionerRole's code and specialty."""
    return _codings([*(role.get("code") or []), *(role.get("specialty") or [])])


def performer_codings(task: Resource) -> list[Coding]:
    return _codings(task.get("performerType"))


def role_matches(role: Resource, wanted: Iterable[Coding]) -> bool:
    """Whether a role code or specialty names one of ``wanted``, as the queue's ``performer``
    search matches them: the same code, and the same system unless the role's has none."""
    wanted = list(wanted)
    return any(
        code == want_code and (system is None or system == want_system)
        for system, code in role_codings(role)
        for want_system, want_code in wanted
    )


@dataclass(frozen=True)
class Candidate:
    """A practitioner who could do a Task, with what ranks them."""

    practitioner_id: str
    role: Resource | None  # the matching role; None when the Task names no performerType
    licensed: bool | None  # None: the patient has no state
    available_now: bool
    open_tasks: int = 0


def eligible(candidate: Candidate, *, licensure: bool) -> bool:
    """While licensure applies, a practitioner unlicensed for the patient's state is out."""
    return not (licensure and candidate.licensed is False)


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Best first: licensed (or unrestricted) before unlicensed, available now before not,
    fewer open Tasks, then practitioner id."""
    return sorted(
        candidates,
        key=lambda c: (
            c.licensed is False,
            not c.available_now,
            c.open_tasks,
            c.practitioner_id,
        ),
    )
