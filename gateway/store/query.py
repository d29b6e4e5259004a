"""Translate a SearchRequest into parametrized SQL over the typed index tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
_DRIVER_RANK = {"reference": 1, "token": 2, "string": 4, "date": 5, "number": 6}


@dataclass
class Sql:
    """A fragment of SQL and its arguments, in order."""

    text: str
    args: list[Any] = field(default_factory=list)


@dataclass
class _Condition:
    probe: Sql  # a test of one candidate row
    driver: Sql | None = None  # the same test as ``rid IN (...)``, to start from
    join: Sql | None = None  # the same test on an index table ``d`` joined first
    rank: tuple[int, int] = (99, 0)
    cheap: bool = False  # a test of columns already at hand (resources, sort table)


class QueryBuilder:
    """Builds the page query and the count query of one search.

    Plans, in order of preference: start from the index rows of the most selective filter
    (joined, or as a rid set), then test the others per row; with no such filter, walk the
    sort table in the order of its index; else walk the type's resources."""

    def __init__(self, request: SearchRequest, param_ids: Mapping[tuple[str, str], int]) -> None:
        self.request = request
        self._pids = param_ids
        self._type = request.resource_type
        self._sort_table = SORT_TABLES.get(self._type)
        # Probes name the rid of the sort table when there is one: SQLite then runs them as
        # soon as the sort row is read, before the resources row.
        self._rid = "s.rid" if self._sort_table else "r.rid"
        self._conditions = [self._condition(f) for f in request.filters]
        candidates = [c for c in self._conditions if c.driver is not None]
        self._driver = min(candidates, key=lambda c: c.rank) if candidates else None

    def page(self, *, limit: int) -> Sql:
        keys = self._sort_exprs()
        where = self._where()
        if self.request.after is not None:
            where.append(self._keyset(keys, list(self.request.after)))
        columns = ", ".join(["r.rid", "r.id", *(k.text for k, _, _ in keys)])
        sql = Sql(f"SELECT {columns} FROM {self._from(sorted_walk=True)}")
        sql.args += _args(k for k, _, _ in keys)
        _extend(sql, " WHERE ", where)
        order: list[Sql] = []
        for expr, descending, nullable in keys:
            # SQLite sorts NULL first ascending and last descending; missing values go last.
            if nullable and not descending:
                order.append(Sql(f"{expr.text} IS NULL", expr.args))
            order.append(Sql(expr.text + (" DESC" if descending else ""), expr.args))
        sql.text += " ORDER BY " + ", ".join(o.text for o in order) + " LIMIT ? OFFSET ?"
        sql.args += [*_args(order), limit, self.request.offset]
        return sql

    def count(self) -> Sql:
        sql = Sql(f"SELECT count(*) FROM {self._from(sorted_walk=False)}")
        _extend(sql, " WHERE ", self._where())
        return sql

    def _from(self, *, sorted_walk: bool) -> str:
        # CROSS JOIN fixes the join order in SQLite: the left table is the outer loop.
        sort = self._sort_table
        if self._driver is not None and self._driver.join is not None:
            table = _TABLES[self._driver_param_type()][0]
            middle = f" CROSS JOIN {sort} s ON s.rid = d.rid" if sort else ""
            return f"{table} d{middle} CROSS JOIN resources r ON r.rid = d.rid"
        if not sort:
            return "resources r"
        first = self.request.sort[0].param if self.request.sort else None
        if self._driver is None and sorted_walk and first is not None and first.sort_column:
            return f"{sort} s CROSS JOIN resources r ON r.rid = s.rid"
        return f"resources r JOIN {sort} s ON s.rid = r.rid"

    def _driver_param_type(self) -> str:
        index = self._conditions.index(self._driver) if self._driver else -1
        return self.request.filters[index].param.type

    def _where(self) -> list[Sql]:
        driver = self._driver
        # The unary + keeps SQLite from walking resources_by_id when a filter should drive.
        index_type = driver is None or driver.rank[0] == 0
        where = [Sql("r.type = ?" if index_type else "+r.type = ?", [self._type])]
        where.append(Sql("r.deleted = 0"))
        if driver is not None:
            where.append(driver.join or driver.driver or driver.probe)
        rest = [c for c in self._conditions if c is not driver]
        where += [c.probe for c in rest if c.cheap] + [c.probe for c in rest if not c.cheap]
        return where

    def _condition(self, f: Filter) -> _Condition:
        param = f.param
        if param.column == "id":
            ids = [v.code for v in f.values if isinstance(v, TokenValue)]
            sql = Sql(f"r.id IN ({_marks(ids)})", ids)
            return _Condition(sql, sql, rank=(0, len(ids)), cheap=True)
        if param.column == "last_updated":
            ranges = [v for v in f.values if isinstance(v, RangeValue)]
            parts = [_date_match(v, "r.last_updated", "r.last_updated") for v in ranges]
            return _Condition(_any(parts), cheap=True)
        if param.type == "token" and param.sort_column and self._sort_table:
            return _Condition(_column_token(f, f"s.{param.sort_column}"), cheap=True)
        table, _ = _TABLES[param.type]
        pid = self._pids[self._type, param.name]
        rid = self._rid
        if f.missing is not None:
            exists = Sql(f"EXISTS (SELECT 1 FROM {table} WHERE rid = {rid} AND pid = ?)", [pid])
            return _Condition(_negate(exists) if f.missing else exists)
        match = _values_match(param, f)
        probe = Sql(
            f"EXISTS (SELECT 1 FROM {table} WHERE rid = {rid} AND pid = ? AND {match.text})",
            [pid, *match.args],
        )
        if f.modifier == "not":
            return _Condition(_negate(probe))
        driver = Sql(
            f"r.rid IN (SELECT rid FROM {table} WHERE pid = ? AND {match.text})",
            [pid, *match.args],
        )
        rank = _DRIVER_RANK[param.type] + (4 if f.modifier == "contains" else 0)
        return _Condition(probe, driver, _exact_join(pid, f), (rank, len(f.values)))

    def _sort_exprs(self) -> list[tuple[Sql, bool, bool]]:
        keys: list[tuple[Sql, bool, bool]] = []
        for key in self.request.sort:
            nullable = key.param.column is None and key.param.derive is None
            keys.append((self._sort_expr(key), key.descending, nullable))
        if not any(k.param.column == "id" for k in self.request.sort):
            keys.append((Sql("r.id"), False, False))
        return keys

    def _sort_expr(self, key: SortKey) -> Sql:
        param = key.param
        if param.column is not None:
            return Sql(f"r.{param.column}")
        if param.sort_column is not None and self._sort_table:
            return Sql(f"s.{param.sort_column}")
        table, column = _TABLES[param.type]
        aggregate = "max" if key.descending else "min"
        return Sql(
            f"(SELECT {aggregate}({column}) FROM {table} WHERE rid = r.rid AND pid = ?)",
            [self._pids[self._type, param.name]],
        )

    def _keyset(self, keys: list[tuple[Sql, bool, bool]], after: list[Any]) -> Sql:
        """Rows after the previous page's last row, in the search's order (missing last)."""
        if len(after) != len(keys):
            raise InvalidRequestError("_page_token does not belong to this search's _sort")
        disjuncts: list[Sql] = []
        for i, (expr, descending, nullable) in enumerate(keys):
            if after[i] is None:
                continue  # only other missing values sort after a missing value
            step = Sql("")
            for prior, (prior_expr, _, _) in zip(after[:i], keys[:i], strict=True):
                step.text += f"{prior_expr.text} IS ? AND "
                step.args += [*prior_expr.args, prior]
            beyond = f"{expr.text} {'<' if descending else '>'} ?"
            step.text += f"({beyond} OR {expr.text} IS NULL)" if nullable else beyond
            step.args += [*expr.args, after[i]] + (expr.args if nullable else [])
            disjuncts.append(step)
        return _any(disjuncts) if disjuncts else Sql("0")


def _exact_join(pid: int, f: Filter) -> Sql | None:
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


def _column_token(f: Filter, column: str) -> Sql:
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
    test = Sql(f"{column} IN ({_marks(codes)})", codes) if codes else Sql("0")
    if any_code:
        test = Sql(f"{column} IS NOT NULL")
    if f.modifier == "not":
        return Sql(f"({column} IS NULL OR NOT {test.text})", test.args)
    return test


def _values_match(param: SearchParam, f: Filter) -> Sql:
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
            parts.append(_date_match(value, "low", "high"))
        elif isinstance(value, RangeValue):
            parts.append(_number_match(value))
    return _any(parts)


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
            tests.insert(0, Sql(f"{key} IN ({_marks(keys)})", keys))
        parts.append(_all(tests) if tests else Sql("1"))
    return _any(parts)


def _string_match(value: StringValue, modifier: str | None) -> Sql:
    if modifier == "exact":
        return Sql("exact = ?", [value.exact])
    if modifier == "contains":
        return Sql("instr(value, ?) > 0", [value.folded])
    return Sql("(value >= ? AND value < ?)", [value.folded, value.folded + "\U0010ffff"])


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
    return Sql("(" + " OR ".join(p.text for p in parts) + ")", _args(parts))


def _all(parts: list[Sql]) -> Sql:
    return Sql("(" + " AND ".join(p.text for p in parts) + ")", _args(parts))


def _negate(sql: Sql) -> Sql:
    return Sql(f"NOT {sql.text}", sql.args)


def _args(parts: Any) -> list[Any]:
    return [a for p in parts for a in p.args]


def _marks(values: list[Any]) -> str:
    return ", ".join("?" * len(values))


def _extend(sql: Sql, prefix: str, parts: list[Sql]) -> None:
    sql.text += prefix + " AND ".join(p.text for p in parts)
    sql.args += _args(parts)
