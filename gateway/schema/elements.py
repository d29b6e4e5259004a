"""GraphQL types for FHIR data types (Coding, CodeableConcept, Reference, ...), from JSON."""

from __future__ import annotations

from typing import Any

import strawberry

from gateway.schema.scalars import DateTime


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_datetime(value: Any) -> DateTime | None:
    """A FHIR date/time text as the DateTime scalar (FHIR's own text, unchanged)."""
    return DateTime(value) if isinstance(value, str) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@strawberry.type(description="A code from a code system.")
class Coding:
    system: str | None = strawberry.field(description="The code system's URI.")
    code: str | None = strawberry.field(description="The code within the system.")
    display: str | None = strawberry.field(description="Human text for the code.")

    @classmethod
    def from_fhir(cls, data: Any) -> Coding:
        data = data if isinstance(data, dict) else {}
        return cls(
            system=_str(data.get("system")),
            code=_str(data.get("code")),
            display=_str(data.get("display")),
        )


@strawberry.type(description="A concept given by codes and/or text.")
class CodeableConcept:
    coding: list[Coding] = strawberry.field(description="Codes for the concept.")
    text: str | None = strawberry.field(description="Plain text for the concept.")

    @classmethod
    def from_fhir(cls, data: Any) -> CodeableConcept | None:
        if not isinstance(data, dict):
            return None
        return cls(
            coding=[Coding.from_fhir(c) for c in _list(data.get("coding"))],
            text=_str(data.get("text")),
        )

    @classmethod
    def list_from_fhir(cls, data: Any) -> list[CodeableConcept]:
        return [c for c in (cls.from_fhir(item) for item in _list(data)) if c is not None]


@strawberry.type(description="A FHIR Reference as stored on the resource, unresolved.")
class Reference:
    reference: str | None = strawberry.field(description="'Type/id' or a URL, as stored.")
    type: str | None = strawberry.field(description="The type the reference points to.")
    display: str | None = strawberry.field(description="Text for the referenced resource.")

    @classmethod
    def from_fhir(cls, data: Any) -> Reference | None:
        if not isinstance(data, dict):
            return None
        return cls(
            reference=_str(data.get("reference")),
            type=_str(data.get("type")),
            display=_str(data.get("display")),
        )


@strawberry.type(description="A time range; either end may be open.")
class Period:
    start: DateTime | None = strawberry.field(description="Start, inclusive.")
    end: DateTime | None = strawberry.field(description="End, inclusive.")

    @classmethod
    def from_fhir(cls, data: Any) -> Period | None:
        if not isinstance(data, dict):
            return None
        return cls(start=as_datetime(data.get("start")), end=as_datetime(data.get("end")))


@strawberry.type(description="A person's name.")
class HumanName:
    text: str | None = strawberry.field(description="The full name as text.")
    family: str | None = strawberry.field(description="Family name.")
    given: list[str] = strawberry.field(description="Given names, in order.")

    @classmethod
    def list_from_fhir(cls, data: Any) -> list[HumanName]:
        return [
            cls(
                text=_str(name.get("text")),
                family=_str(name.get("family")),
                given=[g for g in _list(name.get("given")) if isinstance(g, str)],
            )
            for name in _list(data)
            if isinstance(name, dict)
        ]


def display_name(names: list[HumanName]) -> str | None:
    """'Given Family' of the first name, or its text."""
    for name in names:
        if name.text:
            return name.text
        parts = [*name.given, *([name.family] if name.family else [])]
        if parts:
            return " ".join(parts)
    return None


@strawberry.type(description="A note with its author and time.")
class Annotation:
    text: str = strawberry.field(description="The note's text (markdown).")
    time: DateTime | None = strawberry.field(description="When the note was made.")
    author_string: str | None = strawberry.field(description="The author, as text.")
    author_reference: Reference | None = strawberry.field(description="The author, as reference.")

    @classmethod
    def list_from_fhir(cls, data: Any) -> list[Annotation]:
        return [
            cls(
                text=_str(note.get("text")) or "",
                time=as_datetime(note.get("time")),
                author_string=_str(note.get("authorString")),
                author_reference=Reference.from_fhir(note.get("authorReference")),
            )
            for note in _list(data)
            if isinstance(note, dict)
        ]
