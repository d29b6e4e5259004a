"""Authentication settings: jwt by default in production, and no start without what it needs."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from gateway.config import Settings

PRODUCTION: dict[str, Any] = {"env": "production", "cursor_secret": "s3cret"}
PROVIDER: dict[str, Any] = {
    "auth_issuer": "https://login.clinic.example/realms/clinic",
    "auth_audience": "task-gateway",
}


def test_development_is_anonymous_by_default() -> None:
    settings = Settings()
    assert settings.effective_auth_mode == "none"
    assert settings.auth_user_claim == "fhirUser"
    assert settings.auth_require_scopes
    assert not settings.allow_anonymous


def test_production_verifies_tokens_by_default() -> None:
    assert Settings(**PRODUCTION, **PROVIDER).effective_auth_mode == "jwt"


@pytest.mark.parametrize(
    "provider",
    [{}, {"auth_issuer": PROVIDER["auth_issuer"]}, {"auth_audience": "task-gateway"}],
)
def test_production_refuses_jwt_without_issuer_and_audience(provider: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="GATEWAY_AUTH_ISSUER and GATEWAY_AUTH_AUDIENCE"):
        Settings(**PRODUCTION, **provider)


def test_jwt_mode_needs_issuer_and_audience_in_development_too() -> None:
    with pytest.raises(ValidationError, match="GATEWAY_AUTH_ISSUER"):
        Settings(auth_mode="jwt")
    assert Settings(auth_mode="jwt", **PROVIDER).effective_auth_mode == "jwt"


def test_production_refuses_anonymous_callers_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="GATEWAY_ALLOW_ANONYMOUS=true"):
        Settings(**PRODUCTION, auth_mode="none")
    allowed = Settings(**PRODUCTION, auth_mode="none", allow_anonymous=True)
    assert allowed.effective_auth_mode == "none"


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_ENV", "production")
    monkeypatch.setenv("GATEWAY_CURSOR_SECRET", "s3cret")
    monkeypatch.setenv("GATEWAY_AUTH_ISSUER", PROVIDER["auth_issuer"])
    monkeypatch.setenv("GATEWAY_AUTH_AUDIENCE", "task-gateway")
    monkeypatch.setenv("GATEWAY_AUTH_JWKS_URL", " ")
    monkeypatch.setenv("GATEWAY_AUTH_USER_CLAIM", "profile")
    monkeypatch.setenv("GATEWAY_AUTH_REQUIRE_SCOPES", "false")
    settings = Settings()
    assert settings.effective_auth_mode == "jwt"
    assert settings.auth_jwks_url is None
    assert settings.auth_user_claim == "profile"
    assert not settings.auth_require_scopes
    monkeypatch.setenv("GATEWAY_AUTH_ISSUER", "")
    with pytest.raises(ValidationError, match="GATEWAY_AUTH_ISSUER"):
        Settings()
