"""Translate a SearchRequest into parametrized SQL over the typed index tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gateway.store.errors import InvalidRequestError
from gateway.store.matching import (
    Sql,
    all_of,
    any_of,
    args_of,
    column_token,
    date_match,
    exact_join,
    extend,
    marks,
    negate,
    values_match,
)
from gateway.store.search_params import SORT_TABLES
from gateway.store.search_request import Chain, Filter, SearchRequest, SortKey
from gateway.store.search_values import RangeValue, TokenValue

# Per parameter type: the index table, its value column, its index by resource.
_TABLES = {
    "token": ("token_idx", "code", "token_by_resource"),
    "reference": ("reference_idx", "target_id", "reference_by_resource"),
    "date": ("date_idx", "low", "date_by_resource"),
    "string": ("string_idx", "value", "string_by_resource"),
    "number": ("number_idx", "value", "number_by_resource"),
}
# How selective a filter of each kind usually is; the most selective one drives the query.
_DRIVER_RANK = {"reference": 1, "token": 2, "string": 4, "date": 5, "number": 6}


_Key = tuple[Sql, bool, bool]  # sort expression, descending, may be missing


@dataclass
class _Condition:
    probe: Sql  # a test of one candidate row
    driver: Sql | None = None  # the same test as ``rid IN (...)``, to start from
    join: Sql | None = None  # the same test on index table ``join_table`` (``d``) joined first
    join_table: str = ""
    rids: Sql | None = None  # the rids the driver selects
    rank: tuple[int, int] = (99, 0)
    cheap: bool = False  # a test of columns already at hand (resources, sort table)
    on_sort_row: Sql | None = None  # the same test of the sort row alone, free to seek its index


class QueryBuilder:
    """Builds the queries of one search. The plans:

    - walk: read the first rows of an index in the search's order and test every filter on
      each; tried first when the most selective filter would start from many rows;
    - driven: start from the index rows of the most selective filter (joined, or as a rid
      set), test the others per row, then sort what is left;
    - with no filter to start from: read the type in the order of an index, or sort it."""

    def __init__(self, request: SearchRequest, param_ids: Mapping[tuple[str, str], int]) -> None:
        self.request = request
        self._pids = param_ids
        self._type = request.resource_type
        self._sort_table = SORT_TABLES.get(self._type)
        # Probes name the rid of the sort table when there is one: SQLite then runs them as
        # soon as the sort row is read, before the resources row.
        self._rid = "s.rid" if self._sort_table else "r.rid"
        # Ties break on the id of the table whose index orders the leading keys.
        by_sort_table = bool(request.sort) and all(k.param.sort_column for k in request.sort)
        self._tie = "s.id" if self._sort_table and by_sort_table else "r.id"
        self._conditions = [self._condition(f) for f in request.filters]
        candidates = [c for c in self._conditions if c.driver is not None]
        self._driver = min(candidates, key=lambda c: c.rank) if candidates else None
        if request.after is not None and len(request.after) != len(self._sort_exprs()):
            raise InvalidRequestError("_page_token does not belong to this search's _sort")

    def page(self, *, limit: int) -> Sql:
        keys = self._sort_exprs()
        where = self._where(with_driver=True)
        if self.request.after is not None:
            where.append(self._keyset(keys, list(self.request.after)))
        return self._select(Sql(self._from(sorted_walk=True)), where, keys, limit)

    def count(self) -> Sql:
        tests = [c.on_sort_row for c in self._conditions]
        if self._sort_table and not any(t is None for t in tests):
            # The sort table has one row per live resource of its type (index_tables), so a
            # search that only tests its columns is counted from its indexes alone.
            sql = Sql(f"SELECT count(*) FROM {self._sort_table} s")
            if self._conditions:
                extend(sql, " WHERE ", [t for t in tests if t is not None])
            return sql
        source = self._from(sorted_walk=False) if self._conditions else "resources r"
        sql = Sql(f"SELECT count(*) FROM {source}")
        extend(sql, " WHERE ", self._where(with_driver=True))
        return sql

    def can_walk(self) -> bool:
        """Whether a first page may be looked for among the first rows of an index in the
        search's order (see ``walk``) before the most selective filter drives instead."""
        driven = self._driver is not None and self._driver.rids is not None
        return driven and self.request.offset == 0 and bool(self._walk_keys()[1])

    def driver_size(self, cap: int) -> Sql:
        """How many index rows the driving filter starts from, counted up to ``cap``."""
        rids = self._driver.rids if self._driver is not None else None
        if rids is None:
            raise ValueError("this search has no filter to drive it")
        return Sql(f"SELECT count(*) FROM ({rids.text} LIMIT ?)", [*rids.args, cap])

    def walk_head(self, rows: int, *, columns: str = "rid", offset: int = 0) -> Sql:
        """The first ``rows`` rows in the order of the search's leading sort keys that one
        table holds: the sort table, or resources (_id, _lastUpdated, and the default _id)."""
        table, keys = self._walk_keys()
        order = _order(keys)
        if table == "resources":
            where = [Sql("r.type = ?", [self._type]), Sql("r.deleted = 0")]
            sql = Sql(f"SELECT {columns} FROM resources r")
        else:
            where = []
            sql = Sql(f"SELECT {columns} FROM {table} s")
        if self.request.after is not None:
            # A later page: its head starts at the previous page's last row (ties included).
            # The unary + keeps SQLite from splitting the OR over indexes and then sorting;
            # a bound on a first key that is never missing still lets it seek.
            after = list(self.request.after[: len(keys)])
            start = any_of([self._keyset(keys, after), _same(keys, after)])
            where.append(Sql(f"+({start.text})", start.args))
            first, descending, nullable = keys[0]
            if not nullable:
                where.append(Sql(f"{first.text} {'<=' if descending else '>='} ?", [after[0]]))
        if where:
            extend(sql, " WHERE ", where)
        sql.text += f" ORDER BY {order.text} LIMIT ? OFFSET ?"
        sql.args += [*order.args, rows, offset]
        return sql

    def walk_boundary(self, rows: int) -> Sql:
        """The leading sort keys of the ``rows``-th row of ``walk_head``."""
        _, keys = self._walk_keys()
        return self.walk_head(1, columns=", ".join(k.text for k, _, _ in keys), offset=rows - 1)

    def walk(self, *, limit: int, rows: int, boundary: Sequence[Any] | None) -> Sql:
        """The page among the rows of ``walk_head``: cheap when matches are dense at the top
        (a work queue), and complete when it finds ``limit`` rows, since every row sorting
        strictly before ``boundary`` is in the head."""
        _, keys = self._walk_keys()
        head = self.walk_head(rows)
        source = Sql(f"({head.text}) h", head.args)
        if self._sort_table:
            source.text += f" CROSS JOIN {self._sort_table} s ON s.rid = h.rid"
        source.text += " CROSS JOIN resources r ON r.rid = h.rid"
        where = self._where(with_driver=False)
        if self.request.after is not None:
            where.append(self._keyset(self._sort_exprs(), list(self.request.after)))
        if boundary is not None:
            where.append(_before(keys, list(boundary)))
        return self._select(source, where, self._sort_exprs(), limit)

    def _select(self, source: Sql, where: list[Sql], keys: list[_Key], limit: int) -> Sql:
        columns = ", ".join(["r.rid", "r.id", *(k.text for k, _, _ in keys)])
        sql = Sql(f"SELECT {columns} FROM {source.text}", [*args_of(k for k, _, _ in keys)])
        sql.args += source.args
        extend(sql, " WHERE ", where)
        order = _order(keys)
        sql.text += f" ORDER BY {order.text} LIMIT ? OFFSET ?"
        sql.args += [*order.args, limit, self.request.offset]
        return sql

    def _walk_keys(self) -> tuple[str, list[_Key]]:
        """The table whose index can order the head, and the leading sort keys it holds."""
        pairs = list(zip(self.request.sort, self._sort_exprs(), strict=False))
        if self._sort_table and pairs and pairs[0][0].param.sort_column:
            leading = _prefix(pairs, lambda k: bool(k.param.sort_column))
            whole = len(leading) == len(pairs)
            return self._sort_table, self._sort_exprs() if whole else leading
        leading = _prefix(pairs, lambda k: k.param.column is not None)
        if len(leading) == len(pairs):
            return "resources", self._sort_exprs(tie="r.id")
        return "resources", leading

    def _from(self, *, sorted_walk: bool) -> str:
        # CROSS JOIN fixes the join order in SQLite: the left table is the outer loop.
        sort = self._sort_table
        if self._driver is not None and self._driver.join is not None:
            middle = f" CROSS JOIN {sort} s ON s.rid = d.rid" if sort else ""
            return f"{self._driver.join_table} d{middle} CROSS JOIN resources r ON r.rid = d.rid"
        if not sort:
            return "resources r"
        first = self.request.sort[0].param if self.request.sort else None
        if self._driver is None and sorted_walk and first is not None and first.sort_column:
            return f"{sort} s CROSS JOIN resources r ON r.rid = s.rid"
        return f"resources r JOIN {sort} s ON s.rid = r.rid"

    def _where(self, *, with_driver: bool) -> list[Sql]:
        driver = self._driver if with_driver else None
        # The unary + keeps SQLite from reading the type's id index when a filter should drive.
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
        if f.chain is not None:
            return self._chained(f, f.chain)
        if param.column == "id":
            ids = [v.code for v in f.values if isinstance(v, TokenValue)]
            sql = Sql(f"r.id IN ({marks(ids)})", ids)
            return _Condition(sql, sql, rank=(0, len(ids)), cheap=True)
        if param.column == "last_updated":
            ranges = [v for v in f.values if isinstance(v, RangeValue)]
            test = any_of([date_match(v, "last_updated", "last_updated") for v in ranges])
            rids = Sql(f"SELECT rid FROM resources WHERE type = ? AND {test.text}")
            rids.args += [self._type, *test.args]
            probe = any_of([date_match(v, "r.last_updated", "r.last_updated") for v in ranges])
            driver = Sql(f"r.rid IN ({rids.text})", rids.args)
            return _Condition(probe, driver, rids=rids, rank=(5, len(ranges)), cheap=True)
        if param.type == "token" and param.sort_column and self._sort_table:
            # The unary + keeps SQLite from seeking the column's sort index for a probe: the
            # driver below does that when the codes are selective enough.
            probe = column_token(f, f"+s.{param.sort_column}")
            on_row = column_token(f, f"s.{param.sort_column}")
            if f.missing is not None or f.modifier == "not":
                return _Condition(probe, cheap=True, on_sort_row=on_row)
            test = column_token(f, param.sort_column)
            rids = Sql(f"SELECT rid FROM {self._sort_table} WHERE {test.text}", test.args)
            driver = Sql(f"r.rid IN ({rids.text})", rids.args)
            return _Condition(
                probe, driver, rids=rids, rank=(3, len(f.values)), cheap=True, on_sort_row=on_row
            )
        table, _, by_resource = _TABLES[param.type]
        pid = self._pids[self._type, param.name]
        rid = self._rid
        # A probe must seek by resource: left to itself, SQLite may pick a value index and
        # scan a whole range per candidate row.
        probe_from = f"{table} INDEXED BY {by_resource}"
        if f.missing is not None:
            exists = Sql(
                f"EXISTS (SELECT 1 FROM {probe_from} WHERE rid = {rid} AND pid = ?)", [pid]
            )
            if f.missing:
                return _Condition(negate(exists))
            rids = Sql(f"SELECT DISTINCT rid FROM {table} WHERE pid = ?", [pid])
            driver = Sql(f"r.rid IN ({rids.text})", rids.args)
            return _Condition(exists, driver, rids=rids, rank=(7, 1))
        match = values_match(param, f)
        probe = Sql(
            f"EXISTS (SELECT 1 FROM {probe_from} WHERE rid = {rid} AND pid = ? AND {match.text})",
            [pid, *match.args],
        )
        if f.modifier == "not":
            return _Condition(negate(probe))
        rids = Sql(f"SELECT rid FROM {table} WHERE pid = ? AND {match.text}", [pid, *match.args])
        driver = Sql(f"r.rid IN ({rids.text})", rids.args)
        rank = _DRIVER_RANK[param.type] + (4 if f.modifier == "contains" else 0)
        join = exact_join(pid, f)
        return _Condition(probe, driver, join, table, rids, rank=(rank, len(f.values)))

    def _chained(self, f: Filter, chain: Chain) -> _Condition:
        """The reference's index rows whose target is among the ids of the target type's
        live resources that the inner filter matches, found through that type's own indexes;
        SQLite runs the uncorrelated id list once per query."""
        inner = QueryBuilder(SearchRequest(chain.target_type, filters=(chain.inner,)), self._pids)
        targets = Sql(f"SELECT r.id FROM {inner._from(sorted_walk=False)}")
        extend(targets, " WHERE ", inner._where(with_driver=True))
        pid = self._pids[self._type, f.param.name]
        test = Sql(
            f"pid = ? AND target_type = ? AND target_id IN ({targets.text})",
            [pid, chain.target_type, *targets.args],
        )
        probe = Sql(
            "EXISTS (SELECT 1 FROM reference_idx INDEXED BY reference_by_resource "
            f"WHERE rid = {self._rid} AND {test.text})",
            test.args,
        )
        rids = Sql(f"SELECT rid FROM reference_idx WHERE {test.text}", test.args)
        driver = Sql(f"r.rid IN ({rids.text})", rids.args)
        return _Condition(probe, driver, rids=rids, rank=(4, 1))

    def _sort_exprs(self, tie: str | None = None) -> list[_Key]:
        """The sort keys, ending with the id that breaks ties."""
        keys: list[_Key] = []
        for key in self.request.sort:
            nullable = key.param.column is None and key.param.derive is None
            keys.append((self._sort_expr(key), key.descending, nullable))
        if not any(k.param.column == "id" for k in self.request.sort):
            keys.append((Sql(tie or self._tie), False, False))
        return keys

    def _sort_expr(self, key: SortKey) -> Sql:
        param = key.param
        if param.column is not None:
            return Sql(f"r.{param.column}")
        if param.sort_column is not None and self._sort_table:
            return Sql(f"s.{param.sort_column}")
        table, column, by_resource = _TABLES[param.type]
        aggregate = "max" if key.descending else "min"
        return Sql(
            f"(SELECT {aggregate}({column}) FROM {table} INDEXED BY {by_resource} "
            "WHERE rid = r.rid AND pid = ?)",
            [self._pids[self._type, param.name]],
        )

    def _keyset(self, keys: list[_Key], after: list[Any]) -> Sql:
        """Rows after the previous page's last row, in the search's order (missing last)."""
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
        return any_of(disjuncts) if disjuncts else Sql("0")


def _order(keys: list[_Key]) -> Sql:
    parts: list[Sql] = []
    for expr, descending, nullable in keys:
        # SQLite sorts NULL first ascending and last descending; missing values go last.
        if nullable and not descending:
            parts.append(Sql(f"{expr.text} IS NULL", expr.args))
        parts.append(Sql(expr.text + (" DESC" if descending else ""), expr.args))
    return Sql(", ".join(p.text for p in parts), args_of(parts))


def _before(keys: list[_Key], boundary: list[Any]) -> Sql:
    """Rows whose leading sort keys come strictly before ``boundary`` (missing values last)."""
    disjuncts = []
    for i, (expr, descending, _) in enumerate(keys):
        step = Sql("")
        for prior, (prior_expr, _, _) in zip(boundary[:i], keys[:i], strict=True):
            step.text += f"{prior_expr.text} IS ? AND "
            step.args += [*prior_expr.args, prior]
        if boundary[i] is None:
            step.text += f"{expr.text} IS NOT NULL"
            step.args += expr.args
        else:
            step.text += f"{expr.text} {'>' if descending else '<'} ?"
            step.args += [*expr.args, boundary[i]]
        disjuncts.append(step)
    return any_of(disjuncts)


def _prefix(pairs: list[tuple[SortKey, _Key]], keep: Callable[[SortKey], bool]) -> list[_Key]:
    leading = []
    for key, expr in pairs:
        if not keep(key):
            break
        leading.append(expr)
    return leading


def _same(keys: list[_Key], values: list[Any]) -> Sql:
    parts = [
        Sql(f"{expr.text} IS ?", [*expr.args, value])
        for (expr, _, _), value in zip(keys, values, strict=True)
    ]
    return all_of(parts)
