"""The FHIR side of the gateway: one client, reference parsing, Bundle reading, error mapping."""

from gateway.fhir.bundles import Resource, SearchPage
from gateway.fhir.client import FhirClient, version_of
from gateway.fhir.errors import IncludeRefusedError
from gateway.fhir.references import (
    InvalidReferenceError,
    Ref,
    parse_reference,
    try_parse_reference,
    validate_id,
)

__all__ = [
    "FhirClient",
    "IncludeRefusedError",
    "InvalidReferenceError",
    "Ref",
    "Resource",
    "SearchPage",
    "parse_reference",
    "try_parse_reference",
    "validate_id",
    "version_of",
]
