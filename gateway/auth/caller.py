"""The caller of a request: who a verified token names, what it may do, and the anonymous caller."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from gateway.auth.scopes import Context, context_of
from gateway.errors import UnauthenticatedError
from gateway.fhir import InvalidReferenceError, Ref, parse_reference, validate_id

# SMART App Launch: fhirUser names one of these resource types.
USER_TYPES = frozenset({"Practitioner", "PractitionerRole", "Patient", "RelatedPerson", "Person"})


@dataclass(frozen=True, kw_only=True)
class Caller:
    """Who calls: ``reference`` acts (fhirUser), ``patient`` bounds a patient-facing token."""

    reference: Ref | None = None
    patient: Ref | None = None
    scopes: tuple[str, ...] = ()
    client_id: str | None = None
    subject: str | None = None
    expires_at: datetime | None = None
    anonymous: bool = False

    @property
    def context(self) -> Context:
        """patient for a token with a patient claim, system for system/ scopes only, else user."""
        return context_of(self.scopes, patient=self.patient is not None)


ANONYMOUS = Caller(anonymous=True)


def invalid(message: str) -> UnauthenticatedError:
    return UnauthenticatedError(message, reason="invalid")


def caller_from_claims(claims: Mapping[str, Any], *, user_claim: str = "fhirUser") -> Caller:
    """The caller named by a verified token's claims; UNAUTHENTICATED (invalid) if unusable."""
    scopes = _scopes(claims)
    patient = _patient(claims.get("patient"))
    reference = _user(claims.get(user_claim), user_claim)
    if reference is None and context_of(scopes, patient=patient is not None) != "system":
        raise invalid(f"the token names no caller (no {user_claim} claim)")
    if patient is None and reference is not None and reference.type == "Patient":
        # A patient signed in to a portal: bound to their own compartment, claim or not.
        patient = reference
    if patient is None and any(scope.startswith("patient/") for scope in scopes):
        raise invalid("the token has patient/ scopes but no patient claim")
    expires = claims.get("exp")
    return Caller(
        reference=reference,
        patient=patient,
        scopes=scopes,
        client_id=_text(claims.get("client_id")) or _text(claims.get("azp")),
        subject=_text(claims.get("sub")),
        expires_at=_instant(expires),
    )


def _instant(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)  # type: ignore[arg-type]
    except (OverflowError, OSError, ValueError, TypeError):
        raise invalid("the token's exp claim is not a time") from None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _scopes(claims: Mapping[str, Any]) -> tuple[str, ...]:
    # OAuth's `scope` is one space-separated string; some providers send `scp`, maybe as a list.
    value = claims.get("scope", claims.get("scp"))
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise invalid("the token's scope claim is not a list of scopes")


def _user(value: object, claim: str) -> Ref | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(f"the {claim} claim is not a FHIR reference")
    # An absolute URL (https://ehr.example/fhir/Practitioner/123) names the resource by its
    # last two path segments; the server part is the issuer's business, not ours.
    path = urlsplit(value).path if "://" in value else value
    try:
        ref = parse_reference("/".join(path.rstrip("/").split("/")[-2:]))
    except InvalidReferenceError:
        raise invalid(f"the {claim} claim is not a FHIR reference") from None
    if ref.type not in USER_TYPES:
        raise invalid(f"the {claim} claim does not name a user")
    return ref


def _patient(value: object) -> Ref | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid("the patient claim is not a Patient id")
    try:
        if "/" in value:
            ref = parse_reference(value)
            if ref.type != "Patient":
                raise InvalidReferenceError("not a Patient")
            return ref
        return Ref("Patient", validate_id(value))
    except InvalidReferenceError:
        raise invalid("the patient claim is not a Patient id") from None
