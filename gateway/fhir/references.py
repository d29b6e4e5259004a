"""FHIR ids and 'Type/id' references: the only way client text becomes part of a FHIR URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")


class InvalidReferenceError(ValueError):
    """Text that is not a FHIR id or a 'Type/id' reference this gateway may follow."""


def is_valid_id(value: str) -> bool:
    # '.' and '..' match the R4 id grammar, but a URL resolver turns 'Task/..' into the base URL.
    return _ID.fullmatch(value) is not None and value not in {".", ".."}


def is_valid_type(value: str) -> bool:
    return _TYPE.fullmatch(value) is not None


def validate_id(value: str) -> str:
    if not is_valid_id(value):
        raise InvalidReferenceError("not a FHIR id: 1-64 of A-Z a-z 0-9 - .")
    return value


def validate_type(value: str) -> str:
    if not is_valid_type(value):
        raise InvalidReferenceError("not a FHIR resource type")
    return value


@dataclass(frozen=True, order=True)
class Ref:
    """A validated reference to one resource on the configured FHIR server."""

    type: str
    id: str

    def __post_init__(self) -> None:
        validate_type(self.type)
        validate_id(self.id)

    def __str__(self) -> str:
        return f"{self.type}/{self.id}"

    @property
    def path(self) -> str:
        """The URL path relative to the FHIR base; safe because both parts are validated."""
        return f"{self.type}/{self.id}"


def parse_reference(text: str, *, base_url: str | None = None) -> Ref:
    """Parse 'Type/id' (optionally '/_history/v'), or an absolute URL on ``base_url`` itself.

    An absolute URL to any other server is refused: following it would send our
    credentials to a host the operator never configured.
    """
    value = text.strip()
    if "://" in value:
        if base_url is None or not _same_base(value, base_url):
            raise InvalidReferenceError("absolute references to another server are not followed")
        value = value[len(base_url.rstrip("/")) + 1 :]
    parts = value.split("/")
    if len(parts) == 4 and parts[2] == "_history" and is_valid_id(parts[3]):
        parts = parts[:2]
    if len(parts) != 2:
        raise InvalidReferenceError("a reference must look like 'Type/id'")
    return Ref(validate_type(parts[0]), validate_id(parts[1]))


def try_parse_reference(text: str | None, *, base_url: str | None = None) -> Ref | None:
    """A stored reference that cannot be followed (contained, another host, garbled) is None."""
    if not text:
        return None
    try:
        return parse_reference(text, base_url=base_url)
    except InvalidReferenceError:
        return None


def _same_base(url: str, base_url: str) -> bool:
    parts = urlsplit(url)
    return same_origin_and_prefix(url, base_url) and not parts.query and not parts.fragment


def same_origin_and_prefix(url: str, base_url: str) -> bool:
    """True when ``url`` lies under ``base_url``: same scheme, host, port and path prefix."""
    target, base = urlsplit(url), urlsplit(base_url.rstrip("/") + "/")
    return (
        target.scheme == base.scheme
        and target.hostname == base.hostname
        and target.port == base.port
        and (target.path + "/").startswith(base.path)
        and "/../" not in target.path + "/"
    )
