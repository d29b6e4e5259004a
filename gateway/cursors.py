"""Opaque page cursors: encrypted and authenticated (Fernet), bound to the query they page.

A cursor can hold a FHIR server's next link, whose query names patients: clients and
any log in between see only ciphertext, and an edited cursor fails authentication.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from gateway.errors import BadUserInputError


class CursorCodec:
    """Seals cursor payloads with a key derived from GATEWAY_CURSOR_SECRET."""

    def __init__(self, secret: SecretStr) -> None:
        key = hashlib.sha256(b"gateway-cursor:" + secret.get_secret_value().encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encode(self, position: dict[str, Any], *, query: str) -> str:
        payload = json.dumps({"p": position, "q": _fingerprint(query)}, separators=(",", ":"))
        return self._fernet.encrypt(payload.encode()).decode().rstrip("=")

    def later(self, position: dict[str, Any], *, query: str) -> Cursor:
        """A cursor sealed only when a client reads it: a page of nodes needs no encryption."""
        return Cursor(self, position, query)

    def decode(self, cursor: str, *, query: str, argument: str = "after") -> dict[str, Any]:
        """The position, or BAD_USER_INPUT if the cursor was edited or belongs to another query."""
        invalid = BadUserInputError("The cursor is not valid for this query", argument=argument)
        try:
            raw = self._fernet.decrypt((cursor + "=" * (-len(cursor) % 4)).encode())
        except (InvalidToken, ValueError):
            raise invalid from None
        payload = json.loads(raw)
        if payload.get("q") != _fingerprint(query) or not isinstance(payload.get("p"), dict):
            raise invalid
        position: dict[str, Any] = payload["p"]
        return position


def _fingerprint(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:16]


class Cursor:
    """A position that becomes the opaque cursor text on first use (then kept)."""

    __slots__ = ("_codec", "_position", "_query", "_text")

    def __init__(self, codec: CursorCodec, position: dict[str, Any], query: str) -> None:
        self._codec = codec
        self._position = position
        self._query = query
        self._text: str | None = None

    @property
    def position(self) -> dict[str, Any]:
        """What the cursor holds (a merged listing combines several: schema/merged_search.py)."""
        return self._position

    def text(self) -> str:
        if self._text is None:
            self._text = self._codec.encode(self._position, query=self._query)
        return self._text
