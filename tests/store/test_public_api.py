"""The store's public surface, pinned."""

from __future__ import annotations

import gateway.store


def test_public_names() -> None:
    assert sorted(gateway.store.__all__) == ["FhirStore", "StoredVersion", "create_store_app"]
