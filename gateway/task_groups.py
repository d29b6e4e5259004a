"""Task analytics without I/O: group keys, counts in the contract's order, turnaround quantiles."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from gateway.fhir import DateTimeFormatError, Resource, parse_datetime, try_parse_reference


class Dimension(Enum):
    """What Tasks are grouped by; the value is the Task element it reads."""

    STATUS = "status"
    BUSINESS_STATUS = "businessStatus"
    STATUS_REASON = "statusReason"
    CODE = "code"
    PRIORITY = "priority"
    PERFORMER_TYPE = "performerType"
    OWNER = "owner"

    @property
    def element(self) -> str:
        return str(self.value)


# Dimensions whose values are a closed set of codes: countable with one count per code.
CODE_LIST_DIMENSIONS = frozenset({Dimension.STATUS, Dimension.PRIORITY})


@dataclass(frozen=True)
class Key:
    """One dimension's value of a Task: None when the Task has none."""

    value: str | None
    display: str | None = None


@dataclass(frozen=True)
class Group:
    values: tuple[str | None, ...]
    displays: tuple[str | None, ...]
    count: int


@dataclass(frozen=True)
class TurnaroundGroup:
    values: tuple[str | None, ...]
    displays: tuple[str | None, ...]
    count: int
    median_hours: float
    p90_hours: float


def enum_name(code: str) -> str:
    """A FHIR code as the contract's enum name (in-progress -> IN_PROGRESS)."""
    return code.upper().replace("-", "_")


def key_of(task: Resource, dimension: Dimension, *, base_url: str | None = None) -> Key:
    """The Task's value for ``dimension`` as the contract names it (schema: TaskGroupKey)."""
    raw = task.get(dimension.element)
    if dimension in CODE_LIST_DIMENSIONS:
        return Key(enum_name(raw) if isinstance(raw, str) and raw else None)
    if dimension is Dimension.OWNER:
        return _reference_key(raw, base_url)
    if dimension is Dimension.PERFORMER_TYPE:
        # Repeating: the first element decides, so every Task lands in exactly one group.
        raw = raw[0] if isinstance(raw, list) and raw else None
    return _concept_key(raw)


def _concept_key(concept: Any) -> Key:
    """'system|code' of the first coding that has a code ('|code' without a system); the
    text when no coding has one."""
    if not isinstance(concept, dict):
        return Key(None)
    text = concept.get("text") if isinstance(concept.get("text"), str) else None
    for coding in concept.get("coding") or []:
        if not isinstance(coding, dict):
            continue
        code = coding.get("code")
        if isinstance(code, str) and code:
            system = coding.get("system") if isinstance(coding.get("system"), str) else ""
            display = coding.get("display")
            return Key(f"{system}|{code}", display if isinstance(display, str) else text)
    return Key(text, text) if text else Key(None)


def _reference_key(reference: Any, base_url: str | None) -> Key:
    if not isinstance(reference, dict):
        return Key(None)
    display = reference.get("display") if isinstance(reference.get("display"), str) else None
    text = reference.get("reference")
    ref = try_parse_reference(text, base_url=base_url)
    if ref is not None:
        return Key(str(ref), display)
    return Key(text if isinstance(text, str) and text else None, display)


def sort_key(values: Sequence[str | None]) -> tuple[tuple[int, str], ...]:
    """Key values in code-point order, null after every value."""
    return tuple((1, "") if value is None else (0, value) for value in values)


def _display_of(
    seen: dict[tuple[str | None, ...], list[str | None]],
    values: tuple[str | None, ...],
    keys: Sequence[Key],
) -> None:
    current = seen.setdefault(values, [None] * len(keys))
    for i, key in enumerate(keys):
        # Tasks may spell one code's display differently; the least one (code-point order)
        # is shown, so the answer does not depend on the order Tasks were read in.
        if key.display is not None and (current[i] is None or key.display < str(current[i])):
            current[i] = key.display


def count_groups(
    tasks: Iterable[Resource], dimensions: Sequence[Dimension], *, base_url: str | None = None
) -> list[Group]:
    """Tasks counted per combination of keys: largest count first, then keys."""
    counts: Counter[tuple[str | None, ...]] = Counter()
    displays: dict[tuple[str | None, ...], list[str | None]] = {}
    for task in tasks:
        keys = [key_of(task, d, base_url=base_url) for d in dimensions]
        values = tuple(k.value for k in keys)
        counts[values] += 1
        _display_of(displays, values, keys)
    groups = [Group(v, tuple(displays[v]), n) for v, n in counts.items() if n > 0]
    return order_groups(groups)


def order_groups(groups: Iterable[Group]) -> list[Group]:
    """Largest count first; equal counts by key values (code-point order, null last)."""
    return sorted((g for g in groups if g.count > 0), key=lambda g: (-g.count, sort_key(g.values)))


def hours_to_complete(task: Resource) -> float | None:
    """Hours from authoredOn to completion (executionPeriod.end, else lastModified) of a
    completed Task; None when it is not completed, either time is missing or unreadable, or
    the duration is negative."""
    if task.get("status") != "completed":
        return None
    period = task.get("executionPeriod")
    end = period.get("end") if isinstance(period, dict) else None
    if not isinstance(end, str):
        end = task.get("lastModified")
    start = task.get("authoredOn")
    if not isinstance(start, str) or not isinstance(end, str):
        return None
    try:
        seconds = (
            parse_datetime(end).earliest() - parse_datetime(start).earliest()
        ).total_seconds()
    except DateTimeFormatError:
        return None
    return seconds / 3600 if seconds >= 0 else None


def median_and_p90(hours: Sequence[float]) -> tuple[float, float]:
    """statistics.median, and the last of statistics.quantiles(n=10, method="inclusive"); one
    value is both."""
    if not hours:
        raise ValueError("no durations")
    if len(hours) == 1:
        return hours[0], hours[0]
    return statistics.median(hours), statistics.quantiles(hours, n=10, method="inclusive")[-1]


def turnaround_groups(
    tasks: Iterable[Resource], dimensions: Sequence[Dimension], *, base_url: str | None = None
) -> list[TurnaroundGroup]:
    """Turnaround per group of the completed Tasks that have a duration, in count order."""
    hours: dict[tuple[str | None, ...], list[float]] = {}
    displays: dict[tuple[str | None, ...], list[str | None]] = {}
    for task in tasks:
        duration = hours_to_complete(task)
        if duration is None:
            continue
        keys = [key_of(task, d, base_url=base_url) for d in dimensions]
        values = tuple(k.value for k in keys)
        hours.setdefault(values, []).append(duration)
        _display_of(displays, values, keys)
    result = []
    for values, durations in hours.items():
        median, p90 = median_and_p90(durations)
        result.append(TurnaroundGroup(values, tuple(displays[values]), len(durations), median, p90))
    return sorted(result, key=lambda g: (-g.count, sort_key(g.values)))
