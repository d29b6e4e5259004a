"""Task workflow rules, free of I/O: they decide every change to a Task."""

from gateway.workflow.decisions import (
    AddNote,
    Assign,
    ChangeStatus,
    Claim,
    Element,
    Release,
    Route,
    TaskChange,
    Update,
    decide,
)
from gateway.workflow.edits import as_subtask, has_owner, new_note, stamp_notes
from gateway.workflow.rules import WorkflowRules
from gateway.workflow.task_changes import UNCHANGED, BusinessStatusChange, prepare_new_task

__all__ = [
    "UNCHANGED",
    "AddNote",
    "Assign",
    "BusinessStatusChange",
    "ChangeStatus",
    "Claim",
    "Element",
    "Release",
    "Route",
    "TaskChange",
    "Update",
    "WorkflowRules",
    "as_subtask",
    "decide",
    "has_owner",
    "new_note",
    "prepare_new_task",
    "stamp_notes",
]
