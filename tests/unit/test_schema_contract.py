"""schema.graphql is the exported truth: it matches the code and keeps every name of the sketch."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from gateway.schema import build_schema as build_gateway_schema

ROOT = Path(__file__).resolve().parents[2]
SKETCH = ROOT / "tests" / "fixtures" / "schema-sketch.graphql"


def exported() -> GraphQLSchema:
    return build_schema((ROOT / "schema.graphql").read_text())


def test_committed_schema_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == build_gateway_schema().as_str() + "\n", (
        "schema.graphql drifted: run `make schema` and commit it"
    )


def test_every_name_of_the_sketch_is_kept_with_its_type() -> None:
    sketch, ours = build_schema(SKETCH.read_text()), exported()
    missing = []
    for name, sketch_type in sketch.type_map.items():
        if name.startswith("__"):
            continue
        our_type = ours.type_map.get(name)
        if our_type is None or type(our_type) is not type(sketch_type):
            missing.append(name)
            continue
        if isinstance(sketch_type, GraphQLEnumType):
            assert isinstance(our_type, GraphQLEnumType)
            missing += [f"{name}.{v}" for v in sketch_type.values if v not in our_type.values]
        if isinstance(
            sketch_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            assert isinstance(
                our_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
            )
            for field_name, field in sketch_type.fields.items():
                ours_field = our_type.fields.get(field_name)
                if ours_field is None or str(ours_field.type) != str(field.type):
                    missing.append(f"{name}.{field_name}: {field.type}")
                    continue
                for arg_name, arg in getattr(field, "args", {}).items():
                    our_arg = ours_field.args.get(arg_name)
                    if our_arg is None or str(our_arg.type) != str(arg.type):
                        missing.append(f"{name}.{field_name}({arg_name}: {arg.type})")
                    elif arg.default_value != our_arg.default_value:
                        missing.append(f"{name}.{field_name}({arg_name}) default")
        if isinstance(sketch_type, GraphQLObjectType):
            assert isinstance(our_type, GraphQLObjectType)
            ours_interfaces = {i.name for i in our_type.interfaces}
            missing += [f"{name} implements {i.name}" for i in sketch_type.interfaces
                        if i.name not in ours_interfaces]  # fmt: skip
    assert missing == [], "\n".join(missing)


def test_every_public_field_and_argument_is_described() -> None:
    undocumented = []
    for name, gql_type in exported().type_map.items():
        if name.startswith("__"):
            continue
        if not gql_type.description:
            undocumented.append(name)
        fields = getattr(gql_type, "fields", None) or {}
        for field_name, field in fields.items():
            if not field.description:
                undocumented.append(f"{name}.{field_name}")
            for arg_name, arg in (getattr(field, "args", None) or {}).items():
                if not arg.description:
                    undocumented.append(f"{name}.{field_name}({arg_name})")
    builtin = {"String", "Boolean", "Int", "Float", "ID"}
    assert [u for u in undocumented if u not in builtin] == []
