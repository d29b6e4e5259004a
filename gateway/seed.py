"""Loading the demo clinic into a FHIR server; fixed ids make a second run change nothing."""

from __future__ import annotations

from collections import defaultdict

from gateway.config import Settings
from gateway.demo_clinic import demo_clinic
from gateway.fhir import FhirClient, Resource
from gateway.runtime import Runtime

_CHUNK = 50


async def seed_demo_clinic(fhir: FhirClient) -> tuple[int, int]:
    """Write the demo resources that are not there yet; returns (written, already present)."""
    resources = demo_clinic()
    present = await _existing_ids(fhir, resources)
    written = 0
    for resource in resources:
        if (resource["resourceType"], resource["id"]) in present:
            continue
        # PUT with the fixed id (create-on-update), in dependency order.
        await fhir.update(resource)
        written += 1
    return written, len(present)


async def seed_with_settings(settings: Settings) -> tuple[int, int]:
    runtime = Runtime.open(settings)
    try:
        return await seed_demo_clinic(runtime.fhir)
    finally:
        await runtime.aclose()


async def _existing_ids(fhir: FhirClient, resources: list[Resource]) -> set[tuple[str, str]]:
    ids_by_type: dict[str, list[str]] = defaultdict(list)
    for resource in resources:
        ids_by_type[resource["resourceType"]].append(resource["id"])
    found: set[tuple[str, str]] = set()
    for resource_type, ids in ids_by_type.items():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            page = await fhir.search(
                resource_type, [("_id", ",".join(chunk)), ("_count", str(len(chunk)))]
            )
            found.update((resource_type, str(r.get("id"))) for r in page.matches)
    return found
