"""Reference.reference kinds as the store indexes them; local ones through gateway.fhir's parser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from gateway.fhir import InvalidReferenceError, is_valid_id, is_valid_type
from gateway.fhir import parse_reference as parse_local_reference

_UUID = re.compile(
    r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_OID = re.compile(r"urn:oid:[0-2](?:\.(?:0|[1-9]\d*))+")

ReferenceKind = Literal["local", "contained", "urn", "absolute"]


@dataclass(frozen=True)
class Reference:
    """A parsed reference: ``local`` has type and id; the other kinds keep the text in ``id``."""

    kind: ReferenceKind
    type: str
    id: str


# One id and type grammar for the whole gateway.
is_resource_type = is_valid_type
is_resource_id = is_valid_id


def parse_reference(text: str) -> Reference | None:
    """The reference in ``text``, or None when it is not a well-formed FHIR reference."""
    if text != text.strip():
        return None
    if text.startswith("#"):
        return Reference("contained", "", text) if is_resource_id(text[1:] or "x") else None
    if _UUID.fullmatch(text) or _OID.fullmatch(text):
        return Reference("urn", "", text)
    if _is_absolute_url(text):
        return Reference("absolute", "", text)
    try:
        local = parse_local_reference(text)
    except InvalidReferenceError:
        return None
    return Reference("local", local.type, local.id)


def _is_absolute_url(text: str) -> bool:
    if any(ch.isspace() for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
