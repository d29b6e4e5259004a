"""The Task state machine: which status may follow which, strict, permissive or from JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final

from gateway.workflow.errors import InvalidStatusTransitionError, InvalidTransitionTableError
from gateway.workflow.statuses import (
    ENTERED_IN_ERROR,
    INITIAL_STATUSES,
    TASK_STATUSES,
    TERMINAL_STATUSES,
    in_canonical_order,
    unknown_statuses,
)

# The "typical" transitions of the FHIR R4 Task state diagram and its notes (Task 12.1.2).
# Moves into entered-in-error and same-status updates are added to every table by
# TransitionTable, so they are not repeated here.
FHIR_TYPICAL_TRANSITIONS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "draft": ("requested", "ready", "on-hold", "cancelled"),
        "requested": ("received", "accepted", "rejected", "cancelled"),
        "received": ("accepted", "rejected", "cancelled"),
        "accepted": ("in-progress", "cancelled"),
        "ready": ("in-progress", "on-hold", "cancelled"),
        # in-progress -> ready is FHIR's "stopped", to hand the work to someone else.
        "in-progress": ("completed", "failed", "on-hold", "ready", "cancelled"),
        # FHIR keeps no previous status, so any of the three is a valid resume.
        "on-hold": ("draft", "ready", "in-progress", "cancelled"),
    }
)

STRICT: Final = "strict"
PERMISSIVE: Final = "permissive"


@dataclass(frozen=True)
class TransitionTable:
    """Which status may follow which.

    On top of the edges it is built from, every table lets any status except
    entered-in-error move to entered-in-error (a record made in error can be retracted
    from anywhere), and lets a non-terminal status "move" to itself (an update that
    keeps the status). entered-in-error itself has no targets unless a table lists some.
    """

    edges: frozenset[tuple[str, str]]
    source: str = field(default="custom", compare=False)
    _targets: Mapping[str, tuple[str, ...]] = field(
        init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        _refuse_unknown({code for edge in self.edges for code in edge}, self.source)
        implicit = {(s, ENTERED_IN_ERROR) for s in TASK_STATUSES if s != ENTERED_IN_ERROR}
        implicit |= {(s, s) for s in TASK_STATUSES if s not in TERMINAL_STATUSES}
        edges = self.edges | implicit
        object.__setattr__(self, "edges", frozenset(edges))
        targets = {
            status: in_canonical_order({to for frm, to in edges if frm == status})
            for status in TASK_STATUSES
        }
        object.__setattr__(self, "_targets", MappingProxyType(targets))

    @classmethod
    def from_mapping(
        cls, table: Mapping[str, Iterable[str]], *, source: str = "custom"
    ) -> TransitionTable:
        """A table from {"from": ["to", ...]}; statuses not listed only get the implicit moves."""
        _refuse_unknown(set(table), source)
        return cls(frozenset((frm, to) for frm, targets in table.items() for to in targets), source)

    @classmethod
    def strict(cls) -> TransitionTable:
        """The FHIR typical transitions."""
        return cls.from_mapping(FHIR_TYPICAL_TRANSITIONS, source=STRICT)

    @classmethod
    def permissive(cls) -> TransitionTable:
        """Any move out of a non-terminal status, to any status."""
        return cls(
            frozenset(
                (frm, to)
                for frm in TASK_STATUSES
                if frm not in TERMINAL_STATUSES
                for to in TASK_STATUSES
            ),
            PERMISSIVE,
        )

    @classmethod
    def from_json_file(cls, path: str | Path) -> TransitionTable:
        """A table from a JSON file holding {"from": ["to", ...]}."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidTransitionTableError(
                f"cannot read transition table {str(path)!r}: {exc.strerror or exc}"
            ) from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidTransitionTableError(
                f"transition table {str(path)!r} is not valid JSON: {exc}"
            ) from exc
        return cls.from_mapping(_validated_shape(document, str(path)), source=str(path))

    @classmethod
    def from_setting(cls, value: str) -> TransitionTable:
        """'strict', 'permissive', or a path to a JSON table (GATEWAY_TRANSITIONS)."""
        if value == STRICT:
            return cls.strict()
        if value == PERMISSIVE:
            return cls.permissive()
        if not value.strip():
            raise InvalidTransitionTableError(
                "transitions must be 'strict', 'permissive' or a path to a JSON file"
            )
        return cls.from_json_file(value)

    def allowed_targets(self, from_status: str) -> tuple[str, ...]:
        """The statuses a Task in `from_status` may move to, in FHIR value-set order."""
        return self._targets.get(from_status, ())

    def is_allowed(self, from_status: str, to_status: str) -> bool:
        return (from_status, to_status) in self.edges

    def check_transition(self, from_status: str, to_status: str) -> None:
        """Raise InvalidStatusTransitionError unless `from_status -> to_status` is allowed."""
        if not self.is_allowed(from_status, to_status):
            raise InvalidStatusTransitionError(
                from_status=from_status,
                to_status=to_status,
                allowed=self.allowed_targets(from_status),
            )

    def as_mapping(self) -> dict[str, list[str]]:
        """The table, implicit moves included, in the shape from_mapping and JSON files take."""
        return {s: list(self.allowed_targets(s)) for s in TASK_STATUSES if self.allowed_targets(s)}


def check_initial_status(status: str) -> None:
    """Raise InvalidStatusTransitionError unless a Task may be created in `status`."""
    if status not in INITIAL_STATUSES:
        raise InvalidStatusTransitionError(
            from_status=None, to_status=status, allowed=INITIAL_STATUSES
        )


def _refuse_unknown(codes: set[str], source: str) -> None:
    unknown = unknown_statuses(codes)
    if unknown:
        raise InvalidTransitionTableError(
            f"{source}: unknown Task status code(s) {', '.join(map(repr, unknown))};"
            f" expected some of {', '.join(TASK_STATUSES)}"
        )


def _validated_shape(document: object, source: str) -> dict[str, list[str]]:
    if not isinstance(document, dict):
        raise InvalidTransitionTableError(
            f'transition table {source!r} must be a JSON object {{"from": ["to", ...]}}'
        )
    table: dict[str, list[str]] = {}
    for frm, targets in document.items():
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise InvalidTransitionTableError(
                f"transition table {source!r}: the value of {frm!r} must be a list of status codes"
            )
        table[frm] = targets
    return table
