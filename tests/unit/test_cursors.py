"""cursors.py: cursors round-trip, and an edited or foreign cursor is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from gateway.cursors import CursorCodec
from gateway.errors import BadUserInputError


def test_round_trip() -> None:
    codec = CursorCodec(SecretStr("k"))
    cursor = codec.encode({"g": 1, "o": 40}, query="q")
    assert codec.decode(cursor, query="q") == {"g": 1, "o": 40}


def test_other_query_or_key_is_refused() -> None:
    cursor = CursorCodec(SecretStr("k")).encode({"o": 1}, query="q")
    with pytest.raises(BadUserInputError):
        CursorCodec(SecretStr("k")).decode(cursor, query="other")
    with pytest.raises(BadUserInputError):
        CursorCodec(SecretStr("another key")).decode(cursor, query="q")


@given(st.integers(min_value=0, max_value=200), st.integers(min_value=1, max_value=255))
def test_any_edit_is_refused(position: int, flip: int) -> None:
    codec = CursorCodec(SecretStr("k"))
    raw = bytearray(codec.encode({"u": "https://fhir.example/R4/Task?p=2"}, query="q").encode())
    index = position % len(raw)
    raw[index] = (raw[index] + flip) % 128 or 65
    edited = raw.decode("ascii", errors="replace")
    try:
        decoded = codec.decode(edited, query="q")
    except BadUserInputError:
        return
    # Base64 padding bits can absorb an edit: then the payload is unchanged.
    assert decoded == {"u": "https://fhir.example/R4/Task?p=2"}


def test_payload_is_not_readable() -> None:
    import base64

    cursor = CursorCodec(SecretStr("k")).encode(
        {"u": "https://fhir/R4/Task?patient=Patient/jane"}, query="q"
    )
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert b"jane" not in raw
    assert b"Patient" not in raw


def test_a_lazy_cursor_seals_once_to_a_cursor_that_decodes() -> None:
    codec = CursorCodec(SecretStr("k"))
    cursor = codec.later({"g": 0, "s": 3}, query="q")
    text = cursor.text()
    assert cursor.text() == text
    assert codec.decode(text, query="q") == {"g": 0, "s": 3}
