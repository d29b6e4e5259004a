"""Query planning without I/O: what a Task list's selection asks the FHIR server for."""

from __future__ import annotations

from dataclasses import replace

from strawberry.types.nodes import InlineFragment, SelectedField

from gateway.schema.query_plan import TaskSelection, plan_list, task_selection
from gateway.server_profile import EMBEDDED, GENERIC, MEDPLUM


def field(
    name: str, *children: SelectedField | InlineFragment, **arguments: object
) -> SelectedField:
    return SelectedField(name, {}, dict(arguments), list(children))


def test_levels_and_references_come_from_nested_subtasks_trees_and_fragments() -> None:
    leaf = field("subtasks", field("id"), field("focus", field("id")))
    entry = field("task", field("owner", field("id")), leaf)
    tree = field("subtaskTree", field("depth"), entry, maxDepth="2")
    fragment = InlineFragment("Task", [field("subtasks", tree)], {})
    selection = task_selection([field("id"), field("for", field("id")), fragment])
    assert selection == TaskSelection(
        frozenset({"id", "for", "subtasks"}), levels=1 + 2 + 1,
        nested_references=frozenset({"owner", "focus"}),
    )  # fmt: skip


def test_a_tree_within_the_servers_rounds_is_walked_with_its_references() -> None:
    selection = TaskSelection(frozenset({"owner", "partOf"}), 3, frozenset({"owner", "for"}))
    plan = plan_list(selection, MEDPLUM, planning=True)
    assert plan.includes == [("_include", "Task:owner")]
    assert plan.walk == [
        ("_revinclude:iterate", "Task:part-of"),
        ("_include:iterate", "Task:subject"),
        ("_include:iterate", "Task:owner"),
    ]
    assert plan.deep


def test_one_level_is_one_revinclude_without_iterating() -> None:
    plan = plan_list(TaskSelection(frozenset({"id"}), 1), EMBEDDED, planning=True)
    assert plan.walk == [("_revinclude", "Task:part-of")]
    assert not plan.deep


def test_past_the_servers_rounds_or_without_iterate_levels_are_batched() -> None:
    deep = TaskSelection(frozenset({"partOf"}), 4, frozenset({"owner"}))
    for profile in (MEDPLUM, GENERIC):
        plan = plan_list(deep, profile, planning=True)
        assert plan.walk is None
        assert plan.includes == [("_include", "Task:part-of")]


def test_planning_off_or_includes_refused_asks_for_nothing_along() -> None:
    selection = TaskSelection(frozenset({"owner"}), 2, frozenset({"owner"}))
    assert plan_list(selection, EMBEDDED, planning=False).includes == []
    refused = replace(EMBEDDED, honours_include=False)
    assert plan_list(selection, refused, planning=True).walk is None
