"""Parse a search's query parameters into a SearchRequest, rejecting what the store cannot do."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gateway.store.errors import InvalidRequestError
from gateway.store.references import is_resource_type
from gateway.store.search_params import SearchParam, indexed_types, params_for
from gateway.store.search_values import (
    RangeValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    parse_date,
    parse_number,
    parse_reference_value,
    parse_string,
    parse_token,
    split_values,
    unescape,
)

DEFAULT_COUNT = 20
MAX_COUNT = 1000
MAX_OFFSET = 1_000_000_000
MAX_PAGE_TOKEN = 4096
# Bounds on the work one search may ask for.
MAX_FILTERS = 30
MAX_VALUES = 500  # comma-separated values of one parameter
MAX_INCLUDES = 10  # distinct _include and _revinclude directives
MAX_SORT_KEYS = 5
IGNORED = frozenset({"_format", "_pretty"})
_MODIFIERS = {
    "token": {"missing", "not"},
    "reference": {"missing"},
    "date": {"missing"},
    "string": {"missing", "exact", "contains"},
    "number": {"missing"},
}

Value = TokenValue | ReferenceValue | RangeValue | StringValue
TotalMode = Literal["none", "estimate", "accurate"]


@dataclass(frozen=True)
class Filter:
    """One parameter occurrence: its values are ORed; separate filters are ANDed. With
    ``chain``, ``param`` is a reference parameter and the filter is the chain's test."""

    param: SearchParam
    modifier: str | None
    values: tuple[Value, ...]
    missing: bool | None = None
    chain: Chain | None = None


@dataclass(frozen=True)
class Chain:
    """``ref[:Type].param=value``: the reference points at a live ``target_type`` resource
    that ``inner`` (a filter on that type) matches. One level deep only."""

    target_type: str
    inner: Filter


@dataclass(frozen=True)
class SortKey:
    param: SearchParam
    descending: bool


@dataclass(frozen=True)
class Include:
    """``_include`` (reverse=False) or ``_revinclude``: follow ``param`` of ``source_type``."""

    reverse: bool
    source_type: str
    param: SearchParam | None  # None: every reference parameter (`*`)
    target_type: str | None
    iterate: bool


@dataclass(frozen=True)
class SearchRequest:
    resource_type: str
    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    count: int = DEFAULT_COUNT
    count_clamped: bool = False
    offset: int = 0
    after: tuple[Any, ...] | None = None  # keyset: sort values and id of the previous page's end
    total: TotalMode | None = None
    summary_count: bool = False
    elements: tuple[str, ...] | None = None
    includes: tuple[Include, ...] = ()
    link_params: tuple[tuple[str, str], ...] = ()  # the query, without paging, for links


def parse_search(
    resource_type: str, params: Sequence[tuple[str, str]], *, base_url: str | None = None
) -> SearchRequest:
    known = params_for(resource_type)
    fields: dict[str, Any] = {"resource_type": resource_type}
    filters: list[Filter] = []
    includes: list[Include] = []
    links: list[tuple[str, str]] = []
    for raw_name, value in params:
        name, _, modifier = raw_name.partition(":")
        if name not in ("_page_token", "_offset"):
            links.append((raw_name, value))
        if name in IGNORED:
            continue
        if name in ("_include", "_revinclude"):
            includes.extend(_includes(name == "_revinclude", modifier, value))
        elif name in _CONTROLS:
            _CONTROLS[name](fields, value)
        elif "." in raw_name:
            if value != "":
                filters.append(_chained(resource_type, raw_name, value, base_url))
        elif name not in known:
            raise InvalidRequestError(f"Unknown search parameter {raw_name!r} for {resource_type}")
        elif value != "":
            filters.append(_filter(known[name], modifier or None, value, base_url))
        if len(filters) > MAX_FILTERS:
            raise InvalidRequestError(f"A search takes at most {MAX_FILTERS} parameters")
    includes = list(dict.fromkeys(includes))
    if len(includes) > MAX_INCLUDES:
        raise InvalidRequestError(
            f"A search takes at most {MAX_INCLUDES} _include and _revinclude directives"
        )
    return SearchRequest(
        **fields, filters=tuple(filters), includes=tuple(includes), link_params=tuple(links)
    )


def parse_conditional(resource_type: str, params: Sequence[tuple[str, str]]) -> SearchRequest:
    """The search of a conditional interaction (If-None-Exist): filters only, at least one,
    none blank, so it cannot match everything nor page past the resource it looks for."""
    for raw_name, value in params:
        name = raw_name.partition(":")[0]
        if name in _CONTROLS or name in ("_include", "_revinclude"):
            raise InvalidRequestError(f"{raw_name} is not allowed in conditional criteria")
        if value.strip() == "":
            raise InvalidRequestError(f"Conditional criteria {raw_name!r} has no value")
    request = parse_search(resource_type, [*params, ("_count", "2")])
    if not request.filters:
        raise InvalidRequestError("Conditional criteria must hold at least one search parameter")
    return request


def encode_page_token(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _filter(param: SearchParam, modifier: str | None, text: str, base_url: str | None) -> Filter:
    restriction = None
    if modifier is not None and modifier not in _MODIFIERS[param.type]:
        if param.type == "reference" and is_resource_type(modifier):
            restriction = modifier
        else:
            raise InvalidRequestError(
                f"Modifier :{modifier} is not supported on {param.type} parameter {param.name!r}"
            )
    if param.column is not None and modifier is not None:
        raise InvalidRequestError(f"Modifier :{modifier} is not supported on {param.name}")
    if modifier == "missing":
        if text not in ("true", "false"):
            raise InvalidRequestError(f"{param.name}:missing must be true or false, not {text!r}")
        return Filter(param, modifier, (), missing=text == "true")
    parts = split_values(text)
    if len(parts) > MAX_VALUES:
        raise InvalidRequestError(f"{param.name} takes at most {MAX_VALUES} values")
    values: list[Value] = []
    for part in parts:
        if param.type == "token":
            values.append(parse_token(part))
        elif param.type == "reference":
            restricted = restriction or (
                param.target_types[0] if len(param.target_types) == 1 else None
            )
            values.append(
                parse_reference_value(part, base_url=base_url, type_restriction=restricted)
            )
        elif param.type == "date":
            values.append(parse_date(part))
        elif param.type == "number":
            values.append(parse_number(part))
        else:
            values.append(parse_string(part))
    return Filter(param, None if restriction else modifier, tuple(values))


def _chained(resource_type: str, raw_name: str, text: str, base_url: str | None) -> Filter:
    """``ref[:Type].param[:modifier]``: a chained search on a reference parameter."""
    head, _, tail = raw_name.partition(".")
    name, _, restriction = head.partition(":")
    param = params_for(resource_type).get(name)
    if param is None or param.type != "reference":
        raise InvalidRequestError(
            f"Chained search needs a reference parameter of {resource_type}, not {name!r}"
        )
    if "." in tail:
        raise InvalidRequestError(f"Chained search goes one level deep, not {raw_name!r}")
    inner_name, _, inner_modifier = tail.partition(":")
    if restriction:
        if not is_resource_type(restriction):
            raise InvalidRequestError(f"Not a resource type in {raw_name!r}")
        targets = [restriction]
    elif param.target_types:
        targets = list(param.target_types)
    else:
        targets = [t for t in indexed_types() if inner_name in params_for(t)]
    if len(targets) != 1:
        raise InvalidRequestError(
            f"Chained parameter {raw_name!r} could mean several resource types: name one, "
            f"as in {name}:Practitioner.{tail}"
        )
    inner_param = params_for(targets[0]).get(inner_name)
    if inner_param is None:
        raise InvalidRequestError(f"Unknown search parameter {inner_name!r} for {targets[0]}")
    inner = _filter(inner_param, inner_modifier or None, text, base_url)
    return Filter(param, None, (), chain=Chain(targets[0], inner))


def _includes(reverse: bool, modifier: str, text: str) -> list[Include]:
    if modifier not in ("", "iterate", "recurse"):
        raise InvalidRequestError(f"Modifier :{modifier} is not supported on _include")
    iterate = modifier != ""
    if text == "*" and not reverse:
        return [Include(False, "*", None, None, iterate)]
    parts = text.split(":")
    if len(parts) not in (2, 3) or not is_resource_type(parts[0]):
        raise InvalidRequestError(f"Not an include value: {text!r} (expected Type:param[:Target])")
    source, name = parts[0], parts[1]
    target = parts[2] if len(parts) == 3 else None
    if target is not None and not is_resource_type(target):
        raise InvalidRequestError(f"Not a resource type in {text!r}")
    if name == "*":
        return [Include(reverse, source, None, target, iterate)]
    param = params_for(source).get(name)
    if param is None or param.type != "reference":
        raise InvalidRequestError(f"{source} has no reference search parameter {name!r}")
    return [Include(reverse, source, param, target, iterate)]


def _sort(fields: dict[str, Any], text: str) -> None:
    known = params_for(fields["resource_type"])
    items = text.split(",")
    if len(items) > MAX_SORT_KEYS:
        raise InvalidRequestError(f"_sort takes at most {MAX_SORT_KEYS} keys")
    keys = []
    for item in items:
        descending = item.startswith("-")
        name = item.removeprefix("-")
        param = known.get(name)
        if param is None or param.type == "reference":
            raise InvalidRequestError(f"Cannot sort {fields['resource_type']} by {name!r}")
        keys.append(SortKey(param, descending))
    fields["sort"] = tuple(keys)


def _count(fields: dict[str, Any], text: str) -> None:
    count = _non_negative("_count", text)
    fields["count"] = min(count, MAX_COUNT)
    fields["count_clamped"] = count > MAX_COUNT


def _offset(fields: dict[str, Any], text: str) -> None:
    offset = _non_negative("_offset", text)
    if offset > MAX_OFFSET:
        raise InvalidRequestError(f"_offset must be at most {MAX_OFFSET}")
    fields["offset"] = offset


def _page_token(fields: dict[str, Any], text: str) -> None:
    bad = InvalidRequestError("_page_token is not a page token of this server")
    if len(text) > MAX_PAGE_TOKEN:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as exc:
        raise bad from exc
    if not isinstance(values, list) or not values or not isinstance(values[-1], str):
        raise bad
    if not all(_is_key_value(v) for v in values):
        raise bad
    fields["after"] = tuple(values)


def _is_key_value(value: Any) -> bool:
    """A sort value SQLite can compare: text, a 64-bit integer, a finite real, or missing."""
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, float) and math.isfinite(value)


def _total(fields: dict[str, Any], text: str) -> None:
    if text not in ("none", "estimate", "accurate"):
        raise InvalidRequestError(f"_total must be none, estimate or accurate, not {text!r}")
    fields["total"] = text


def _summary(fields: dict[str, Any], text: str) -> None:
    # Only count changes the answer; true/text/data return whole resources, which is allowed.
    if text not in ("true", "false", "text", "data", "count"):
        raise InvalidRequestError(f"_summary {text!r} is not supported")
    fields["summary_count"] = text == "count"


def _elements(fields: dict[str, Any], text: str) -> None:
    fields["elements"] = tuple(unescape(e).strip() for e in text.split(",") if e.strip())


def _non_negative(name: str, text: str) -> int:
    # ASCII digits only (str.isdigit also takes superscripts and other scripts' digits), and
    # few enough for SQLite's 64-bit integers.
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise InvalidRequestError(
            f"{name} must be a non-negative integer below 10^18, not {text[:40]!r}"
        )
    return int(text)


_CONTROLS = {
    "_sort": _sort,
    "_count": _count,
    "_offset": _offset,
    "_page_token": _page_token,
    "_total": _total,
    "_summary": _summary,
    "_elements": _elements,
}
