"""Which media type a response is sent in, read from the client's Accept header."""

from __future__ import annotations

import pytest

from gateway.http import GRAPHQL_RESPONSE_JSON, response_media_type

JSON = "application/json"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        (JSON, JSON),
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        # Apollo Client 4
        ("application/graphql-response+json,application/json;q=0.9", GRAPHQL_RESPONSE_JSON),
        # graphql-http's client and urql
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json;q=0.5", JSON),
        ("application/graphql-response+json;q=0, */*", JSON),
        ("Application/GraphQL-Response+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("text/html", JSON),
    ],
)
def test_the_spec_type_only_when_named_and_preferred(accept: str | None, expected: str) -> None:
    assert response_media_type(accept) == expected
