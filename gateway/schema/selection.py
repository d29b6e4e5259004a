"""Look-ahead at a GraphQL selection: which fields a query will need, fragments included."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField


def selected_names(selections: Iterable[Any]) -> dict[str, list[Any]]:
    """Field name -> the selections under it, merging fragments and repeated fields."""
    found: dict[str, list[Any]] = {}
    for selection in selections:
        if isinstance(selection, SelectedField):
            found.setdefault(selection.name, []).extend(selection.selections)
        elif isinstance(selection, FragmentSpread | InlineFragment):
            for name, children in selected_names(selection.selections).items():
                found.setdefault(name, []).extend(children)
    return found


def connection_node_fields(fields: Iterable[Any]) -> tuple[set[str], bool]:
    """(fields selected on each Task of a connection, whether totalCount is selected).

    ``fields`` is ``info.selected_fields`` of the connection's resolver.
    """
    node_selections, want_total = connection_node_selections(fields)
    return set(selected_names(node_selections)), want_total


def connection_node_selections(fields: Iterable[Any]) -> tuple[list[Any], bool]:
    """(the selections on each Task of a connection, whether totalCount is selected)."""
    top = selected_names(child for field in fields for child in getattr(field, "selections", []))
    node_selections = list(top.get("nodes", []))
    node_selections.extend(selected_names(top.get("edges", [])).get("node", []))
    return node_selections, "totalCount" in top
