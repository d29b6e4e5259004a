"""Parsing one search parameter value: tokens, references, dates, numbers, strings, escapes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from gateway.fhir import DateTimeFormatError
from gateway.store.dates import date_range
from gateway.store.errors import InvalidRequestError
from gateway.store.indexing import normalize_string
from gateway.store.references import is_resource_id, parse_reference

PREFIXES = frozenset({"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"})
_PREFIXED = re.compile(r"(?P<prefix>[a-z]{2})?(?P<value>.+)")


@dataclass(frozen=True)
class TokenValue:
    """``system`` None: any system; '' : no system. ``code`` None: any code of the system."""

    system: str | None
    code: str | None


@dataclass(frozen=True)
class ReferenceValue:
    """``type`` None: any type; '' : an absolute URL or urn kept whole in ``id``."""

    type: str | None
    id: str


@dataclass(frozen=True)
class RangeValue:
    """A date or number comparison: the value's range [low, high] at its precision."""

    prefix: str
    low: float
    high: float


@dataclass(frozen=True)
class StringValue:
    folded: str
    exact: str


def split_values(text: str, separator: str = ",") -> list[str]:
    """Split on unescaped separators, keeping escapes (FHIR 3.1.1.5.7: \\, \\| \\$ \\\\)."""
    parts, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_token(text: str) -> TokenValue:
    parts = split_values(text, "|")
    if len(parts) == 1:
        return TokenValue(None, unescape(parts[0]))
    if len(parts) == 2:
        return TokenValue(unescape(parts[0]), unescape(parts[1]) or None)
    raise InvalidRequestError(f"Token value {text!r} has more than one '|'")


def parse_reference_value(
    text: str, *, base_url: str | None, type_restriction: str | None
) -> ReferenceValue:
    value = unescape(text)
    if base_url and value.startswith(base_url.rstrip("/") + "/"):
        value = value[len(base_url.rstrip("/")) + 1 :]
    reference = parse_reference(value)
    if reference is not None and reference.kind == "local":
        if type_restriction and reference.type != type_restriction:
            # `subject:Patient=Group/1` asks for something that cannot exist.
            return ReferenceValue(reference.type, "\x00")
        return ReferenceValue(reference.type, reference.id)
    if reference is not None and reference.kind in ("absolute", "urn"):
        return ReferenceValue("", value)
    if is_resource_id(value):
        return ReferenceValue(type_restriction, value)
    raise InvalidRequestError(f"Not a reference search value: {text!r}")


def parse_date(text: str) -> RangeValue:
    prefix, value = _split_prefix(text)
    try:
        low, high = date_range(value)
    except DateTimeFormatError as exc:
        raise InvalidRequestError(f"Not a date search value: {text!r}") from exc
    return RangeValue(prefix, low, high)


def parse_number(text: str) -> RangeValue:
    prefix, value = _split_prefix(text)
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise InvalidRequestError(f"Not a number search value: {text!r}") from exc
    if not number.is_finite():
        raise InvalidRequestError(f"Not a number search value: {text!r}")
    # The implicit range of a number is half a unit of its last significant digit (3.1.1.5.1).
    exponent = number.as_tuple().exponent
    half = Decimal(5).scaleb(int(exponent) - 1)
    return RangeValue(prefix, float(number - half), float(number + half))


def parse_string(text: str) -> StringValue:
    value = unescape(text)
    return StringValue(normalize_string(value), value)


def _split_prefix(text: str) -> tuple[str, str]:
    match = _PREFIXED.fullmatch(text)
    if match is None:
        raise InvalidRequestError(f"Empty search value: {text!r}")
    prefix, value = match.group("prefix"), match.group("value")
    if prefix is None:
        return "eq", text
    if prefix not in PREFIXES:
        raise InvalidRequestError(f"Unknown search prefix {prefix!r} in {text!r}")
    return prefix, value
