"""Translate a SearchRequest into parametrized SQL over the typed index tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.store.errors import InvalidRequestError
from gateway.store.search_params import SORT_TABLES, SearchParam
from gateway.store.search_request import Filter, SearchRequest, SortKey
from gateway.store.search_values import RangeValue, ReferenceValue, StringValue, TokenValue

_TABLES = {
    "token": ("token_idx", "code"),
    "reference": ("reference_idx", "target_id"),
    "date": ("date_idx", "low"),
    "string": ("string_idx", "value"),
    "number": ("number_idx", "value"),
}
# How selective a filter of each kind usually is; the most selective one drives the query.
_DRIVER_RANK = {"_id": 0, "reference": 1, "token": 2, "string": 4, "date": 5, "number": 6}


@dataclass
class Sql:
    """A fragment of SQL and its arguments, in order."""

    text: str
    args: list[Any] = field(default_factory=list)


@dataclass
class _Condition:
    rank: tuple[int, int] | None  # None: only usable as a per-row probe
    driver: Sql | None
    probe: Sql


class QueryBuilder:
    """Builds the page query and the count query of one search."""

    def __init__(self, request: SearchRequest, param_ids: Mapping[tuple[str, str], int]) -> None:
        self.request = request
        self._pids = param_ids
        self._type = request.resource_type

    def page(self, *, limit: int) -> Sql:
        keys = self._sort_exprs()
        where = self._where()
        if self.request.after is not None:
            where.append(self._keyset(keys, list(self.request.after)))
        columns = ", ".join(["r.rid", "r.id", *(k.text for k, _, _ in keys)])
        sort_table = SORT_TABLES.get(self._type)
        join = ""
        if sort_table and any(k.param.sort_column for k in self.request.sort):
            join = f" JOIN {sort_table} s ON s.rid = r.rid"
        order = []
        for expr, descending, nullable in keys:
            if nullable:
                order.append(f"{expr.text} IS NULL")
            order.append(expr.text + (" DESC" if descending else ""))
        args = [a for k, _, _ in keys for a in k.args]
        sql = Sql(f"SELECT {columns} FROM resources r{join}", args)
        _extend(sql, " WHERE ", where)
        sql.text += " ORDER BY " + ", ".join(order) + " LIMIT ? OFFSET ?"
        sql.args += [a for k, _, nullable in keys for a in k.args * (2 if nullable else 1)]
        sql.args += [limit, self.request.offset]
        return sql

    def count(self) -> Sql:
        sql = Sql("SELECT count(*) FROM resources r")
        _extend(sql, " WHERE ", self._where())
        return sql

    def _where(self) -> list[Sql]:
        conditions = [self._condition(f) for f in self.request.filters]
        drivers = [c for c in conditions if c.rank is not None]
        driver = min(drivers, key=lambda c: c.rank or (0, 0)) if drivers else None
        # The unary + keeps SQLite from scanning resources_by_id when a filter should drive.
        type_check = "+r.type = ?" if driver and driver.rank and driver.rank[0] else "r.type = ?"
        where = [Sql(type_check, [self._type]), Sql("r.deleted = 0")]
        for condition in conditions:
            chosen = condition.driver if condition is driver else condition.probe
            where.append(chosen or condition.probe)
        return where

    def _condition(self, f: Filter) -> _Condition:
        param = f.param
        if param.column == "id":
            ids = [v.code for v in f.values if isinstance(v, TokenValue)]
            sql = Sql(f"r.id IN ({_marks(ids)})", ids)
            return _Condition((0, len(ids)), sql, sql)
        if param.column == "last_updated":
            ranges = [v for v in f.values if isinstance(v, RangeValue)]
            parts = [_date_match(v, "r.last_updated", "r.last_updated") for v in ranges]
            return _Condition(None, None, _any(parts))
        table, _ = _TABLES[param.type]
        pid = self._pids[self._type, param.name]
        if f.missing is not None:
            exists = Sql(f"EXISTS (SELECT 1 FROM {table} WHERE rid = r.rid AND pid = ?)", [pid])
            return _Condition(None, None, _negate(exists) if f.missing else exists)
        match = _any([_value_match(param, v, f.modifier) for v in f.values])
        probe = Sql(
            f"EXISTS (SELECT 1 FROM {table} WHERE rid = r.rid AND pid = ? AND ({match.text}))",
            [pid, *match.args],
        )
        if f.modifier == "not":
            return _Condition(None, None, _negate(probe))
        driver = Sql(
            f"r.rid IN (SELECT rid FROM {table} WHERE pid = ? AND ({match.text}))",
            [pid, *match.args],
        )
        rank = _DRIVER_RANK[param.type] + (4 if f.modifier == "contains" else 0)
        return _Condition((rank, len(f.values)), driver, probe)

    def _sort_exprs(self) -> list[tuple[Sql, bool, bool]]:
        keys: list[tuple[Sql, bool, bool]] = []
        for key in self.request.sort:
            keys.append((self._sort_expr(key), key.descending, key.param.column is None))
        if not any(k.param.column == "id" for k in self.request.sort):
            keys.append((Sql("r.id"), False, False))
        return keys

    def _sort_expr(self, key: SortKey) -> Sql:
        param = key.param
        if param.column is not None:
            return Sql(f"r.{param.column}")
        if param.sort_column is not None:
            return Sql(f"s.{param.sort_column}")
        table, column = _TABLES[param.type]
        aggregate = "max" if key.descending else "min"
        return Sql(
            f"(SELECT {aggregate}({column}) FROM {table} WHERE rid = r.rid AND pid = ?)",
            [self._pids[self._type, param.name]],
        )

    def _keyset(self, keys: list[tuple[Sql, bool, bool]], after: list[Any]) -> Sql:
        if len(after) != len(keys):
            raise InvalidRequestError("_page_token does not belong to this search's _sort")
        disjuncts: list[Sql] = []
        for i, (expr, descending, nullable) in enumerate(keys):
            if after[i] is None:
                continue  # nothing sorts after a missing value but other missing values
            step = Sql("")
            for prior, (prior_expr, _, _) in zip(after[:i], keys[:i], strict=True):
                step.text += f"{prior_expr.text} IS ? AND "
                step.args += [*prior_expr.args, prior]
            beyond = f"{expr.text} {'<' if descending else '>'} ?"
            step.text += f"({beyond} OR {expr.text} IS NULL)" if nullable else beyond
            step.args += [*expr.args, after[i]] + (expr.args if nullable else [])
            disjuncts.append(step)
        return _any(disjuncts) if disjuncts else Sql("0")


def _value_match(param: SearchParam, value: object, modifier: str | None) -> Sql:
    if isinstance(value, TokenValue):
        return _token_match(value)
    if isinstance(value, ReferenceValue):
        if value.type is None:
            return Sql("target_id = ?", [value.id])
        return Sql("(target_id = ? AND target_type = ?)", [value.id, value.type])
    if isinstance(value, StringValue):
        return _string_match(value, modifier)
    if isinstance(value, RangeValue) and param.type == "date":
        return _date_match(value, "low", "high")
    if isinstance(value, RangeValue):
        return _number_match(value)
    raise TypeError(value)


def _string_match(value: StringValue, modifier: str | None) -> Sql:
    if modifier == "exact":
        return Sql("exact = ?", [value.exact])
    if modifier == "contains":
        return Sql("instr(value, ?) > 0", [value.folded])
    return Sql("value >= ? AND value < ?", [value.folded, value.folded + "\U0010ffff"])


def _token_match(value: TokenValue) -> Sql:
    if value.code is None:
        return Sql("system = ?", [value.system])
    if value.system is None:
        return Sql("code = ?", [value.code])
    return Sql("(code = ? AND system = ?)", [value.code, value.system])


def _date_match(value: RangeValue, low: str, high: str) -> Sql:
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


def _any(parts: list[Sql]) -> Sql:
    if len(parts) == 1:
        return parts[0]
    return Sql("(" + " OR ".join(p.text for p in parts) + ")", [a for p in parts for a in p.args])


def _negate(sql: Sql) -> Sql:
    return Sql(f"NOT {sql.text}", sql.args)


def _marks(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def _extend(sql: Sql, prefix: str, parts: list[Sql]) -> None:
    sql.text += prefix + " AND ".join(p.text for p in parts)
    sql.args += [a for p in parts for a in p.args]
