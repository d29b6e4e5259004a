"""Loading the demo clinic into a FHIR server; fixed ids make a second run change nothing."""

from __future__ import annotations

from gateway.config import Settings
from gateway.demo_clinic import demo_clinic
from gateway.fhir import FhirClient, Ref
from gateway.loaders import ResourceByRefLoader
from gateway.runtime import Runtime


async def seed_demo_clinic(fhir: FhirClient) -> tuple[int, int]:
    """Write the demo resources that are not there yet; returns (written, already present)."""
    resources = demo_clinic()
    # The loader's batched `_id=` searches tell which fixed ids already exist.
    refs = [Ref(r["resourceType"], r["id"]) for r in resources]
    found = await ResourceByRefLoader(fhir).load_many(refs)
    written = 0
    for resource, existing in zip(resources, found, strict=True):
        if existing is None:
            # PUT with the fixed id (create-on-update), in dependency order.
            await fhir.update(resource)
            written += 1
    return written, len(resources) - written


async def seed_with_settings(settings: Settings) -> tuple[int, int]:
    runtime = Runtime.open(settings)
    try:
        return await seed_demo_clinic(runtime.fhir)
    finally:
        await runtime.aclose()
