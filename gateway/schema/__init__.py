"""The GraphQL schema: build_schema() assembles types, queries, mutations and their guards."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import DisableIntrospection, ParserCache, ValidationCache
from strawberry.extensions.add_validation_rules import AddValidationRules
from strawberry.extensions.base_extension import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from gateway.config import Settings
from gateway.schema.error_shaping import ErrorShaping
from gateway.schema.limits import limit_rules
from gateway.schema.mutations import Mutation
from gateway.schema.queries import Query
from gateway.schema.resources import (
    CareTeam,
    GenericResource,
    HealthcareService,
    Organization,
    Patient,
    Practitioner,
    PractitionerRole,
    RelatedPerson,
)
from gateway.schema.scalars import SCALARS
from gateway.schema.task import Task

__all__ = ["build_schema"]


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    """A new schema; limits and introspection follow the settings (defaults without)."""
    settings = settings or Settings()
    rules = limit_rules(settings.max_depth, settings.max_aliases, settings.max_tokens)
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        ErrorShaping,
        ParserCache,
        ValidationCache,
        lambda: AddValidationRules(rules),
    ]
    if settings.production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[
            Task,
            Patient,
            Practitioner,
            PractitionerRole,
            Organization,
            CareTeam,
            HealthcareService,
            RelatedPerson,
            GenericResource,
        ],
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
    )
