"""The CapabilityStatement at /metadata, generated from the search parameter definitions."""

from __future__ import annotations

from typing import Any

from gateway.store.search_params import indexed_types, params_for

_INTERACTIONS = ("read", "vread", "update", "delete", "history-instance", "create", "search-type")


def capability_statement(base: str, software_version: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-25",
        "kind": "instance",
        "software": {"name": "fhir-task-gateway embedded store", "version": software_version},
        "implementation": {"description": "Embedded FHIR R4 store on SQLite", "url": base},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Any resource type can be created, read, updated, deleted and searched by "
                    "_id and _lastUpdated; the types listed here have more search parameters."
                ),
                "interaction": [{"code": "batch"}],
                "resource": [_resource(t) for t in indexed_types()],
            }
        ],
    }


def _resource(resource_type: str) -> dict[str, Any]:
    params = params_for(resource_type).values()
    references = [p.name for p in params if p.type == "reference"]
    return {
        "type": resource_type,
        "interaction": [{"code": code} for code in _INTERACTIONS],
        "versioning": "versioned-update",
        "readHistory": True,
        "updateCreate": True,
        "conditionalCreate": True,
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchInclude": ["*", *(f"{resource_type}:{name}" for name in references)],
        "searchRevInclude": _all_reference_params(),
        "searchParam": [
            {
                "name": p.name,
                "type": p.type,
                "documentation": p.documentation or f"{resource_type}.{p.expression}",
            }
            for p in params
        ],
    }


def _all_reference_params() -> list[str]:
    return [
        f"{t}:{p.name}"
        for t in indexed_types()
        for p in params_for(t).values()
        if p.type == "reference"
    ]
