"""Package surfaces: each __all__ lists what other layers use, and they import nothing else."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

import gateway.workflow
from gateway.fhir import TASK_STATUSES
from gateway.workflow.statuses import INITIAL_STATUSES

GATEWAY = Path(gateway.workflow.__file__).parent.parent
FACADES = ["fhir", "workflow", "writes", "store", "auth", "http", "routing", "changes"]


def test_workflow_surface_is_pinned() -> None:
    assert sorted(gateway.workflow.__all__) == [
        "AddNote",
        "Assign",
        "BusinessStatusChange",
        "ChangeStatus",
        "Claim",
        "Element",
        "Release",
        "Route",
        "TaskChange",
        "UNCHANGED",
        "Update",
        "WorkflowRules",
        "as_subtask",
        "decide",
        "has_owner",
        "new_note",
        "prepare_new_task",
        "stamp_notes",
    ]


def _imports_from_outside(package: str) -> tuple[set[str], list[str]]:
    """Names production code outside ``package`` takes from it, and imports that reach past it."""
    names: set[str] = set()
    past: list[str] = []
    for path in GATEWAY.rglob("*.py"):
        if path.is_relative_to(GATEWAY / package):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            if node.module == f"gateway.{package}":
                names |= {alias.name for alias in node.names}
            elif node.module.startswith(f"gateway.{package}."):
                past.append(f"{path.relative_to(GATEWAY)}: {node.module}")
    return names, past


@pytest.mark.parametrize("package", [p for p in FACADES if (GATEWAY / p).is_dir()])
def test_all_lists_exactly_what_other_layers_use(package: str) -> None:
    module = importlib.import_module(f"gateway.{package}")
    used, past = _imports_from_outside(package)
    assert past == []
    assert set(module.__all__) == used
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert public == set(module.__all__)


def test_statuses_are_the_twelve_fhir_codes() -> None:
    assert len(set(TASK_STATUSES)) == 12
    assert set(INITIAL_STATUSES) < set(TASK_STATUSES)
