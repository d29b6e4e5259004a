"""The FHIR servers the contract suite runs against: the embedded store and Medplum's router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

EMBEDDED_BASE = "http://embedded.test/fhir/R4/"


@dataclass(frozen=True)
class Capabilities:
    """What a server does where FHIR servers differ; tests branch on these, never skip quietly."""

    sequential_version_ids: bool  # meta.versionId 1, 2, 3 (Medplum: random UUIDs)
    validates_writes: bool  # 400/422 on a malformed resource (Medplum: stores it)
    gone_after_delete: bool  # 410 after DELETE (Medplum: 404)
    next_links: (
        bool  # searchset Bundles carry link[relation=next] (Medplum: none, pages by _offset)
    )
    rejects_unknown_params: bool  # 400 on an unknown search parameter (Medplum: empty result)
    trustworthy_due_date_filter: bool  # due-date=lt... filters correctly (Medplum: it does not)
    capability_statement: bool  # /metadata is a CapabilityStatement
    ordered_history: bool  # _history lists versions newest first (Medplum: order unstable)
    entry_full_urls: bool  # search and history Bundle entries carry fullUrl (Medplum: none)
    iterate_survives_cycles: bool  # :iterate over a partOf cycle ends normally (Medplum: 400)
    keeps_deleted_history: bool  # old versions stay readable after DELETE (Medplum: all 404)
    update_create_is_201: bool  # PUT of a new id answers 201 Created (Medplum: 200)
    bare_reference_ids: bool  # owner=<id>, owner:CareTeam=<id> find matches (Medplum: nothing)
    spec_date_ranges: (
        bool  # eq: value range contains the resource's; ne skips undated (Medplum: no)
    )
    spec_string_matching: bool  # accent-insensitive match, case-sensitive :exact (Medplum: no)
    absent_priority_is_routine: bool  # _sort=-priority-order: no priority = routine (Medplum: last)
    spec_sorting: bool  # every _sort key counts, ties by id, missing last (Medplum: last key only)
    skips_unchanged_updates: bool  # a PUT that changes nothing makes no version (Medplum: does)
    ignores_client_id_on_create: bool  # POST assigns a new id (Medplum: keeps the body's id)


EMBEDDED_CAPS = Capabilities(
    sequential_version_ids=True,
    validates_writes=True,
    gone_after_delete=True,
    next_links=True,
    rejects_unknown_params=True,
    trustworthy_due_date_filter=True,
    capability_statement=True,
    ordered_history=True,
    entry_full_urls=True,
    iterate_survives_cycles=True,
    keeps_deleted_history=True,
    update_create_is_201=True,
    bare_reference_ids=True,
    spec_date_ranges=True,
    spec_string_matching=True,
    absent_priority_is_routine=True,
    spec_sorting=True,
    skips_unchanged_updates=True,
    ignores_client_id_on_create=True,
)
MEDPLUM_CAPS = Capabilities(
    sequential_version_ids=False,
    validates_writes=False,
    gone_after_delete=False,
    next_links=False,
    rejects_unknown_params=False,
    trustworthy_due_date_filter=False,
    capability_statement=False,
    ordered_history=False,
    entry_full_urls=False,
    iterate_survives_cycles=False,
    keeps_deleted_history=False,
    update_create_is_201=False,
    bare_reference_ids=False,
    spec_date_ranges=False,
    spec_string_matching=False,
    absent_priority_is_routine=False,
    spec_sorting=False,
    skips_unchanged_updates=False,
    ignores_client_id_on_create=False,
)


@dataclass(frozen=True)
class FhirPeer:
    """A FHIR server under test: its name, an httpx client on its base URL, its capabilities."""

    name: str
    client: httpx.AsyncClient
    caps: Capabilities


@pytest.fixture(params=["embedded", pytest.param("medplum", marks=pytest.mark.medplum)])
async def fhir(request: pytest.FixtureRequest) -> AsyncIterator[FhirPeer]:
    """A fresh, empty FHIR server of each kind for every test."""
    if request.param == "embedded":
        from gateway.store import FhirStore, create_store_app

        store = FhirStore.open(":memory:")
        app = Starlette(routes=[Mount("/fhir/R4", app=create_store_app(store))])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=EMBEDDED_BASE) as client:
            yield FhirPeer("embedded", client, EMBEDDED_CAPS)
        store.close()
    else:
        base_url: str = request.getfixturevalue("medplum_base_url")
        async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:
            reset = await client.post(base_url.split("/fhir/R4")[0] + "/reset")
            assert reset.status_code == 204
            yield FhirPeer("medplum", client, MEDPLUM_CAPS)
