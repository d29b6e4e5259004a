"""_elements: stored resources cut to the listed top-level elements, tagged SUBSETTED, in SQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gateway.store.matching import Sql

SUBSETTED = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
    "code": "SUBSETTED",
}
# Every subset keeps these (FHIR: _elements never drops the mandatory id and meta).
ALWAYS_KEPT = ("resourceType", "id", "meta")
_TAG = json.dumps(SUBSETTED, separators=(",", ":"))


# The stored text always holds resourceType, id and meta (FhirStore writes them first).
_HEAD = (
    """'{"resourceType":' || (v.json -> '$.resourceType') || ',"id":' || (v.json -> '$.id')"""
    """ || ',"meta":' || CASE json_type(v.json, '$.meta.tag')"""
    " WHEN 'array' THEN json_insert(v.json -> '$.meta', '$.tag[#]', json(?))"
    " ELSE json_set(v.json -> '$.meta', '$.tag', json_array(json(?))) END"
)
# One requested element: its member text, or nothing when the resource lacks it.
_MEMBER = " || coalesce(? || (v.json -> ?), '')"
# More than any resource type has; keeps the || chain far from SQLite's expression depth limit.
MAX_PROJECTED = 64


def projection(elements: Sequence[str]) -> Sql | None:
    """An SQL expression for ``v.json`` (a stored resource's text) cut to ``elements``, or
    None for more than MAX_PROJECTED elements or a name JSON escapes (SQLite's paths match
    names as written, escapes and all; no FHIR element has one). SQLite parses each text
    once (its JSON functions share the parse) and copies the kept values' text as stored:
    nothing is parsed into Python objects and serialised again."""
    wanted = sorted({*elements} - {*ALWAYS_KEPT})
    quoted = [json.dumps(name, ensure_ascii=False) for name in wanted]
    if len(wanted) > MAX_PROJECTED or any(
        f'"{n}"' != q for n, q in zip(wanted, quoted, strict=True)
    ):
        return None
    sql = Sql(_HEAD, [_TAG, _TAG])
    for text in quoted:
        sql.text += _MEMBER
        sql.args += [f",{text}:", f"$.{text}"]
    sql.text += " || '}'"
    return sql


def subset(text: str, elements: Sequence[str]) -> str:
    """``projection`` in Python: for the elements it cannot name, and for stored text SQLite
    does not read as JSON (Python's json.dumps writes a number too large for a double as
    Infinity)."""
    resource: dict[str, Any] = json.loads(text)
    kept = {k: v for k, v in resource.items() if k in elements or k in ALWAYS_KEPT}
    meta = dict(resource.get("meta") or {})
    tags = meta.get("tag")
    meta["tag"] = [*(tags if isinstance(tags, list) else []), SUBSETTED]
    kept["meta"] = meta
    return json.dumps(kept, ensure_ascii=False, separators=(",", ":"))
