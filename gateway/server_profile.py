"""What the FHIR server can do beyond R4's Task search, learned once per process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from gateway.config import Settings
from gateway.errors import UnsupportedByServerError
from gateway.fhir import FhirClient, Resource

# Task search parameters every R4 server has (fhir-notes.md), plus the common ones.
R4_TASK_PARAMS = frozenset(
    {
        "_id", "_lastUpdated", "authored-on", "based-on", "business-status", "code", "encounter",
        "focus", "group-identifier", "identifier", "intent", "modified", "owner", "part-of",
        "patient", "performer", "period", "priority", "requester", "status", "subject",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ServerProfile:
    """The server's extra Task search parameters and how it pages and sorts."""

    extra_task_params: frozenset[str]
    # False: the server gives no next links and pages by _offset (Medplum's router).
    links: bool = True
    # True: of several _sort keys the last decides, each key re-sorting stably (Medplum).
    last_wins_sort: bool = False
    # The embedded store: its sorts put missing values last and count no priority as routine.
    embedded: bool = False
    # Search parameters whose filtering the server gets wrong: the gateway re-checks results.
    recheck: frozenset[str] = frozenset()

    def supports(self, param: str) -> bool:
        return param in R4_TASK_PARAMS or param in self.extra_task_params

    def require(self, param: str, feature: str) -> None:
        if not self.supports(param):
            raise UnsupportedByServerError(
                f"{feature} needs the Task search parameter '{param}', which the FHIR server "
                "does not declare (set GATEWAY_FHIR_EXTRA_SEARCH_PARAMS if it has it)"
            )

    def sort_value(self, keys: list[str]) -> str:
        """The _sort value for keys in priority order."""
        return ",".join(reversed(keys) if self.last_wins_sort else keys)


class ServerProfileCache:
    """Reads /metadata once; settings override what it says."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._profile: ServerProfile | None = None
        self._lock = asyncio.Lock()

    async def get(self, fhir: FhirClient) -> ServerProfile:
        if self._profile is not None:
            return self._profile
        async with self._lock:
            if self._profile is None:
                # A failed read raises and is not cached: the next request asks again.
                self._profile = self._build(await fhir.capabilities())
            return self._profile

    def _build(self, statement: Resource) -> ServerProfile:
        settings = self._settings
        is_statement = statement.get("resourceType") == "CapabilityStatement"
        declared = _declared_task_params(statement) if is_statement else frozenset()
        paging = settings.fhir_paging
        return ServerProfile(
            extra_task_params=settings.fhir_extra_search_params
            if settings.fhir_extra_search_params is not None
            else declared,
            links=is_statement if paging == "auto" else paging == "links",
            last_wins_sort=settings.fhir_sort_keys == "last-wins",
            embedded=settings.embedded,
            recheck=settings.fhir_recheck_params,
        )


def _declared_task_params(statement: Resource) -> frozenset[str]:
    names: set[str] = set()
    for rest in statement.get("rest") or []:
        for resource in rest.get("resource") or []:
            if resource.get("type") == "Task":
                names.update(
                    str(p.get("name")) for p in resource.get("searchParam") or [] if p.get("name")
                )
    return frozenset(names - R4_TASK_PARAMS)
