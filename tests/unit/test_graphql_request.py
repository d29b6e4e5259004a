"""Reading a GraphQL request from GET parameters or a POST body; what is refused and how."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.http import GraphQLRequest, read_request
from gateway.refusals import RequestRefused

JSON = "application/json"


def test_a_post_body_and_a_get_carry_the_same_request() -> None:
    body = b'{"query": "{ a }", "variables": {"x": 1}, "operationName": "A", "documentId": "d"}'
    posted = read_request("POST", "application/json; charset=utf-8", body, {})
    got = read_request(
        "GET",
        None,
        b"",
        {
            "query": "{ a }",
            "variables": '{"x": 1}',
            "operationName": "A",
            "documentId": "d",
        },
    )
    assert (
        posted
        == got
        == GraphQLRequest(
            query="{ a }",
            variables={"x": 1},
            operation_name="A",
            extensions=None,
            document_id="d",
        )
    )


@pytest.mark.parametrize(
    ("method", "content_type", "body", "params", "status", "message"),
    [
        ("POST", "text/plain", b"{}", {}, 400, "Content-Type: application/json"),
        ("POST", None, b"{}", {}, 400, "Content-Type: application/json"),
        ("POST", JSON, b"", {}, 400, "empty"),
        ("POST", JSON, b"{nope", {}, 400, "not valid JSON"),
        ("POST", JSON, b"\xff\xfe{", {}, 400, "not valid JSON"),
        ("POST", JSON, b'[{"query": "{ a }"}]', {}, 400, "Batched"),
        ("POST", JSON, b'"{ a }"', {}, 400, "JSON object"),
        ("POST", JSON, b'{"query": 1}', {}, 400, "query must be a string"),
        ("POST", JSON, b'{"variables": []}', {}, 400, "variables must be an object"),
        ("POST", JSON, b'{"extensions": "x"}', {}, 400, "extensions must be an object"),
        ("GET", None, b"", {"variables": "{"}, 400, "variables parameter is not valid JSON"),
        ("PUT", JSON, b"{}", {}, 405, "GET and POST"),
    ],
)
def test_unusable_requests_are_bad_requests(
    method: str,
    content_type: str | None,
    body: bytes,
    params: dict[str, Any],
    status: int,
    message: str,
) -> None:
    with pytest.raises(RequestRefused) as refused:
        read_request(method, content_type, body, params)
    assert refused.value.status == status
    assert refused.value.error.code == "BAD_REQUEST"
    assert message in refused.value.error.message


def test_the_refusal_of_a_method_names_the_allowed_ones() -> None:
    with pytest.raises(RequestRefused) as refused:
        read_request("DELETE", None, b"", {})
    assert refused.value.headers == {"Allow": "GET, POST"}
