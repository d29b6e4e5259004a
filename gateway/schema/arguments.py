"""Client arguments checked and turned into FHIR values: any flaw is BAD_USER_INPUT at its path.

This is the one place where client text becomes an id, a reference or an element; the FHIR
layer below only says *that* a value is malformed (InvalidReferenceError), this says where.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

from gateway.errors import BadUserInputError
from gateway.fhir import InvalidReferenceError, Ref, parse_reference, validate_id
from gateway.routing import parse_moment

Element = dict[str, Any]

# R4 datatypes: code is "[^\s]+( [^\s]+)*"; a uri holds no whitespace; a versionId is an id.
_CODE: Final = re.compile(r"[^\s]+( [^\s]+)*")
_URI: Final = re.compile(r"\S+")


def argument_id(value: str, argument: str) -> str:
    """A client's bare FHIR id, checked before any URL is built."""
    try:
        return validate_id(value)
    except InvalidReferenceError as exc:
        raise BadUserInputError(f"{argument}: {exc}", argument=argument) from None


def moment_argument(value: str, argument: str) -> datetime:
    """A moment: a date-time with a zone (a date alone names no moment)."""
    try:
        return parse_moment(value)
    except ValueError:
        raise BadUserInputError(
            f"{argument}: give a date-time with a time zone, e.g. 2026-05-04T09:30:00-05:00",
            argument=argument,
        ) from None


def argument_ref(
    text: str,
    argument: str,
    *,
    types: frozenset[str] | None = None,
    bare_type: str | None = None,
) -> Ref:
    """'Type/id' (or, with ``bare_type``, a bare id of that type) of one of ``types``."""
    try:
        if bare_type is not None and "/" not in text:
            return Ref(bare_type, text)
        ref = parse_reference(text)
    except InvalidReferenceError as exc:
        raise BadUserInputError(f"{argument}: {exc}", argument=argument) from None
    allowed = types if bare_type is None else frozenset({bare_type})
    if allowed is not None and ref.type not in allowed:
        raise BadUserInputError(
            f"{argument}: must point to one of {', '.join(sorted(allowed))}", argument=argument
        )
    return ref


def version_id(value: str | None, argument: str) -> str | None:
    return None if value is None else argument_id(value, argument)


def reference(
    text: str,
    display: str | None,
    argument: str,
    *,
    types: frozenset[str] | None = None,
) -> Element:
    """A Reference element from 'Type/id'; ``argument`` names the ReferenceInput."""
    ref = argument_ref(text, f"{argument}.reference", types=types)
    element: Element = {"reference": str(ref)}
    if display is not None and display.strip():
        element["display"] = display
    return element


def target(element: Element) -> Ref:
    """The Ref of an element made by ``reference``."""
    return parse_reference(str(element["reference"]))


def concept(value: Element, argument: str) -> Element:
    """A CodeableConcept with checked codings, blank text and displays left out; never empty."""
    checked = _concept(value, argument)
    if not checked:
        raise BadUserInputError(f"{argument}: give a coding or text", argument=argument)
    return checked


def concepts(values: Iterable[Element], argument: str) -> list[Element]:
    return [concept(value, f"{argument}.{i}") for i, value in enumerate(values)]


def status_reason(value: Element | None, argument: str) -> Element | None:
    """A statusReason with checked codings; an empty one is None, for the workflow rules."""
    if value is None:
        return None
    return _concept(value, argument) or None


def text(value: str, argument: str) -> str:
    """A FHIR string that must say something (R4 strings are never empty)."""
    if not value.strip():
        raise BadUserInputError(f"{argument}: must not be blank", argument=argument)
    return value


def _concept(value: Element, argument: str) -> Element:
    checked: Element = {}
    codings = [_coding(c, f"{argument}.coding.{i}") for i, c in enumerate(value.get("coding", []))]
    if codings:
        checked["coding"] = codings
    words = value.get("text")
    if isinstance(words, str) and words.strip():
        checked["text"] = words
    return checked


def _coding(value: Element, argument: str) -> Element:
    code, system = value.get("code"), value.get("system")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise BadUserInputError(
            f"{argument}.code: a FHIR code has no leading, trailing or double whitespace",
            argument=f"{argument}.code",
        )
    coding: Element = {"code": code}
    if system is not None:
        if not isinstance(system, str) or not _URI.fullmatch(system):
            raise BadUserInputError(
                f"{argument}.system: a code system is a URI without whitespace",
                argument=f"{argument}.system",
            )
        coding = {"system": system, **coding}
    display = value.get("display")
    if isinstance(display, str) and display.strip():
        coding["display"] = display
    return coding
