"""The embedded FHIR R4 server: versioned resources and a search index on SQLite."""

from gateway.store.change_log import ChangeReader, StoredChange
from gateway.store.repository import FhirStore
from gateway.store.routes import create_store_app

__all__ = ["ChangeReader", "FhirStore", "StoredChange", "create_store_app"]
