"""SQLite's EXPLAIN QUERY PLAN lines read as steps, the same across the versions' wordings."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One table access of an EXPLAIN QUERY PLAN, read the same way from SQLite's older
    ("SCAN TABLE task_sort AS s") and newer ("SCAN s") wording."""

    operation: str  # SCAN or SEARCH
    table: str  # the table, its alias, or a subquery's name
    index: str | None  # the named index it uses
    primary_key: bool  # it seeks by the (integer) primary key
    keys: frozenset[str]  # the columns it seeks by


_STEP = re.compile(
    r"(?P<operation>SCAN|SEARCH)(?: TABLE)? (?P<table>\w+)(?: AS (?P<alias>\w+))?"
    r"(?: USING (?:(?:COVERING )?INDEX (?P<index>\w+)|(?P<pk>(?:INTEGER )?PRIMARY KEY)))?"
    r"(?: \((?P<keys>[^)]*)\))?"
)
_SUBQUERY = re.compile(r"(?:CO-ROUTINE|MATERIALIZE) (?:SUBQUERY )?(\w+)")


def steps(lines: list[str]) -> list[Step]:
    found = []
    for line in lines:
        match = _STEP.match(line.strip())
        if match is None:
            continue
        found.append(
            Step(
                operation=match["operation"],
                table=match["alias"] or match["table"],
                index=match["index"],
                primary_key=match["pk"] is not None,
                keys=frozenset(re.findall(r"(\w+)\s*[=<>]", match["keys"] or "")),
            )
        )
    return found


def full_scans(lines: list[str]) -> list[str]:
    """Steps that read a whole stored table: a SCAN with no index, of a table rather than of a
    subquery's rows."""
    subqueries = {m[1] for line in lines if (m := _SUBQUERY.match(line.strip()))}
    return [
        f"{step.operation} {step.table}"
        for step in steps(lines)
        if step.operation == "SCAN"
        and step.index is None
        and not step.primary_key
        and step.table not in subqueries
        and step.table != "SUBQUERY"
    ]
