"""The typed per-request GraphQL context: settings, the FHIR client, this request's loaders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry

from gateway.auth import Access
from gateway.changes import ChangeHub
from gateway.config import Settings
from gateway.cursors import CursorCodec
from gateway.fhir import FhirClient
from gateway.loaders import Loaders
from gateway.metrics import Metrics
from gateway.server_profile import ServerProfileCache
from gateway.workflow import WorkflowRules


@dataclass
class Context:
    """Built in ``get_context`` for each request; loaders die with the request."""

    settings: Settings
    fhir: FhirClient
    loaders: Loaders
    cursors: CursorCodec
    profiles: ServerProfileCache
    rules: WorkflowRules
    access: Access
    metrics: Metrics
    changes: ChangeHub
    # A WebSocket's connection_init payload (graphql-transport-ws sets it); None over HTTP.
    connection_params: dict[str, Any] | None = None


Info = strawberry.Info[Context, None]
