"""GraphQL over HTTP as clients speak it: media types, request reading, persisted queries."""

from gateway.http.graphql_request import GraphQLRequest, read_request
from gateway.http.media_types import GRAPHQL_RESPONSE_JSON, response_media_type
from gateway.http.persisted_queries import PersistedQueries
from gateway.http.trusted_documents import TrustedDocumentsError, build_manifest

__all__ = [
    "GRAPHQL_RESPONSE_JSON",
    "GraphQLRequest",
    "PersistedQueries",
    "TrustedDocumentsError",
    "build_manifest",
    "read_request",
    "response_media_type",
]
