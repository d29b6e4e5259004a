"""The one place GraphQL errors get their contract shape: a stable code, nothing leaked."""

from __future__ import annotations

import logging
import traceback

from graphql import GraphQLError, GraphQLSyntaxError, VariableDefinitionNode

from gateway.error_mapping import gateway_error
from gateway.observability import request_id_var

log = logging.getLogger("gateway.graphql")
MASKED_MESSAGE = "Internal server error"


def shape_error(error: GraphQLError) -> GraphQLError:
    """Give the error its ``extensions.code``; mask anything that is not the gateway's own."""
    original = error.original_error
    variable = next((n for n in error.nodes or [] if isinstance(n, VariableDefinitionNode)), None)
    mapped = gateway_error(original) if original is not None else None
    if mapped is not None:
        extensions, message = mapped.graphql_extensions(), mapped.message
    elif variable is not None:
        # A variable's value does not fit its type (a bad DateTime, an unknown enum value).
        extensions = {"code": "BAD_USER_INPUT", "argument": variable.variable.name.value}
        message = error.message
    elif isinstance(original, GraphQLError):
        return shape_error(original)
    elif error.extensions and error.extensions.get("code"):
        return error
    elif isinstance(error, GraphQLSyntaxError):
        extensions, message = {"code": "GRAPHQL_PARSE_FAILED"}, error.message
    elif isinstance(original, ValueError | TypeError) and not error.path:
        # A literal in the document that its scalar refuses (an inline bad DateTime).
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
