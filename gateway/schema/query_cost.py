"""Query cost: tokens counted before parsing, depth and aliases as a validation rule."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    ValidationContext,
    ValidationRule,
)
from graphql.language import Lexer, TokenKind
from strawberry.extensions import SchemaExtension

from gateway.errors import QueryTooComplexError

# Introspection (GraphiQL's docs) is deep by nature and costs no FHIR request.
_INTROSPECTION = frozenset({"__schema", "__type"})


def too_complex(what: str, limit: int, value: int) -> GraphQLError:
    message = f"The query exceeds the {what} limit of {limit} (it has {value})"
    return GraphQLError(
        message, original_error=QueryTooComplexError(message, limit=limit, value=value)
    )


# Verdicts on long documents, keyed by digest so the cache never holds documents themselves.
_VERDICTS: OrderedDict[tuple[bytes, int], bool] = OrderedDict()
_VERDICTS_KEPT = 256


def exceeds_token_limit(query: str, limit: int) -> bool:
    """True when ``query`` has more than ``limit`` tokens; lexes at most limit + 1 of them."""
    if len(query) <= limit:
        return False  # every token is at least one character: the common case costs nothing
    key = (hashlib.sha256(query.encode()).digest(), limit)
    verdict = _VERDICTS.get(key)
    if verdict is None:
        verdict = _lex_past(query, limit)
        _VERDICTS[key] = verdict
        if len(_VERDICTS) > _VERDICTS_KEPT:
            _VERDICTS.popitem(last=False)
    return verdict


def _lex_past(query: str, limit: int) -> bool:
    lexer = Lexer(Source(query))
    try:
        for _ in range(limit + 1):
            if lexer.advance().kind == TokenKind.EOF:
                return False
    except GraphQLSyntaxError:
        return False  # the parser reports a malformed document itself
    return True


class TokenLimit(SchemaExtension):
    """Refuses a document of more than ``limit`` tokens before the parser spends time on it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def on_parse(self) -> Iterator[None]:
        query = self.execution_context.query
        if query and exceeds_token_limit(query, self.limit):
            raise too_complex("token", self.limit, self.limit + 1)
        yield


class _Measure:
    """Depth and alias count of selections with fragments expanded where spread.

    Each fragment is measured once and its figures reused at every spread, so a fragment
    spread many times costs no more time than one. A fragment cycle (itself invalid)
    counts as nothing.
    """

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._done: dict[str, tuple[int, int]] = {}
        self._active: set[str] = set()

    def selection_set(self, node: SelectionSetNode | None) -> tuple[int, int]:
        if node is None:
            return 0, 0
        depth = aliases = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in _INTROSPECTION:
                    continue
                below, inner = self.selection_set(selection.selection_set)
                depth = max(depth, 1 + below)
                aliases += inner + (1 if selection.alias is not None else 0)
            elif isinstance(selection, InlineFragmentNode):
                below, inner = self.selection_set(selection.selection_set)
                depth, aliases = max(depth, below), aliases + inner
            elif isinstance(selection, FragmentSpreadNode):
                below, inner = self.fragment(selection.name.value)
                depth, aliases = max(depth, below), aliases + inner
        return depth, aliases

    def fragment(self, name: str) -> tuple[int, int]:
        if name in self._done:
            return self._done[name]
        definition = self._fragments.get(name)
        if definition is None or name in self._active:
            return 0, 0
        self._active.add(name)
        measured = self.selection_set(definition.selection_set)
        self._active.discard(name)
        self._done[name] = measured
        return measured


def limit_rules(max_depth: int, max_aliases: int) -> list[type[ASTValidationRule]]:
    class QueryLimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            definitions = context.document.definitions
            fragments = {
                d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)
            }
            measure = _Measure(fragments)
            for definition in definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                depth, aliases = measure.selection_set(definition.selection_set)
                if depth > max_depth:
                    context.report_error(too_complex("depth", max_depth, depth))
                if aliases > max_aliases:
                    context.report_error(too_complex("alias", max_aliases, aliases))

        def enter(self, *args: Any) -> Any:
            return self.BREAK

    return [QueryLimitsRule]
