"""One committed change to a Task: which version, what kind, and the Task as of that version."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

ChangeKind = Literal["CREATED", "UPDATED", "DELETED"]
_KINDS: frozenset[str] = frozenset(("CREATED", "UPDATED", "DELETED"))


@dataclass(frozen=True, slots=True)
class TaskChangeEvent:
    """A Task version committed somewhere: this process, another replica, or the FHIR server."""

    task_id: str
    version_id: str | None
    kind: ChangeKind
    # The Task's JSON as of this version; None when DELETED. Subscribers decide per caller
    # what of it they may see: the event itself is never logged.
    task: dict[str, Any] | None
    observed_at: datetime
    # The version before, when the source knows it (the hub fills it in from the last version
    # it saw otherwise): subscribers match filters before and after the change with it.
    previous: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str | None, ChangeKind]:
        """What makes two events the same change (sources may report one version twice)."""
        return (self.task_id, self.version_id, self.kind)

    def to_json(self) -> str:
        """The wire form replicas exchange."""
        return json.dumps(
            {
                "taskId": self.task_id,
                "versionId": self.version_id,
                "kind": self.kind,
                "task": self.task,
                "observedAt": self.observed_at.isoformat(),
                "previous": self.previous,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> TaskChangeEvent:
        """Parse the wire form; raises ValueError on anything else."""
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("kind") not in _KINDS:
            raise ValueError("not a Task change event")
        task_id, version_id, task = data.get("taskId"), data.get("versionId"), data.get("task")
        previous = data.get("previous")
        if not isinstance(task_id, str) or not isinstance(version_id, str | None):
            raise ValueError("not a Task change event")
        if not isinstance(task, dict | None) or not isinstance(previous, dict | None):
            raise ValueError("not a Task change event")
        return cls(
            task_id=task_id,
            version_id=version_id,
            kind=cast(ChangeKind, data["kind"]),
            task=task,
            observed_at=datetime.fromisoformat(str(data.get("observedAt"))),
            previous=previous,
        )


def written_event(task: dict[str, Any], previous: dict[str, Any] | None) -> TaskChangeEvent:
    """The event for a Task version the gateway wrote itself (``previous`` None: created)."""
    found = task.get("meta")
    meta: dict[str, Any] = found if isinstance(found, dict) else {}
    version, updated = meta.get("versionId"), meta.get("lastUpdated")
    try:
        observed = datetime.fromisoformat(updated) if isinstance(updated, str) else None
    except ValueError:
        observed = None
    return TaskChangeEvent(
        task_id=str(task.get("id")),
        version_id=version if isinstance(version, str) else None,
        kind="CREATED" if previous is None else "UPDATED",
        task=task,
        observed_at=observed or datetime.now(UTC),
        previous=previous,
    )
