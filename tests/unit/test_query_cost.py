"""The token limit is counted on tokens, not characters, before any parse."""

from __future__ import annotations

from gateway.schema.query_cost import exceeds_token_limit


def doc(fields: int) -> str:
    # "{" + fields + "}" tokens: fields + 2.
    return "{ " + " ".join("__typename" for _ in range(fields)) + " }"


def test_the_limit_counts_tokens_exactly() -> None:
    assert not exceeds_token_limit(doc(8), 10)
    assert exceeds_token_limit(doc(9), 10)


def test_comments_and_whitespace_are_not_tokens() -> None:
    padded = "# " + "x" * 50_000 + "\n" + doc(8) + " " * 50_000
    assert not exceeds_token_limit(padded, 10)
    assert exceeds_token_limit("# note\n" + doc(9), 10)


def test_a_malformed_document_is_left_to_the_parser() -> None:
    assert not exceeds_token_limit('{ a(b: "unterminated ' + "x" * 100, 10)
