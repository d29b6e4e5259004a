"""Settings: every GATEWAY_* environment variable the gateway reads, with its default."""

from __future__ import annotations

import secrets
from typing import Annotated, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Gateway settings, read from GATEWAY_* environment variables (see README)."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    fhir_base_url: str | None = None
    fhir_auth_token: SecretStr | None = None
    fhir_auth: Literal["none", "static", "passthrough", "client_credentials"] | None = None
    fhir_token_url: str | None = None
    fhir_client_id: str | None = None
    fhir_client_secret: SecretStr | None = None
    fhir_private_key: str | None = None
    fhir_private_key_id: str | None = None
    fhir_scopes: str | None = None
    store_path: str = "./data/fhir.sqlite3"
    seed_demo: bool | None = None
    env: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    cursor_secret: SecretStr = Field(default_factory=lambda: SecretStr(secrets.token_urlsafe(32)))
    upstream_connect_timeout: float = Field(default=2.0, gt=0)
    upstream_read_timeout: float = Field(default=10.0, gt=0)
    upstream_total_timeout: float = Field(default=15.0, gt=0)
    upstream_max_connections: int = Field(default=100, ge=1)
    max_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=20, ge=1)
    max_tokens: int = Field(default=3000, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    stats_max_tasks: int = Field(default=200_000, ge=1)
    transitions: str = "strict"
    status_reason_required_for: Annotated[frozenset[str], NoDecode] = frozenset(
        {"on-hold", "cancelled"}
    )
    fhir_extra_search_params: Annotated[frozenset[str] | None, NoDecode] = None
    expose_store: bool | None = None
    cors_origins: Annotated[frozenset[str], NoDecode] = frozenset()
    fhir_server: Literal["embedded", "medplum", "hapi", "generic"] | None = None
    fhir_recheck_params: Annotated[frozenset[str] | None, NoDecode] = None
    fhir_paging: Literal["auto", "links", "offset"] = "auto"
    fhir_sort_keys: Literal["auto", "standard", "last-wins"] = "auto"
    auth_mode: Literal["none", "jwt"] | None = None
    auth_issuer: str | None = None
    auth_audience: str | None = None
    auth_jwks_url: str | None = None
    auth_user_claim: str = "fhirUser"
    auth_require_scopes: bool = True
    allow_anonymous: bool = False
    audit: Literal["provenance", "off"] = "provenance"
    apq: bool = True
    apq_cache_size: int = Field(default=10_000, ge=1)
    trusted_documents: str | None = None
    trusted_documents_only: bool = False
    # A URL may carry a password: kept secret so no repr or log shows it.
    redis_url: SecretStr | None = None
    # 0 turns the poller off (no other system writes to the FHIR server, or none to watch).
    changes_poll_interval: float = Field(default=2.0, ge=0)
    queue_licensure: bool = True
    query_planning: bool = True
    max_subscriptions_per_connection: int = Field(default=20, ge=1)
    max_connections: int = Field(default=5000, ge=1)
    websocket_ping_interval: float = Field(default=15.0, gt=0)
    clinic_timezone: str = "UTC"

    @field_validator(
        "status_reason_required_for",
        "fhir_extra_search_params",
        "fhir_recheck_params",
        "cors_origins",
        mode="before",
    )
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator(
        "fhir_base_url",
        "fhir_server",
        "fhir_auth_token",
        "fhir_auth",
        "fhir_token_url",
        "fhir_client_id",
        "fhir_client_secret",
        "fhir_private_key",
        "fhir_private_key_id",
        "fhir_scopes",
        "auth_issuer",
        "auth_audience",
        "auth_jwks_url",
        "trusted_documents",
        "redis_url",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("clinic_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"not an IANA time zone: {value!r}") from exc
        return value

    @field_validator("cursor_secret")
    @classmethod
    def _secret_not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _production_needs_a_shared_cursor_secret(self) -> Self:
        # A per-process key would make a cursor from one replica invalid on the next.
        if self.production and "cursor_secret" not in self.model_fields_set:
            raise ValueError(
                "GATEWAY_CURSOR_SECRET is required with GATEWAY_ENV=production "
                "(the same value on every replica)"
            )
        return self

    @model_validator(mode="after")
    def _refuse_unverifiable_callers(self) -> Self:
        if self.effective_auth_mode == "jwt" and not (self.auth_issuer and self.auth_audience):
            raise ValueError(
                "GATEWAY_AUTH_MODE=jwt (the default in production) needs GATEWAY_AUTH_ISSUER "
                "and GATEWAY_AUTH_AUDIENCE"
            )
        if self.production and self.effective_auth_mode == "none" and not self.allow_anonymous:
            raise ValueError(
                "GATEWAY_AUTH_MODE=none lets every caller in anonymously; in production "
                "set GATEWAY_ALLOW_ANONYMOUS=true to allow that"
            )
        return self

    @model_validator(mode="after")
    def _trusted_only_needs_a_manifest(self) -> Self:
        if self.trusted_documents_only and self.trusted_documents is None:
            raise ValueError(
                "GATEWAY_TRUSTED_DOCUMENTS_ONLY=true needs GATEWAY_TRUSTED_DOCUMENTS (the manifest "
                "of the operations the clients ship with)"
            )
        return self

    @model_validator(mode="after")
    def _fhir_credentials_complete(self) -> Self:
        mode = self.effective_fhir_auth
        if mode == "static" and self.fhir_auth_token is None:
            raise ValueError("GATEWAY_FHIR_AUTH=static needs GATEWAY_FHIR_AUTH_TOKEN")
        if mode == "client_credentials":
            if not (self.fhir_token_url and self.fhir_client_id):
                raise ValueError(
                    "GATEWAY_FHIR_AUTH=client_credentials needs GATEWAY_FHIR_TOKEN_URL "
                    "and GATEWAY_FHIR_CLIENT_ID"
                )
            if (self.fhir_client_secret is None) == (self.fhir_private_key is None):
                raise ValueError(
                    "GATEWAY_FHIR_AUTH=client_credentials needs exactly one of "
                    "GATEWAY_FHIR_CLIENT_SECRET and GATEWAY_FHIR_PRIVATE_KEY"
                )
        return self

    @property
    def effective_fhir_auth(self) -> Literal["none", "static", "passthrough", "client_credentials"]:
        """How the gateway authenticates to the FHIR server: GATEWAY_FHIR_AUTH, by default
        ``static`` when GATEWAY_FHIR_AUTH_TOKEN is set."""
        if self.fhir_auth is not None:
            return self.fhir_auth
        return "static" if self.fhir_auth_token is not None else "none"

    @property
    def effective_auth_mode(self) -> Literal["none", "jwt"]:
        """How callers authenticate: GATEWAY_AUTH_MODE, by default jwt only in production."""
        if self.auth_mode is not None:
            return self.auth_mode
        return "jwt" if self.production else "none"

    @property
    def clinic_zone(self) -> ZoneInfo:
        """The zone in which availability and date-only license bounds are read."""
        return ZoneInfo(self.clinic_timezone)

    @property
    def embedded(self) -> bool:
        """True when no external FHIR server is configured and the embedded store serves."""
        return self.fhir_base_url is None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def seeds_demo(self) -> bool:
        """Load the demo clinic into an empty embedded store: by default only in development."""
        return self.seed_demo if self.seed_demo is not None else not self.production

    @property
    def store_exposed(self) -> bool:
        """Serve the embedded store at /fhir/R4: by default only in development, because its
        writes bypass the workflow rules and it has no authentication of its own."""
        return self.embedded and (
            self.expose_store if self.expose_store is not None else not self.production
        )
