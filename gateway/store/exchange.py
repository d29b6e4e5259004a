"""What passes through the store's interactions: a FHIR request, its reply, and the handler type."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gateway.store import bundles

NO_BODY = object()


@dataclass(frozen=True)
class FhirRequest:
    """One interaction: ``path`` is relative to the base (``Task/1``); header names lowercase."""

    method: str
    path: str
    query: Sequence[tuple[str, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = NO_BODY
    form: Sequence[tuple[str, str]] = ()


@dataclass
class Reply:
    status: int
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


# Runs one interaction against the store at a base URL; never raises.
Handle = Callable[[FhirRequest, str], Reply]


def error_reply(status: int, outcome: dict[str, Any]) -> Reply:
    return Reply(status, bundles.dumps(outcome))
