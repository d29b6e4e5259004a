"""FHIR elements built from client values, checked first: any flaw is BAD_USER_INPUT at its path."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

from gateway.errors import BadUserInputError
from gateway.fhir import InvalidReferenceError, Ref, parse_reference
from gateway.fhir.references import checked_id

Element = dict[str, Any]

# R4 Task.owner, Task.requester and Annotation.author[x] name the types they may point to.
OWNER_TYPES: Final = frozenset(
    {
        "Practitioner",
        "PractitionerRole",
        "Organization",
        "CareTeam",
        "HealthcareService",
        "Patient",
        "Device",
        "RelatedPerson",
    }
)
REQUESTER_TYPES: Final = frozenset(
    {"Device", "Organization", "Patient", "Practitioner", "PractitionerRole", "RelatedPerson"}
)
AUTHOR_TYPES: Final = frozenset({"Practitioner", "Patient", "RelatedPerson", "Organization"})

# R4 datatypes: code is "[^\s]+( [^\s]+)*"; a uri holds no whitespace; a versionId is an id.
_CODE: Final = re.compile(r"[^\s]+( [^\s]+)*")
_URI: Final = re.compile(r"\S+")


def version_id(value: str | None, argument: str) -> str | None:
    if value is None:
        return None
    return checked_id(value, argument)


def reference(
    text: str,
    display: str | None,
    argument: str,
    *,
    types: frozenset[str] | None = None,
) -> Element:
    """A Reference element from 'Type/id'; ``argument`` names the ReferenceInput."""
    try:
        ref = parse_reference(text)
    except InvalidReferenceError as exc:
        raise BadUserInputError(
            f"{argument}.reference: {exc}", argument=f"{argument}.reference"
        ) from None
    if types is not None and ref.type not in types:
        raise BadUserInputError(
            f"{argument}.reference: must point to one of {', '.join(sorted(types))}",
            argument=f"{argument}.reference",
        )
    element: Element = {"reference": str(ref)}
    if display is not None and display.strip():
        element["display"] = display
    return element


def reference_target(element: Element) -> Ref:
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
