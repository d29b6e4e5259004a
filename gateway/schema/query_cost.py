"""Query cost limits: depth and aliases as a validation rule; tokens are capped in the parser."""

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
    ValidationContext,
    ValidationRule,
)

# Introspection (GraphiQL's docs) is deep by nature and costs no FHIR request.
_INTROSPECTION = frozenset({"__schema", "__type"})


def too_complex(what: str, limit: int, value: int) -> GraphQLError:
    return GraphQLError(
        f"The query exceeds the {what} limit of {limit} (it has {value})",
        extensions={"code": "QUERY_TOO_COMPLEX", "limit": limit, "value": value},
    )


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
