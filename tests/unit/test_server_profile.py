"""Which server profile the gateway works by: GATEWAY_FHIR_SERVER, else what /metadata says."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.config import Settings
from gateway.server_profile import EMBEDDED, GENERIC, HAPI, MEDPLUM, build_profile
from gateway.store.capability import capability_statement

REMOTE = "https://fhir.example.org/R4"


def remote(**settings: Any) -> Settings:
    return Settings(fhir_base_url=REMOTE, **settings)


def statement(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "CapabilityStatement", "status": "active", **fields}


def task_entry(**fields: Any) -> dict[str, Any]:
    return {"rest": [{"mode": "server", "resource": [{"type": "Task", **fields}]}]}


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        (statement(software={"name": "HAPI FHIR Server", "version": "7.4.0"}), HAPI),
        # Medplum's preset was measured on its router; a server with a statement is not it.
        (statement(software={"name": "Medplum"}, publisher="Medplum"), GENERIC),
        (statement(implementation={"description": "Acme FHIR"}), GENERIC),
    ],
)
def test_a_remote_server_is_discovered_from_its_statement(
    metadata: dict[str, Any], expected: object
) -> None:
    assert build_profile(remote(), metadata) == expected


def test_the_embedded_store_is_known_by_its_own_statement() -> None:
    profile = build_profile(remote(), capability_statement(REMOTE, "0.1.0"))
    assert profile == EMBEDDED


def test_without_a_base_url_the_profile_is_the_embedded_store() -> None:
    assert build_profile(Settings(), statement()) == EMBEDDED


def test_a_server_that_cannot_describe_itself_pages_by_offset() -> None:
    profile = build_profile(remote(), {"resourceType": "Bundle", "type": "searchset"})
    assert not profile.next_links
    assert not profile.capability_statement
    assert profile.extra_task_params == frozenset()


def test_the_setting_names_the_preset_whatever_the_statement_says() -> None:
    hapi_words = statement(software={"name": "HAPI FHIR Server"})
    assert build_profile(remote(fhir_server="medplum"), hapi_words) == MEDPLUM
    assert build_profile(remote(fhir_server="generic"), hapi_words) == GENERIC


def test_declared_task_parameters_and_includes_replace_the_presets_guess() -> None:
    metadata = statement(
        **task_entry(searchParam=[{"name": "status"}, {"name": "due-date"}], searchInclude=[]),
    )
    profile = build_profile(remote(fhir_server="medplum"), metadata)
    assert profile.extra_task_params == frozenset({"due-date"})
    assert not profile.supports("priority-order")
    assert not profile.honours_include
    assert profile.last_sort_key_wins  # the rest is still Medplum's


def test_type_history_is_what_the_task_entry_declares() -> None:
    def declaring(*codes: str) -> dict[str, Any]:
        return statement(**task_entry(interaction=[{"code": code} for code in codes]))

    assert HAPI.type_history and not GENERIC.type_history and not MEDPLUM.type_history
    assert build_profile(remote(), declaring("read", "history-type")).type_history
    assert not build_profile(remote(fhir_server="hapi"), declaring("read")).type_history
    # A statement without an interaction list leaves the preset's guess.
    assert build_profile(remote(fhir_server="hapi"), statement(**task_entry())).type_history


def test_explicit_settings_override_the_preset() -> None:
    settings = remote(
        fhir_server="medplum",
        fhir_paging="links",
        fhir_sort_keys="standard",
        fhir_recheck_params=frozenset(),
        fhir_extra_search_params=frozenset({"due-date"}),
    )
    profile = build_profile(settings, {"resourceType": "Bundle"})
    assert profile.next_links
    assert profile.sort_value(["due-date", "_id"]) == "due-date,_id"
    assert profile.trusts_filter("due-date")
    assert profile.extra_task_params == frozenset({"due-date"})


def test_without_overrides_medplum_sorts_keys_reversed_and_rechecks_due_dates() -> None:
    profile = build_profile(remote(fhir_server="medplum"), {"resourceType": "Bundle"})
    assert not profile.next_links
    assert profile.sort_value(["due-date", "_id"]) == "_id,due-date"
    assert not profile.trusts_filter("due-date")
