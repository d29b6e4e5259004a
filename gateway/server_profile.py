"""Where FHIR servers differ, as named capabilities: presets, and the profile learned once."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from gateway.config import Settings
from gateway.errors import UnsupportedByServerError
from gateway.fhir import FhirClient, Resource

# Task search parameters every R4 server has (R4 Task "Search Parameters"), plus the common ones.
R4_TASK_PARAMS = frozenset(
    {
        "_id", "_lastUpdated", "authored-on", "based-on", "business-status", "code", "encounter",
        "focus", "group-identifier", "identifier", "intent", "modified", "owner", "part-of",
        "patient", "performer", "period", "priority", "requester", "status", "subject",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ServerProfile:
    """What a FHIR server does where servers differ. Code and tests branch on these names,
    never on which server it is. The defaults are all the gateway assumes of an R4 server it
    knows nothing about (the ``generic`` preset)."""

    # What the gateway plans its requests by.
    extra_task_params: frozenset[str] = frozenset()  # non-R4 Task search parameters it has
    next_links: bool = True  # searchset Bundles carry next links (else: pages by _offset)
    last_sort_key_wins: bool = False  # of several _sort keys the last decides, each re-sorting
    missing_sorts_last: bool = False  # no value for the sort key: last, ascending or descending
    absent_priority_is_routine: bool = False  # _sort=priority-order ranks no priority as routine
    recheck: frozenset[str] = frozenset()  # search parameters it filters wrongly: re-checked
    honours_include: bool = True  # _include brings the referenced resources along
    # Rounds of _include/_revinclude one search follows with :iterate, the first included
    # (0: no :iterate). Past them a server stops with a warning or refuses the search.
    iterate_rounds: int = 0
    chained_search: bool = False  # Task?patient.address-state=CA, one level deep
    # Task/_history?_since= lists every Task version since an instant, deletes included: the
    # change poller reads it (else it searches by _lastUpdated, which shows no deletes).
    type_history: bool = False
    # Facts the contract suite checks, so that tests branch on them too; the gateway copes
    # either way.
    capability_statement: bool = True  # /metadata is a CapabilityStatement
    sequential_version_ids: bool = False  # meta.versionId 1, 2, 3
    validates_writes: bool = False  # 400/422 on a malformed resource
    gone_after_delete: bool = False  # 410, not 404, after DELETE
    rejects_unknown_params: bool = False  # 400 on an unknown search parameter
    sorts_ties_by_id: bool = False  # resources equal on every _sort key come in id order
    ordered_history: bool = False  # _history lists versions newest first
    entry_full_urls: bool = False  # search and history Bundle entries carry fullUrl
    iterate_survives_cycles: bool = False  # _include:iterate over a partOf cycle ends normally
    keeps_deleted_history: bool = False  # old versions stay readable after DELETE
    update_create_is_201: bool = False  # PUT of a new id answers 201 Created
    bare_reference_ids: bool = False  # owner=<id>, owner:CareTeam=<id> find matches
    spec_date_ranges: bool = False  # eq: value range holds the resource's; ne skips undated
    spec_string_matching: bool = False  # accent-insensitive match, case-sensitive :exact
    skips_unchanged_updates: bool = False  # a PUT that changes nothing makes no version
    ignores_client_id_on_create: bool = False  # POST assigns a new id whatever the body says
    # A transaction Bundle is all or nothing, and a Provenance.target naming an entry's
    # urn:uuid comes to name the version that entry wrote: a Task and the Provenance recording
    # it are written together or not at all (else the Task goes first, then its Provenance).
    atomic_transactions: bool = False

    def supports(self, param: str) -> bool:
        return param in R4_TASK_PARAMS or param in self.extra_task_params

    def require(self, param: str, feature: str) -> None:
        if not self.supports(param):
            raise UnsupportedByServerError(
                f"{feature} needs the Task search parameter '{param}', which the FHIR server "
                "does not declare (set GATEWAY_FHIR_EXTRA_SEARCH_PARAMS if it has it)"
            )

    def trusts_filter(self, param: str) -> bool:
        """Whether the server's own filtering on ``param`` can be taken as it comes."""
        return param not in self.recheck

    def sort_value(self, keys: list[str]) -> str:
        """The _sort value for keys in priority order."""
        return ",".join(reversed(keys) if self.last_sort_key_wins else keys)


GENERIC = ServerProfile()
EMBEDDED = ServerProfile(
    extra_task_params=frozenset({"due-date", "priority-order"}),
    iterate_rounds=20,  # gateway/store/includes.py MAX_ITERATIONS; cut short with a warning
    chained_search=True,
    missing_sorts_last=True,
    absent_priority_is_routine=True,
    sequential_version_ids=True,
    validates_writes=True,
    gone_after_delete=True,
    rejects_unknown_params=True,
    sorts_ties_by_id=True,
    ordered_history=True,
    entry_full_urls=True,
    iterate_survives_cycles=True,
    keeps_deleted_history=True,
    update_create_is_201=True,
    bare_reference_ids=True,
    spec_date_ranges=True,
    spec_string_matching=True,
    skips_unchanged_updates=True,
    ignores_client_id_on_create=True,
    atomic_transactions=True,
)
# As measured through Medplum's FHIR router on its in-memory repository (the contract suite's
# peer); every other trait is the generic default.
MEDPLUM = ServerProfile(
    extra_task_params=frozenset({"due-date", "priority-order"}),
    next_links=False,
    last_sort_key_wins=True,
    iterate_rounds=5,  # its DEFAULT_MAX_INCLUDE_DEPTH; past it (or 1,000 entries) a 400
    recheck=frozenset({"due-date"}),
    capability_statement=False,
    chained_search=True,
)
# HAPI FHIR's JPA server as documented; the contract suite does not run against it.
HAPI = ServerProfile(
    chained_search=True,
    type_history=True,
    sequential_version_ids=True,
    gone_after_delete=True,
    rejects_unknown_params=True,
    ordered_history=True,
    entry_full_urls=True,
    keeps_deleted_history=True,
    update_create_is_201=True,
    skips_unchanged_updates=True,
    ignores_client_id_on_create=True,
)
PRESETS: dict[str, ServerProfile] = {
    "embedded": EMBEDDED,
    "medplum": MEDPLUM,
    "hapi": HAPI,
    "generic": GENERIC,
}
# Words in a CapabilityStatement's software name, implementation or publisher that name a
# preset; the embedded store calls itself "fhir-task-gateway embedded store". Not Medplum:
# its preset was measured on the router, which has no CapabilityStatement, and a Medplum
# server that has one may well sort and page by the standard (reversed _sort keys would then
# scramble every list), so it stays generic unless GATEWAY_FHIR_SERVER=medplum says so.
_KNOWN_SOFTWARE: list[tuple[str, str]] = [
    ("fhir-task-gateway", "embedded"),
    ("hapi", "hapi"),
]


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
                self._profile = build_profile(self._settings, await fhir.capabilities())
            return self._profile

    def include_refused(self) -> None:
        """The server refused an _include after all: later searches go without."""
        if self._profile is not None:
            self._profile = replace(self._profile, honours_include=False)


def build_profile(settings: Settings, metadata: Resource) -> ServerProfile:
    """The profile from GATEWAY_FHIR_SERVER (or the server's /metadata answer), refined by
    what the CapabilityStatement declares, then by the explicit GATEWAY_FHIR_* settings."""
    if settings.fhir_server is not None:
        profile = PRESETS[settings.fhir_server]
    elif settings.embedded:
        profile = EMBEDDED
    else:
        profile = discover(metadata)
    if metadata.get("resourceType") == "CapabilityStatement":
        profile = _declared(profile, metadata)
    if settings.fhir_extra_search_params is not None:
        profile = replace(profile, extra_task_params=settings.fhir_extra_search_params)
    if settings.fhir_paging != "auto":
        profile = replace(profile, next_links=settings.fhir_paging == "links")
    if settings.fhir_sort_keys != "auto":
        profile = replace(profile, last_sort_key_wins=settings.fhir_sort_keys == "last-wins")
    if settings.fhir_recheck_params is not None:
        profile = replace(profile, recheck=settings.fhir_recheck_params)
    return profile


def discover(metadata: Resource) -> ServerProfile:
    """The preset a server's /metadata answer names; generic when it names none."""
    if metadata.get("resourceType") != "CapabilityStatement":
        # A server that cannot describe itself is not trusted to give next links either.
        return replace(GENERIC, capability_statement=False, next_links=False)
    software, implementation = metadata.get("software"), metadata.get("implementation")
    words = [
        software.get("name") if isinstance(software, dict) else None,
        implementation.get("description") if isinstance(implementation, dict) else None,
        metadata.get("publisher"),
    ]
    text = " ".join(word for word in words if isinstance(word, str)).lower()
    for word, kind in _KNOWN_SOFTWARE:
        if word in text:
            return PRESETS[kind]
    return GENERIC


def _declared(profile: ServerProfile, statement: Resource) -> ServerProfile:
    """What the statement's Task entry declares replaces the preset's guess."""
    task = _task_entry(statement)
    if task is None:
        return profile
    names = {str(p.get("name")) for p in task.get("searchParam") or [] if p.get("name")}
    profile = replace(profile, extra_task_params=frozenset(names - R4_TASK_PARAMS))
    includes = task.get("searchInclude")
    if isinstance(includes, list):
        profile = replace(profile, honours_include=bool(includes))
    interactions = task.get("interaction")
    if isinstance(interactions, list):
        codes = {i.get("code") for i in interactions if isinstance(i, dict)}
        profile = replace(profile, type_history="history-type" in codes)
    return profile


def _task_entry(statement: Resource) -> Resource | None:
    for rest in statement.get("rest") or []:
        for resource in rest.get("resource") or []:
            if resource.get("type") == "Task":
                found: Resource = resource
                return found
    return None
