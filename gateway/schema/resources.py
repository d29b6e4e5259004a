"""The Resource interface, and the one place that turns FHIR JSON into a GraphQL object."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry

from gateway.auth import READ
from gateway.fhir import Ref, try_parse_reference
from gateway.fhir import Resource as FhirResource
from gateway.routing import available_at
from gateway.schema.arguments import moment_argument
from gateway.schema.context import Info
from gateway.schema.credentials import AvailableTime, NotAvailable, Qualification
from gateway.schema.elements import CodeableConcept, HumanName, Period, display_name
from gateway.schema.scalars import JSON, DateTime

# FHIR resource type -> the GraphQL type whose ``from_fhir`` converts it.
_TYPES: dict[str, type[Any]] = {}


def converter(resource_type: str) -> Callable[[type[Any]], type[Any]]:
    """Register a GraphQL type as the one for a FHIR resource type (once per type)."""

    def register(cls: type[Any]) -> type[Any]:
        if resource_type in _TYPES:
            raise ValueError(f"{resource_type} already has a GraphQL type")
        _TYPES[resource_type] = cls
        return cls

    return register


def registered_types() -> dict[str, type[Any]]:
    """FHIR resource type -> its GraphQL type, for every type registered so far."""
    return dict(_TYPES)


def to_graphql(resource: FhirResource) -> Resource:
    """The GraphQL object for a FHIR resource; types outside FHIR R4 become GenericResource."""
    cls = _TYPES.get(str(resource.get("resourceType")), GenericResource)
    found: Resource = cls.from_fhir(resource)
    return found


def base_fields(resource: FhirResource) -> dict[str, Any]:
    meta = resource.get("meta")
    meta = meta if isinstance(meta, dict) else {}
    return {
        "id": str(resource.get("id", "")),
        "resource_type": str(resource.get("resourceType", "")),
        "version_id": meta.get("versionId"),
        "last_updated": meta.get("lastUpdated"),
        "raw": resource,
    }


@strawberry.interface(
    description="Any FHIR resource. `raw` is the resource exactly as the FHIR server returned it."
)
class Resource:
    id: strawberry.ID = strawberry.field(description="The FHIR id (without the type).")
    resource_type: str = strawberry.field(description="The FHIR resource type, e.g. 'Task'.")
    version_id: str | None = strawberry.field(
        description="meta.versionId: pass it as expectedVersion."
    )
    last_updated: DateTime | None = strawberry.field(description="meta.lastUpdated.")
    raw: JSON = strawberry.field(description="The resource as the FHIR server returned it.")


async def resolve_reference(info: Info, reference: Any) -> Resource | None:
    """Follow a stored Reference through the request's loader; None when it no longer resolves."""
    text = reference.get("reference") if isinstance(reference, dict) else None
    ref = try_parse_reference(text, base_url=info.context.fhir.base_url)
    if ref is None:
        return None
    return await read_resource(info, ref)


async def read_resource(info: Info, ref: Ref) -> Resource | None:
    """A resource by reference as the caller may see it: FORBIDDEN without the scope to read
    its type; null when it does not exist or lies outside the caller's patient compartment."""
    access = info.context.access
    access.require(ref.type, READ)
    resource = await info.context.loaders.resource_by_ref.load(ref)
    if resource is None or not access.can_see(resource):
        return None
    return to_graphql(resource)


def _named(resource: FhirResource) -> dict[str, Any]:
    names = HumanName.list_from_fhir(resource.get("name"))
    return {**base_fields(resource), "name": names, "display_name": display_name(names)}


def _titled(resource: FhirResource) -> dict[str, Any]:
    name = resource.get("name") if isinstance(resource.get("name"), str) else None
    return {**base_fields(resource), "name": name, "display_name": name}


@converter("Patient")
@strawberry.type(description="A person receiving care.")
class Patient(Resource):
    name: list[HumanName] = strawberry.field(description="The patient's names.")
    display_name: str | None = strawberry.field(description="The first name, ready to show.")
    birth_date: str | None = strawberry.field(description="Date of birth (FHIR date).")
    gender: str | None = strawberry.field(description="Administrative gender code.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> Patient:
        birth, gender = resource.get("birthDate"), resource.get("gender")
        return cls(
            **_named(resource),
            birth_date=birth if isinstance(birth, str) else None,
            gender=gender if isinstance(gender, str) else None,
        )


@converter("Practitioner")
@strawberry.type(description="A person who provides care.")
class Practitioner(Resource):
    name: list[HumanName] = strawberry.field(description="The practitioner's names.")
    display_name: str | None = strawberry.field(description="The first name, ready to show.")
    qualification: list[Qualification] = strawberry.field(
        description="Licenses and certificates, with the states where each is valid."
    )

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> Practitioner:
        return cls(
            **_named(resource),
            qualification=Qualification.list_from_fhir(resource.get("qualification")),
        )


@converter("RelatedPerson")
@strawberry.type(description="A person related to a patient (family, caregiver).")
class RelatedPerson(Resource):
    name: list[HumanName] = strawberry.field(description="The person's names.")
    display_name: str | None = strawberry.field(description="The first name, ready to show.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> RelatedPerson:
        return cls(**_named(resource))


@converter("Organization")
@strawberry.type(description="A clinic, department or other organization.")
class Organization(Resource):
    name: str | None = strawberry.field(description="The organization's name.")
    display_name: str | None = strawberry.field(description="The name, ready to show.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> Organization:
        return cls(**_titled(resource))


@converter("CareTeam")
@strawberry.type(description="A team caring for a patient.")
class CareTeam(Resource):
    name: str | None = strawberry.field(description="The team's name.")
    display_name: str | None = strawberry.field(description="The name, ready to show.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> CareTeam:
        return cls(**_titled(resource))


@converter("HealthcareService")
@strawberry.type(description="A service offered by an organization.")
class HealthcareService(Resource):
    name: str | None = strawberry.field(description="The service's name.")
    display_name: str | None = strawberry.field(description="The name, ready to show.")

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> HealthcareService:
        return cls(**_titled(resource))


@converter("PractitionerRole")
@strawberry.type(description="A role a practitioner plays for an organization.")
class PractitionerRole(Resource):
    code: list[CodeableConcept] = strawberry.field(description="Roles, e.g. SNOMED care roles.")
    specialty: list[CodeableConcept] = strawberry.field(description="Specialties.")
    display_name: str | None = strawberry.field(description="The first role's text or display.")
    active: bool | None = strawberry.field(description="Whether the role is in use.")
    period: Period | None = strawberry.field(description="When the role is held.")
    available_time: list[AvailableTime] = strawberry.field(
        description="When the role is available, read in GATEWAY_CLINIC_TIMEZONE."
    )
    not_available: list[NotAvailable] = strawberry.field(
        description="Times the role is not available, whatever availableTime says."
    )

    @classmethod
    def from_fhir(cls, resource: FhirResource) -> PractitionerRole:
        codes = CodeableConcept.list_from_fhir(resource.get("code"))
        shown = next(
            (c.text or next((k.display for k in c.coding if k.display), None) for c in codes),
            None,
        )
        return cls(
            **base_fields(resource),
            code=codes,
            specialty=CodeableConcept.list_from_fhir(resource.get("specialty")),
            display_name=shown,
            active=resource.get("active") if isinstance(resource.get("active"), bool) else None,
            period=Period.from_fhir(resource.get("period")),
            available_time=AvailableTime.list_from_fhir(resource.get("availableTime")),
            not_available=NotAvailable.list_from_fhir(resource.get("notAvailable")),
        )

    @strawberry.field(
        description=(
            "true when the role is active, its period covers `at` (default now) and "
            "availableTime/notAvailable allow it, read in GATEWAY_CLINIC_TIMEZONE."
        )
    )
    def available_at(
        self,
        info: Info,
        at: Annotated[
            DateTime | None,
            strawberry.argument(description="A date-time with a zone; a date alone is refused."),
        ] = None,
    ) -> bool:
        moment = datetime.now(UTC) if at is None else moment_argument(at, "at")
        return available_at(self.raw, moment, info.context.settings.clinic_zone)

    @strawberry.field(description="The practitioner who plays the role.")
    async def practitioner(self, info: Info) -> Practitioner | None:
        found = await resolve_reference(info, self.raw.get("practitioner"))
        return found if isinstance(found, Practitioner) else None

    @strawberry.field(description="The organization the role is played for.")
    async def organization(self, info: Info) -> Organization | None:
        found = await resolve_reference(info, self.raw.get("organization"))
        return found if isinstance(found, Organization) else None


@strawberry.type(
    description=(
        "A resource of a type outside FHIR R4, as raw JSON (every R4 type has a type of its own)."
    )
)
class GenericResource(Resource):
    @classmethod
    def from_fhir(cls, resource: FhirResource) -> GenericResource:
        return cls(**base_fields(resource))
