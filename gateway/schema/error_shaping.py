"""The one place GraphQL errors get their contract shape: a stable code, nothing leaked."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from gateway.errors import GatewayError
from gateway.observability import request_id_var

log = logging.getLogger("gateway.graphql")
MASKED_MESSAGE = "Internal server error"


def shape_error(error: GraphQLError) -> GraphQLError:
    """Give the error its ``extensions.code``; mask anything that is not the gateway's own."""
    original = error.original_error
    if isinstance(original, GraphQLError):
        return shape_error(original)
    if isinstance(original, GatewayError):
        extensions, message = original.graphql_extensions(), original.message
    elif error.extensions and error.extensions.get("code"):
        return error
    elif isinstance(error, GraphQLSyntaxError):
        extensions, message = {"code": "GRAPHQL_PARSE_FAILED"}, error.message
    elif not error.path and (
        isinstance(original, ValueError | TypeError) or error.message.startswith("Variable '$")
    ):
        # A variable or literal that does not fit its type (a bad DateTime, an unknown enum).
        extensions, message = {"code": "BAD_USER_INPUT"}, error.message
    elif original is None and not error.path:
        extensions, message = {"code": "GRAPHQL_VALIDATION_FAILED"}, error.message
    else:
        # Class name only: the message of an unexpected error may carry patient data.
        log.error(
            "unexpected %s at %s (request %s)\n%s",
            type(original).__name__,
            ".".join(str(p) for p in error.path or []),
            request_id_var.get(),
            "".join(traceback.format_tb(original.__traceback__)) if original else "",
        )
        extensions, message = {"code": "INTERNAL_SERVER_ERROR"}, MASKED_MESSAGE
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


class ErrorShaping(SchemaExtension):
    """Applies ``shape_error`` to every error of a result, after the operation ran."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [shape_error(error) for error in result.errors]
