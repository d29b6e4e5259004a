"""Turn a resource into the rows of the typed search index tables and its sort-table row."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.fhir import DateTimeFormatError
from gateway.store.dates import MAX_MS, MIN_MS, date_range
from gateway.store.references import parse_reference
from gateway.store.search_params import SearchParam, indexed_params, sort_columns


class IndexValueError(ValueError):
    """An element a search parameter reads holds a value of the wrong shape."""

    def __init__(self, expression: str, message: str) -> None:
        super().__init__(message)
        self.expression = expression


@dataclass
class IndexEntries:
    """Everything the search index holds for one resource version, keyed by parameter name."""

    tokens: set[tuple[str, str, str]] = field(default_factory=set)  # name, code, system
    references: set[tuple[str, str, str]] = field(default_factory=set)  # name, id, type
    dates: set[tuple[str, int, int]] = field(default_factory=set)  # name, low, high
    strings: set[tuple[str, str, str]] = field(default_factory=set)  # name, folded, exact
    numbers: set[tuple[str, float]] = field(default_factory=set)  # name, value
    sort: dict[str, Any] = field(default_factory=dict)  # sort-table column -> value


def normalize_string(text: str) -> str:
    """Case- and accent-insensitive form used by string search (FHIR 3.1.1.5.3)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def extract(
    resource_type: str, resource: Mapping[str, Any], *, strict: bool = True
) -> IndexEntries:
    """The index entries of a resource; ``strict=False`` (re-indexing what an older version
    stored) reads a dateTime without a zone as UTC and skips dates of the wrong JSON type."""
    entries = IndexEntries()
    for param, paths, column in _plan(resource_type):
        values = param.derive(resource) if param.derive else _values(resource, paths)
        keys = _ENTRY_BUILDERS[param.type](param, values, entries, strict)
        if column is not None:
            entries.sort[column] = min(keys) if keys else None
    return entries


@functools.cache
def _plan(
    resource_type: str,
) -> tuple[tuple[SearchParam, tuple[tuple[str, ...], ...], str | None], ...]:
    """Per parameter: the element paths split into steps, and the sort column it fills."""
    sorted_by = {p.name: column for column, p in sort_columns(resource_type).items()}
    return tuple(
        (p, tuple(tuple(path.split(".")) for path in p.paths), sorted_by.get(p.name))
        for p in indexed_params(resource_type)
    )


def _values(resource: Mapping[str, Any], paths: tuple[tuple[str, ...], ...]) -> list[Any]:
    """The values at the paths, lists flattened at every step (a FHIRPath-like walk)."""
    found: list[Any] = []
    for steps in paths:
        nodes: list[Any] = [resource]
        for step in steps:
            nodes = [n.get(step) for n in nodes if isinstance(n, Mapping)]
            nodes = [i for n in nodes for i in (n if isinstance(n, list) else [n]) if i is not None]
        found += nodes
    return found


def _tokens(
    param: SearchParam, values: list[Any], entries: IndexEntries, strict: bool
) -> list[Any]:
    codes: list[Any] = []
    for value in values:
        for system, code in _token_pairs(param, value):
            entries.tokens.add((param.name, code, system))
            codes.append(code)
    return codes


def _token_pairs(param: SearchParam, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, bool):
        yield "", "true" if value else "false"
    elif isinstance(value, str):
        yield param.system, value
    elif isinstance(value, Mapping):
        codings = value.get("coding")
        if isinstance(codings, list):
            for coding in codings:
                yield from _token_pairs(param, coding)
        elif isinstance(value.get("code"), str):
            yield _text(value.get("system"), param), value["code"]
        elif isinstance(value.get("value"), str):
            yield _text(value.get("system"), param), value["value"]
    else:
        raise IndexValueError(param.expression, f"{param.expression} is not a code")


def _text(value: Any, param: SearchParam) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise IndexValueError(param.expression, f"{param.expression} has a non-string system")
    return value


# The row of a reference that is present but names no resource a search can reach (contained
# '#id', identifier or display only): ``:missing`` sees the element present, and no search
# value or include matches its empty id. A parameter restricted to some target types (patient)
# gets none: what such a reference points to is unknown.
PRESENT = ("", "")


def _references(
    param: SearchParam, values: list[Any], entries: IndexEntries, strict: bool
) -> list[Any]:
    keys: list[Any] = []
    for value in values:
        text = value.get("reference") if isinstance(value, Mapping) else None
        reference = parse_reference(text) if isinstance(text, str) else None
        if reference is None or reference.kind == "contained":
            if not param.target_types:
                entries.references.add((param.name, *PRESENT))
            continue
        if param.target_types and reference.type not in param.target_types:
            continue
        entries.references.add((param.name, reference.id, reference.type))
        keys.append(text)
    return keys


def _dates(param: SearchParam, values: list[Any], entries: IndexEntries, strict: bool) -> list[Any]:
    lows: list[Any] = []
    for value in values:
        try:
            if isinstance(value, str):
                low, high = _stored_date_range(value, strict)
            elif isinstance(value, Mapping):  # a Period
                start, end = value.get("start"), value.get("end")
                if start is None and end is None:
                    continue
                low = _stored_date_range(start, strict)[0] if start is not None else MIN_MS
                high = _stored_date_range(end, strict)[1] if end is not None else MAX_MS
            else:
                raise _WrongType
        except _WrongType:
            if strict:
                raise IndexValueError(
                    param.expression, f"{param.expression} is not a date"
                ) from None
            continue
        except DateTimeFormatError as exc:
            raise IndexValueError(param.expression, f"{param.expression}: {exc}") from exc
        entries.dates.add((param.name, low, high))
        lows.append(low)
    return lows


class _WrongType(Exception):
    """A date element holding something other than a string."""


def _stored_date_range(value: Any, strict: bool) -> tuple[int, int]:
    """``date_range`` of a stored value: a string, and a dateTime with a time has a zone."""
    if not isinstance(value, str):
        raise _WrongType
    return date_range(value, zone_required=strict)


def _strings(
    param: SearchParam, values: list[Any], entries: IndexEntries, strict: bool
) -> list[Any]:
    folded: list[Any] = []
    for value in values:
        for text in _string_parts(value):
            entries.strings.add((param.name, normalize_string(text), text))
            folded.append(normalize_string(text))
    return folded


def _string_parts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        # HumanName: every part is searchable by `name`.
        for key in ("text", "family", "given", "prefix", "suffix"):
            part = value.get(key)
            for item in part if isinstance(part, list) else [part]:
                if isinstance(item, str):
                    yield item


def _numbers(
    param: SearchParam, values: list[Any], entries: IndexEntries, strict: bool
) -> list[Any]:
    numbers: list[Any] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise IndexValueError(param.expression, f"{param.expression} is not a number")
        entries.numbers.add((param.name, float(value)))
        numbers.append(value)
    return numbers


_ENTRY_BUILDERS = {
    "token": _tokens,
    "reference": _references,
    "date": _dates,
    "string": _strings,
    "number": _numbers,
}
