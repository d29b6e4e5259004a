"""Settings: every GATEWAY_* environment variable the gateway reads, with its default."""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Gateway settings, read from GATEWAY_* environment variables (see README)."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    fhir_base_url: str | None = None
    fhir_auth_token: str | None = Field(default=None, repr=False)
    store_path: str = "./data/fhir.sqlite3"
    seed_demo: bool = True
    env: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    cursor_secret: str = Field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    upstream_connect_timeout: float = Field(default=2.0, gt=0)
    upstream_read_timeout: float = Field(default=10.0, gt=0)
    upstream_total_timeout: float = Field(default=15.0, gt=0)
    upstream_max_connections: int = Field(default=100, ge=1)
    max_depth: int = Field(default=12, ge=1)
    max_aliases: int = Field(default=20, ge=1)
    max_tokens: int = Field(default=3000, ge=1)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
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

    @field_validator("fhir_base_url", "fhir_server", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @property
    def embedded(self) -> bool:
        """True when no external FHIR server is configured and the embedded store serves."""
        return self.fhir_base_url is None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def store_exposed(self) -> bool:
        """Serve the embedded store at /fhir/R4: by default only in development, because its
        writes bypass the workflow rules and it has no authentication of its own."""
        return self.embedded and (
            self.expose_store if self.expose_store is not None else not self.production
        )
