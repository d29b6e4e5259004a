"""Opaque, tamper-proof page cursors: an HMAC-signed position bound to the query it pages."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from gateway.errors import BadUserInputError

_SIG_BYTES = 16


class CursorCodec:
    """Signs cursor payloads with the process (or GATEWAY_CURSOR_SECRET) key."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(secret.encode()).digest()

    def encode(self, position: dict[str, Any], *, query: str) -> str:
        payload = json.dumps({"p": position, "q": _fingerprint(query)}, separators=(",", ":"))
        raw = payload.encode()
        return base64.urlsafe_b64encode(self._sign(raw) + raw).decode().rstrip("=")

    def decode(self, cursor: str, *, query: str, argument: str = "after") -> dict[str, Any]:
        """The position, or BAD_USER_INPUT if the cursor was edited or belongs to another query."""
        invalid = BadUserInputError("The cursor is not valid for this query", argument=argument)
        try:
            blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (ValueError, TypeError):
            raise invalid from None
        signature, raw = blob[:_SIG_BYTES], blob[_SIG_BYTES:]
        if len(signature) != _SIG_BYTES or not hmac.compare_digest(signature, self._sign(raw)):
            raise invalid
        payload = json.loads(raw)
        if payload.get("q") != _fingerprint(query) or not isinstance(payload.get("p"), dict):
            raise invalid
        position: dict[str, Any] = payload["p"]
        return position

    def _sign(self, raw: bytes) -> bytes:
        return hmac.new(self._key, raw, hashlib.sha256).digest()[:_SIG_BYTES]


def _fingerprint(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:16]
