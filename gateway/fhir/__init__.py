"""The FHIR side of the gateway: one client, references, Task vocabulary, dates, its errors."""

from gateway.fhir.bundles import Resource, SearchPage
from gateway.fhir.client import FhirClient, version_of
from gateway.fhir.codes import (
    AUTHOR_TYPES,
    OWNER_TYPES,
    REQUESTER_TYPES,
    TASK_INTENTS,
    TASK_PRIORITIES,
    TASK_STATUSES,
)
from gateway.fhir.credentials import (
    BearerAuth,
    ClientCredentialsAuth,
    SigningKey,
    token_client,
)
from gateway.fhir.datetimes import DateTimeFormatError, format_instant, parse_datetime
from gateway.fhir.errors import (
    FhirAuthError,
    FhirConflictError,
    FhirError,
    FhirNotFoundError,
    FhirRequestError,
    FhirResponseError,
    FhirThrottledError,
    FhirTimeoutError,
    FhirUnavailableError,
    IncludeRefusedError,
)
from gateway.fhir.references import (
    InvalidReferenceError,
    Ref,
    is_valid_id,
    is_valid_type,
    parse_reference,
    try_parse_reference,
    validate_id,
)

__all__ = [
    "AUTHOR_TYPES",
    "OWNER_TYPES",
    "REQUESTER_TYPES",
    "TASK_INTENTS",
    "TASK_PRIORITIES",
    "TASK_STATUSES",
    "BearerAuth",
    "ClientCredentialsAuth",
    "DateTimeFormatError",
    "FhirAuthError",
    "FhirClient",
    "FhirConflictError",
    "FhirError",
    "FhirNotFoundError",
    "FhirRequestError",
    "FhirResponseError",
    "FhirThrottledError",
    "FhirTimeoutError",
    "FhirUnavailableError",
    "IncludeRefusedError",
    "InvalidReferenceError",
    "Ref",
    "Resource",
    "SearchPage",
    "SigningKey",
    "format_instant",
    "is_valid_id",
    "is_valid_type",
    "parse_datetime",
    "parse_reference",
    "token_client",
    "try_parse_reference",
    "validate_id",
    "version_of",
]
