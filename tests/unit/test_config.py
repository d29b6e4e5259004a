"""Settings: every GATEWAY_* variable is documented, and list-valued ones parse from text."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme(field: str) -> None:
    assert f"`GATEWAY_{field.upper()}`" in README


def test_comma_separated_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_STATUS_REASON_REQUIRED_FOR", "on-hold, cancelled,rejected")
    monkeypatch.setenv("GATEWAY_FHIR_EXTRA_SEARCH_PARAMS", "due-date")
    monkeypatch.setenv("GATEWAY_FHIR_BASE_URL", " ")
    settings = Settings()
    assert settings.status_reason_required_for == {"on-hold", "cancelled", "rejected"}
    assert settings.fhir_extra_search_params == frozenset({"due-date"})
    assert settings.embedded


def test_secrets_stay_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_FHIR_AUTH_TOKEN", "tok-123")
    monkeypatch.setenv("GATEWAY_CURSOR_SECRET", "sec-456")
    text = repr(Settings())
    assert "tok-123" not in text
    assert "sec-456" not in text


def test_store_is_exposed_only_in_development() -> None:
    assert Settings(env="development").store_exposed
    assert not Settings(env="production").store_exposed
    assert Settings(env="production", expose_store=True).store_exposed
    assert not Settings(fhir_base_url="https://fhir.example/R4").store_exposed


def test_a_blank_fhir_server_means_discover(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_FHIR_SERVER", " ")
    assert Settings().fhir_server is None
    monkeypatch.setenv("GATEWAY_FHIR_SERVER", "hapi")
    assert Settings().fhir_server == "hapi"
