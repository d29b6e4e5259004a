"""Access: the one authorization module; every resolver and mutation asks it what a caller may do.

What it decides (behaviour.md "Identity and scopes"):
- scopes: ``s`` for lists and queues, ``r`` for reads by id and through references, ``c`` to
  create, ``u`` for every other change; a missing one is FORBIDDEN (reason "scope").
- the patient compartment: a patient-facing token sees only Tasks whose ``for`` is its
  patient (searches are constrained with ``patient=``; resources reached otherwise are
  checked one by one), and may only change the status of a Task its patient owns.
- acting as the caller: who claims, whose queue, who requested, who wrote a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from gateway.auth.caller import ANONYMOUS, Caller
from gateway.auth.scopes import Letter, missing_scope
from gateway.errors import BadUserInputError, ForbiddenError, NotFoundError, UnauthenticatedError
from gateway.fhir import Ref, Resource, try_parse_reference

# Resource types that hold no one patient's data: a patient-facing caller may read them
# (its scopes permitting). Every other type must point at the caller's patient.
_NOT_PATIENT_DATA: Final = frozenset(
    {
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "Location",
        "HealthcareService",
        "Questionnaire",
        "PlanDefinition",
        "ActivityDefinition",
        "Medication",
        "CodeSystem",
        "ValueSet",
    }
)
# Where resources commonly name their patient (the Patient compartment's usual parameters).
_PATIENT_ELEMENTS: Final = ("subject", "patient", "for", "beneficiary")

# Letters of the operations (behaviour.md): lists and queues s, reads r, create c, changes u.
LIST: Letter = "s"
READ: Letter = "r"
CREATE: Letter = "c"
CHANGE: Letter = "u"


@dataclass(frozen=True)
class Access:
    """What one request's caller may do; built per request from the authenticated Caller."""

    caller: Caller = ANONYMOUS
    require_scopes: bool = True
    authenticated: bool = False
    base_url: str | None = None

    @property
    def patient(self) -> Ref | None:
        """The patient a patient-facing token is bound to (its compartment), else None."""
        return self.caller.patient

    def require(self, resource_type: str, letter: Letter) -> None:
        """FORBIDDEN naming the missing scope, before any FHIR request is sent."""
        missing = self._missing(resource_type, letter)
        if missing is not None:
            raise ForbiddenError(
                f"The token's scopes do not allow this ({missing})", reason="scope", scope=missing
            )

    def may(self, resource_type: str, letter: Letter) -> bool:
        return self._missing(resource_type, letter) is None

    def _missing(self, resource_type: str, letter: Letter) -> str | None:
        if not self.authenticated or not self.require_scopes:
            return None
        return missing_scope(
            self.caller.scopes, resource_type, letter, patient=self.patient is not None
        )

    def task_search(self) -> list[tuple[str, str]]:
        """Search parameters that keep a Task search inside the caller's compartment."""
        return [] if self.patient is None else [("patient", str(self.patient))]

    def can_see(self, resource: Resource) -> bool:
        """Whether a resource reached by id or through a reference is inside the compartment."""
        if self.patient is None:
            return True
        kind = resource.get("resourceType")
        if kind == "Patient":
            return resource.get("id") == self.patient.id
        if kind in _NOT_PATIENT_DATA:
            return True
        # Fail closed: a Task by its `for`, anything else by the element naming its patient;
        # a resource that names none (a Provenance, a Group) is not the patient's to see.
        names = ("for",) if kind == "Task" else _PATIENT_ELEMENTS
        return any(self._names_patient(resource.get(name)) for name in names)

    def _names_patient(self, element: object) -> bool:
        text = element.get("reference") if isinstance(element, dict) else None
        return try_parse_reference(text, base_url=self.base_url) == self.patient

    def check_task_change(self, task: Resource, *, status_only: bool) -> None:
        """NOT_FOUND for a Task outside the compartment; FORBIDDEN for a change a patient
        token may not make (anything but the status of a Task its patient owns)."""
        if self.patient is None:
            return
        if not self.can_see(task):
            raise NotFoundError("No such Task")
        owner = task.get("owner")
        text = owner.get("reference") if isinstance(owner, dict) else None
        owned = try_parse_reference(text, base_url=self.base_url) == self.patient
        if not (status_only and owned):
            raise ForbiddenError(
                "A patient may only change the status of a Task the patient owns",
                reason="patient",
            )

    def check_create(self) -> None:
        """A patient-facing token changes the status of its own Tasks and nothing else."""
        if self.patient is not None:
            raise ForbiddenError("A patient may not create Tasks", reason="patient")

    def acting_as(self, argument: str) -> Ref:
        """The caller's FHIR resource; BAD_USER_INPUT when there is no one to act for."""
        if self.caller.reference is None:
            raise BadUserInputError(
                f"{argument}: the caller names no FHIR user, so give it explicitly",
                argument=argument,
            )
        return self.caller.reference

    def check_claimant(self, claimant: Ref, *, display: str | None = None) -> None:
        """With authentication on, a caller claims for itself only (assignTask assigns others),
        and names itself by reference alone: a display is a name the gateway cannot vouch for."""
        if self.authenticated and (self.caller.reference != claimant or display is not None):
            raise ForbiddenError(
                "Claim for yourself, without a display; assignTask assigns a Task to someone else",
                reason="owner",
            )

    def acting_for(
        self, given: dict[str, Any] | None, element: str, types: frozenset[str]
    ) -> dict[str, Any] | None:
        """Who a write names as its ``element`` (requester, note author): the caller.

        Left out: the caller, where ``types`` allows its type. With authentication on, a user
        or patient token may name only itself, by reference alone (no display the gateway
        cannot vouch for): anything else is FORBIDDEN with ``reason`` = the element, so the
        clinician sees the claim was not accepted rather than a record quietly rewritten.
        Anonymous mode and system tokens (acting for no one) keep what they name."""
        me = self.caller.reference
        if given is None:
            return {"reference": str(me)} if me is not None and me.type in types else None
        if self.authenticated and self.caller.context != "system":
            named = try_parse_reference(given.get("reference"), base_url=self.base_url)
            if named is None or named != me or given.get("display") is not None:
                raise ForbiddenError(
                    f"The {element} is you: leave it out, or name yourself without a display",
                    reason=element,
                )
        return given

    def require_user(self) -> Ref:
        """The caller's reference for fields about 'me'; UNAUTHENTICATED when anonymous."""
        if self.caller.reference is None:
            raise UnauthenticatedError("This field needs a signed-in caller", reason="missing")
        return self.caller.reference
