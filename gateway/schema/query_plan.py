"""Query planning: the includes that bring what a Task list selects, subtask trees too, at once.

Pure: it reads the GraphQL selection and the server's profile, and says what to ask for. A
tree is walked with ``_revinclude(:iterate)=Task:part-of`` plus ``_include:iterate`` for the
references its levels select; the walk is an extra the list can lose (a server that refuses
it, or cuts it short, leaves the subtasks to the per-level loaders).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from gateway.limits import DEFAULT_TREE_DEPTH, MAX_TREE_DEPTH
from gateway.server_profile import ServerProfile

Params = list[tuple[str, str]]

# Reference fields of a Task that one search can bring along.
REFERENCE_INCLUDES = {
    "owner": "Task:owner",
    "for": "Task:subject",
    "focus": "Task:focus",
    "requester": "Task:requester",
}
PART_OF = "Task:part-of"


@dataclass(frozen=True)
class TaskSelection:
    """What a query selects on the Tasks of a list, and below them."""

    fields: frozenset[str]  # fields selected on the listed Tasks
    levels: int = 0  # levels of subtasks below them the selection reaches
    nested_references: frozenset[str] = frozenset()  # reference fields selected on subtasks


@dataclass(frozen=True)
class ListPlan:
    """The includes of a list's search: ``includes`` always; ``walk`` (when not None) in their
    place, which also brings the subtask tree; ``deep`` when the walk iterates, so every Task
    it reached has all its children in the answer (else just the listed Tasks have)."""

    includes: Params
    walk: Params | None = None
    deep: bool = False


def task_selection(node_selections: Iterable[Any]) -> TaskSelection:
    """The selection on a list's Tasks (the selections under ``nodes`` and ``edges.node``)."""
    selections = list(node_selections)
    levels, nested = _below(selections)
    return TaskSelection(frozenset(f.name for f in _fields(selections)), levels, nested)


def rounds_needed(levels: int, nested_references: frozenset[str]) -> int:
    """Rounds of includes a server runs to walk ``levels`` below the listed Tasks: one per
    level, one more for the references of the deepest level, and the round that finds
    nothing new."""
    return levels + 1 + (1 if nested_references else 0)


def plan_list(selection: TaskSelection, profile: ServerProfile, planning: bool) -> ListPlan:
    if not planning or not profile.honours_include:
        return ListPlan([])
    top = selection.fields & set(REFERENCE_INCLUDES)
    includes = [("_include", REFERENCE_INCLUDES[name]) for name in sorted(top)]
    tree = selection.levels > 0 and profile.iterate_rounds >= rounds_needed(
        selection.levels, selection.nested_references
    )
    if not tree:
        if "partOf" in selection.fields:
            includes.append(("_include", PART_OF))
        return ListPlan(includes)
    # No _include of partOf beside the walk: iterated from the parents it finds, the walk
    # would bring their other children's trees too. Parents of listed Tasks load by id.
    deep = selection.levels > 1
    walk: Params = [("_revinclude:iterate" if deep else "_revinclude", PART_OF)]
    for name in sorted(top | selection.nested_references):
        iterate = name in selection.nested_references
        walk.append(("_include:iterate" if iterate else "_include", REFERENCE_INCLUDES[name]))
    return ListPlan(includes, walk, deep)


def _fields(selections: Iterable[Any]) -> Iterator[SelectedField]:
    for selection in selections:
        if isinstance(selection, SelectedField):
            yield selection
        elif isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)


def _below(selections: list[Any]) -> tuple[int, frozenset[str]]:
    """(levels of subtasks selected below these Tasks, reference fields selected on them)."""
    levels = 0
    references: set[str] = set()
    for field in _fields(selections):
        if field.name == "subtasks":
            children = list(field.selections)
            depth = 1
        elif field.name == "subtaskTree":
            entries = _fields(field.selections)
            children = [s for f in entries if f.name == "task" for s in f.selections]
            depth = _tree_depth(field.arguments.get("maxDepth", DEFAULT_TREE_DEPTH))
        else:
            continue
        inner_levels, inner_references = _below(children)
        levels = max(levels, depth + inner_levels)
        references |= {f.name for f in _fields(children)} & set(REFERENCE_INCLUDES)
        references |= inner_references
    return levels, frozenset(references)


def _tree_depth(value: Any) -> int:
    # A literal comes as its text, a variable as its value. An out-of-range maxDepth is
    # refused by the field itself; plan for the most it allows.
    if value is None:
        return DEFAULT_TREE_DEPTH
    try:
        depth = int(value)
    except (TypeError, ValueError):
        return MAX_TREE_DEPTH
    return depth if 1 <= depth <= MAX_TREE_DEPTH else MAX_TREE_DEPTH
