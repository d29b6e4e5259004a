"""The GraphQL schema: build_schema() assembles types, queries, mutations and their guards."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, ParserCache, ValidationCache
from strawberry.extensions.add_validation_rules import AddValidationRules
from strawberry.extensions.base_extension import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gateway.config import Settings
from gateway.schema.mutations import Mutation
from gateway.schema.queries import Query
from gateway.schema.query_cost import TokenLimit, limit_rules
from gateway.schema.resource_types import RESOURCE_TYPES
from gateway.schema.scalars import SCALARS
from gateway.schema.shared_events import SharedEventExecutor
from gateway.schema.subscriptions import Subscription

__all__ = ["GatewaySchema", "build_schema"]


class GatewaySchema(strawberry.Schema):
    """Strawberry's default logs every error with its traceback and message, which can hold
    patient data; ErrorShaping logs the unexpected ones safely instead."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        return None


def build_schema(settings: Settings | None = None) -> GatewaySchema:
    """A new schema; limits and introspection follow the settings (defaults without)."""
    settings = settings or Settings()
    rules = limit_rules(settings.max_depth, settings.max_aliases)
    max_tokens = settings.max_tokens
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        # Counted before the parse, so a huge document costs no parsing time.
        lambda: TokenLimit(max_tokens),
        ParserCache,
        ValidationCache,
        lambda: AddValidationRules(rules),
    ]
    if settings.production:
        extensions.append(DisableIntrospection)
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=RESOURCE_TYPES,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS),
        execution_context_class=SharedEventExecutor,
    )
