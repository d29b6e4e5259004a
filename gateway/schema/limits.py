"""Query cost limits (depth, aliases, tokens) as validation rules answering QUERY_TOO_COMPLEX."""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
    ValidationContext,
    ValidationRule,
)
from graphql.language import Lexer


def _too_complex(what: str, limit: int, value: int) -> GraphQLError:
    return GraphQLError(
        f"The query exceeds the {what} limit of {limit} (it has {value})",
        extensions={"code": "QUERY_TOO_COMPLEX", "limit": limit, "value": value},
    )


class _Walker:
    """Measures an operation with fragments expanded where they are spread, so a fragment
    cannot hide depth or aliases; a fragment cycle (itself invalid) ends the walk."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.aliases = 0

    def depth(self, selection_set: SelectionSetNode | None, active: frozenset[str]) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                if node.alias is not None:
                    self.aliases += 1
                below = self.depth(node.selection_set, active)
                deepest = max(deepest, 1 + below if node.selection_set else 1)
            elif isinstance(node, InlineFragmentNode):
                deepest = max(deepest, self.depth(node.selection_set, active))
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in active:
                    deepest = max(deepest, self.depth(fragment.selection_set, active | {name}))
        return deepest


def limit_rules(max_depth: int, max_aliases: int, max_tokens: int) -> list[type[ASTValidationRule]]:
    class QueryLimitsRule(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            source = document.loc.source if document.loc is not None else None
            if source is not None:
                tokens = _count_tokens(source.body, max_tokens)
                if tokens > max_tokens:
                    context.report_error(_too_complex("token", max_tokens, tokens))
                    return
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                walker = _Walker(fragments)
                depth = walker.depth(definition.selection_set, frozenset())
                if depth > max_depth:
                    context.report_error(_too_complex("depth", max_depth, depth))
                if walker.aliases > max_aliases:
                    context.report_error(_too_complex("alias", max_aliases, walker.aliases))

        def enter(self, *args: Any) -> Any:
            return self.BREAK

    return [QueryLimitsRule]


def _count_tokens(body: str, stop_after: int) -> int:
    lexer = Lexer(Source(body))
    count = 0
    try:
        while lexer.advance().kind != TokenKind.EOF:
            count += 1
            if count > stop_after:
                break
    except GraphQLError:
        pass
    return count
