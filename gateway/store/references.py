"""FHIR resource types, ids and Reference.reference strings: the one parser the store uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from gateway.fhir.references import is_valid_id, is_valid_type

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_UUID = re.compile(
    r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_OID = re.compile(r"urn:oid:[0-2](?:\.(?:0|[1-9]\d*))+")
_LOCAL = re.compile(r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[^/]+)(?:/_history/(?P<version>[^/]+))?")

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
    local = _LOCAL.fullmatch(text)
    if local is not None:
        version = local.group("version")
        if not is_resource_id(local.group("id")):
            return None
        if version is not None and not is_resource_id(version):
            return None
        return Reference("local", local.group("type"), local.group("id"))
    if text.startswith("#"):
        return Reference("contained", "", text) if _ID.fullmatch(text[1:] or "x") else None
    if _UUID.fullmatch(text) or _OID.fullmatch(text):
        return Reference("urn", "", text)
    if _is_absolute_url(text):
        return Reference("absolute", "", text)
    return None


def _is_absolute_url(text: str) -> bool:
    if any(ch.isspace() for ch in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)
