"""Settings: every GATEWAY_* variable is documented, list-valued ones parse from text,
secrets stay hidden, and production refuses unsafe defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gateway.config import Settings
from gateway.upstream import remote_client

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


def test_secrets_stay_out_of_repr_and_dumps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_FHIR_AUTH_TOKEN", "tok-123")
    monkeypatch.setenv("GATEWAY_CURSOR_SECRET", "sec-456")
    settings = Settings()

    shown = [
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        str(settings.model_dump()),
    ]

    for text in shown:
        assert "tok-123" not in text
        assert "sec-456" not in text
    assert settings.cursor_secret.get_secret_value() == "sec-456"


async def test_the_token_is_no_default_header_of_the_pool() -> None:
    # It is added per request, only under the base (tests/unit/test_fhir_credentials.py).
    settings = Settings(fhir_base_url="https://fhir.example/R4", fhir_auth_token="tok-123")

    async with remote_client(settings, "https://fhir.example/R4/") as client:
        assert "Authorization" not in client.headers


def test_a_blank_token_is_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_FHIR_AUTH_TOKEN", " ")

    assert Settings().fhir_auth_token is None


def test_production_refuses_to_start_without_a_cursor_secret() -> None:
    with pytest.raises(ValidationError, match="GATEWAY_CURSOR_SECRET is required"):
        Settings(env="production")
    with pytest.raises(ValidationError) as blank:
        Settings(env="production", cursor_secret=" ")
    assert [error["loc"] for error in blank.value.errors()] == [("cursor_secret",)]


def test_production_takes_the_cursor_secret_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GATEWAY_ENV", "production")
    monkeypatch.setenv("GATEWAY_CURSOR_SECRET", "shared")
    monkeypatch.setenv("GATEWAY_AUTH_ISSUER", "https://id.clinic.example")
    monkeypatch.setenv("GATEWAY_AUTH_AUDIENCE", "https://gateway.clinic.example")

    assert Settings().cursor_secret.get_secret_value() == "shared"


def test_development_makes_a_random_cursor_secret() -> None:
    first, second = Settings(), Settings()

    assert first.cursor_secret.get_secret_value() != second.cursor_secret.get_secret_value()
    assert len(first.cursor_secret.get_secret_value()) >= 32


def test_demo_clinic_is_loaded_by_default_only_in_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(env="development").seeds_demo
    production = Settings(env="production", cursor_secret="s", auth_issuer="i", auth_audience="a")
    assert not production.seeds_demo
    assert not Settings(env="development", seed_demo=False).seeds_demo
    monkeypatch.setenv("GATEWAY_SEED_DEMO", "true")
    assert Settings(
        env="production", cursor_secret="s", auth_issuer="i", auth_audience="a"
    ).seeds_demo


def test_store_is_exposed_only_in_development() -> None:
    assert Settings(env="development").store_exposed
    assert not Settings(
        env="production", cursor_secret="s", auth_mode="none", allow_anonymous=True
    ).store_exposed
    assert Settings(
        env="production",
        cursor_secret="s",
        auth_mode="none",
        allow_anonymous=True,
        expose_store=True,
    ).store_exposed
    assert not Settings(fhir_base_url="https://fhir.example/R4").store_exposed


def test_a_blank_fhir_server_means_discover(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_FHIR_SERVER", " ")
    assert Settings().fhir_server is None
    monkeypatch.setenv("GATEWAY_FHIR_SERVER", "hapi")
    assert Settings().fhir_server == "hapi"
