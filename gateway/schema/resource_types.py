"""A GraphQL type for every FHIR R4 resource type: the written ones, and the rest generated here."""

from __future__ import annotations

from typing import Any, Final

import strawberry

from gateway.fhir import Resource as FhirResource

# Imported for their registrations, so a type written by hand is not generated again.
from gateway.schema import focus_resources, task  # noqa: F401
from gateway.schema.r4_resource_types import R4_RESOURCE_TYPES
from gateway.schema.resources import (
    GenericResource,
    Resource,
    base_fields,
    converter,
    registered_types,
)

# FHIR names that would clash with the schema's own root types.
GRAPHQL_NAMES: Final = {"Subscription": "FhirSubscription"}


def _from_fhir(cls: type[Any], resource: FhirResource) -> Any:
    return cls(**base_fields(resource))


def _generate(resource_type: str) -> type[Any]:
    name = GRAPHQL_NAMES.get(resource_type, resource_type)
    namespace = {
        "__module__": __name__,
        "__annotations__": {},
        "from_fhir": classmethod(_from_fhir),
    }
    return strawberry.type(
        type(name, (Resource,), namespace),
        name=name,
        description=f"A FHIR R4 {resource_type}; its elements are in `raw`.",
    )


def _every_type() -> tuple[type[Any], ...]:
    registered = registered_types()
    for resource_type in R4_RESOURCE_TYPES:
        if resource_type not in registered:
            registered[resource_type] = converter(resource_type)(_generate(resource_type))
    return (*(registered[t] for t in R4_RESOURCE_TYPES), GenericResource)


# Every GraphQL type implementing Resource (Task too): in R4 order, then GenericResource.
RESOURCE_TYPES: Final = _every_type()
