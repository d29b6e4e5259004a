"""Pure edits of a Task that are not status changes: elements, owner, notes, parent; no I/O."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from gateway.fhir import Ref, Resource, try_parse_reference

Element = dict[str, Any]

# Elements the server owns or the writer stamps: two Tasks that differ only here say the same.
_BOOKKEEPING = ("meta", "lastModified")


def edit_elements(task: Resource, edits: Mapping[str, Any]) -> Resource:
    """A copy of ``task`` with each dotted path set to its value, or removed where it is None.

    Containers a removal leaves empty are removed too (FHIR has no empty elements), so
    clearing the due date of a Task without a start removes ``restriction`` altogether.
    """
    edited = copy.deepcopy(task)
    for path, value in edits.items():
        names = path.split(".")
        if value is None:
            _remove(edited, names)
        else:
            parent = edited
            for name in names[:-1]:
                child = parent.get(name)
                if not isinstance(child, dict):
                    child = parent[name] = {}
                parent = child
            parent[names[-1]] = copy.deepcopy(value)
    return edited


def with_owner(task: Resource, owner: Element | None) -> Resource:
    return edit_elements(task, {"owner": owner})


def with_note(task: Resource, note: Element) -> Resource:
    """A copy of ``task`` with ``note`` appended: notes keep the order they were written in."""
    noted = copy.deepcopy(task)
    existing = noted.get("note")
    noted["note"] = [*(existing if isinstance(existing, list) else []), copy.deepcopy(note)]
    return noted


def new_note(text: str, author: Element | None, now: str) -> Element:
    note: Element = {"text": text, "time": now}
    if author is not None:
        note["authorReference"] = copy.deepcopy(author)
    return note


def stamp_notes(task: Resource, now: str) -> Resource:
    """A copy of ``task`` whose notes without a time get ``now`` (notes written with a new Task)."""
    stamped = copy.deepcopy(task)
    for note in stamped.get("note") or []:
        if isinstance(note, dict):
            note.setdefault("time", now)
    return stamped


def as_subtask(task: Resource, parent: Resource) -> Resource:
    """A copy of ``task`` made part of ``parent``, for the parent's subject unless it names one."""
    child = copy.deepcopy(task)
    child["partOf"] = [{"reference": f"Task/{parent['id']}"}]
    if "for" not in child and isinstance(parent.get("for"), dict):
        child["for"] = copy.deepcopy(parent["for"])
    return child


def same_content(before: Resource, after: Resource) -> bool:
    """True when a change left nothing to write."""
    strip = {k: v for k, v in before.items() if k not in _BOOKKEEPING}
    return strip == {k: v for k, v in after.items() if k not in _BOOKKEEPING}


def has_owner(task: Resource) -> bool:
    """True when Task.owner holds anything: even a display-only owner owns the Task."""
    owner = task.get("owner")
    return isinstance(owner, dict) and bool(owner)


def owner_ref(task: Resource, base_url: str | None = None) -> Ref | None:
    owner = task.get("owner")
    text = owner.get("reference") if isinstance(owner, dict) else None
    return try_parse_reference(text if isinstance(text, str) else None, base_url=base_url)


def owner_text(task: Resource, base_url: str | None = None) -> str | None:
    """The owner as 'Type/id' when it can be followed, else as stored; None without a reference."""
    ref = owner_ref(task, base_url)
    if ref is not None:
        return str(ref)
    owner = task.get("owner")
    text = owner.get("reference") if isinstance(owner, dict) else None
    return text if isinstance(text, str) and text else None


def _remove(element: Element, names: list[str]) -> None:
    if len(names) == 1:
        element.pop(names[0], None)
        return
    child = element.get(names[0])
    if isinstance(child, dict):
        _remove(child, names[1:])
        if not child:
            del element[names[0]]
