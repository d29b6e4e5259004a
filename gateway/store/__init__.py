"""The embedded FHIR R4 server: versioned resources and a search index on SQLite."""

from gateway.store.repository import FhirStore
from gateway.store.routes import create_store_app

__all__ = ["FhirStore", "create_store_app"]
