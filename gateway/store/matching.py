"""SQL tests matching index rows and sort columns against parsed search values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.store.search_params import SearchParam
from gateway.store.search_request import Filter
from gateway.store.search_values import RangeValue, ReferenceValue, StringValue, TokenValue


@dataclass
class Sql:
    """A fragment of SQL and its arguments, in order."""

    text: str
    args: list[Any] = field(default_factory=list)


def exact_join(pid: int, f: Filter) -> Sql | None:
    """The filter as a test of index rows ``d`` when one value selects each resource at most
    once (then the join needs no DISTINCT)."""
    if len(f.values) != 1:
        return None
    value = f.values[0]
    if isinstance(value, TokenValue) and value.code is not None and value.system is not None:
        return Sql("d.pid = ? AND d.code = ? AND d.system = ?", [pid, value.code, value.system])
    if isinstance(value, ReferenceValue) and value.type is not None:
        return Sql(
            "d.pid = ? AND d.target_id = ? AND d.target_type = ?", [pid, value.id, value.type]
        )
    return None


def column_token(f: Filter, column: str) -> Sql:
    """A token test on a single-valued code kept in the sort table (Task.status, priority)."""
    if f.missing is not None:
        return Sql(f"{column} IS {'' if f.missing else 'NOT '}NULL")
    codes: list[Any] = []
    any_code = False
    for value in f.values:
        if not isinstance(value, TokenValue) or value.system not in (None, f.param.system):
            continue
        if value.code is None:
            any_code = True
        else:
            codes.append(value.code)
    test = Sql(f"{column} IN ({marks(codes)})", codes) if codes else Sql("0")
    if any_code:
        test = Sql(f"{column} IS NOT NULL")
    if f.modifier == "not":
        return Sql(f"({column} IS NULL OR NOT {test.text})", test.args)
    return test


def values_match(param: SearchParam, f: Filter) -> Sql:
    """The index-row test for the filter's values, ORed, grouped so SQLite can seek by IN."""
    if param.type == "token":
        tokens = [(v.system, v.code) for v in f.values if isinstance(v, TokenValue)]
        return _grouped(tokens, "system", "code")
    if param.type == "reference":
        refs = [v for v in f.values if isinstance(v, ReferenceValue)]
        return _grouped([(v.type, v.id) for v in refs], "target_type", "target_id")
    parts = []
    for value in f.values:
        if isinstance(value, StringValue):
            parts.append(_string_match(value, f.modifier))
        elif isinstance(value, RangeValue) and param.type == "date":
            parts.append(date_match(value, "low", "high"))
        elif isinstance(value, RangeValue):
            parts.append(_number_match(value))
    return any_of(parts)


def _grouped(items: Sequence[tuple[str | None, str | None]], qualifier: str, key: str) -> Sql:
    """``key IN (...)`` per qualifier value (system, target type); None matches any qualifier,
    and a None key any key (``system|`` searches)."""
    groups: dict[str | None, list[str | None]] = {}
    for qualifier_value, key_value in items:
        groups.setdefault(qualifier_value, []).append(key_value)
    parts = []
    for qualifier_value, values in groups.items():
        tests = [] if qualifier_value is None else [Sql(f"{qualifier} = ?", [qualifier_value])]
        keys = [v for v in values if v is not None]
        if len(keys) == len(values):
            tests.insert(0, Sql(f"{key} IN ({marks(keys)})", keys))
        parts.append(all_of(tests) if tests else Sql("1"))
    return any_of(parts)


def _string_match(value: StringValue, modifier: str | None) -> Sql:
    if modifier == "exact":
        return Sql("exact = ?", [value.exact])
    if modifier == "contains":
        return Sql("instr(value, ?) > 0", [value.folded])
    return Sql("(value >= ? AND value < ?)", [value.folded, value.folded + "\U0010ffff"])


def date_match(value: RangeValue, low: str, high: str) -> Sql:
    pl, ph = int(value.low), int(value.high)
    # FHIR R4 3.1.1.5.4: compare the resource's range [low, high] with the value's [pl, ph].
    forms: dict[str, tuple[str, list[Any]]] = {
        "eq": (f"{low} >= ? AND {low} <= ? AND {high} <= ?", [pl, ph, ph]),
        "ne": (f"NOT ({low} >= ? AND {high} <= ?)", [pl, ph]),
        "gt": (f"{high} > ?", [ph]),
        "lt": (f"{low} < ?", [pl]),
        "ge": (f"{high} >= ? AND ({high} > ? OR {low} >= ?)", [pl, ph, pl]),
        "le": (f"{low} <= ? AND ({low} < ? OR {high} <= ?)", [ph, pl, ph]),
        "sa": (f"{low} > ?", [ph]),
        "eb": (f"{high} < ?", [pl]),
        "ap": (f"{low} <= ? AND {high} >= ?", [ph, pl]),
    }
    text, args = forms[value.prefix]
    return Sql(f"({text})", args)


def _number_match(value: RangeValue) -> Sql:
    middle = (value.low + value.high) / 2
    forms: dict[str, tuple[str, list[Any]]] = {
        "eq": ("value >= ? AND value < ?", [value.low, value.high]),
        "ne": ("NOT (value >= ? AND value < ?)", [value.low, value.high]),
        "gt": ("value > ?", [middle]),
        "lt": ("value < ?", [middle]),
        "ge": ("value >= ?", [middle]),
        "le": ("value <= ?", [middle]),
        "sa": ("value > ?", [middle]),
        "eb": ("value < ?", [middle]),
        "ap": ("value >= ? AND value <= ?", [middle * 0.9, middle * 1.1]),
    }
    text, args = forms[value.prefix]
    return Sql(f"({text})", args)


def any_of(parts: list[Sql]) -> Sql:
    if len(parts) == 1:
        return parts[0]
    return Sql("(" + " OR ".join(p.text for p in parts) + ")", args_of(parts))


def all_of(parts: list[Sql]) -> Sql:
    return Sql("(" + " AND ".join(p.text for p in parts) + ")", args_of(parts))


def negate(sql: Sql) -> Sql:
    return Sql(f"NOT {sql.text}", sql.args)


def args_of(parts: Any) -> list[Any]:
    return [a for p in parts for a in p.args]


def marks(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def extend(sql: Sql, prefix: str, parts: list[Sql]) -> None:
    sql.text += prefix + " AND ".join(p.text for p in parts)
    sql.args += args_of(parts)
