"""What a GraphQL-over-HTTP request asks for, read from a GET's parameters or a POST's JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from strawberry.http import GraphQLRequestData

from gateway.refusals import RequestRefused


@dataclass
class GraphQLRequest(GraphQLRequestData):
    """Strawberry's request data, plus the id of a trusted document sent instead of a query."""

    document_id: str | None = None


def _json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise RequestRefused(f"{what} is not valid JSON") from exc


def _field(data: Mapping[str, Any], name: str, kind: type, kind_name: str) -> Any:
    value = data.get(name)
    if value is not None and not isinstance(value, kind):
        raise RequestRefused(f"{name} must be {kind_name} or null")
    return value


def read_request(
    method: str,
    content_type: str | None,
    body: bytes,
    params: Mapping[str, Any],
) -> GraphQLRequest:
    """The operation a request carries; anything unusable is refused with BAD_REQUEST."""
    if method == "GET":
        data: Any = dict(params)
        for name in ("variables", "extensions"):
            if isinstance(data.get(name), str):
                data[name] = _json(data[name], f"The {name} parameter")
    elif method == "POST":
        media_type = (content_type or "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise RequestRefused("A POST to /graphql needs Content-Type: application/json")
        if not body.strip():
            raise RequestRefused("The request body is empty: send a JSON object with a query")
        data = _json(body, "The body")
    else:
        raise RequestRefused("GraphQL is served over GET and POST", 405, {"Allow": "GET, POST"})
    if isinstance(data, list):
        raise RequestRefused("Batched operations are not supported: send one per request")
    if not isinstance(data, dict):
        raise RequestRefused("The request body must be a JSON object")
    return GraphQLRequest(
        query=_field(data, "query", str, "a string"),
        variables=_field(data, "variables", dict, "an object"),
        operation_name=_field(data, "operationName", str, "a string"),
        extensions=_field(data, "extensions", dict, "an object"),
        document_id=_field(data, "documentId", str, "a string"),
    )
