"""Settings: one place that reads the CITYOPS_* environment.

Platform-wide values (JWT, data folder, shared database) are read from CITYOPS_<NAME>; a process's own
values (its database, its port) from its prefix, e.g. CITYOPS_VENDORS_DATABASE_URL, falling back to the
platform value so that one server with a schema per service is the zero-configuration default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_SIGNING_KEY = "cityops-development-only"


def platform_field(name: str, default: Any = None) -> Any:
    """A field read from the un-prefixed CITYOPS_<NAME> variable whatever the class's prefix.

    The bare field name is no alias on purpose: it would make generic variables such as LOG_LEVEL or
    JWT_SECRET configure the platform. Keyword arguments still work by field name (`populate_by_name`).
    """
    return Field(default=default, validation_alias=AliasChoices(f"CITYOPS_{name.upper()}"))


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_", extra="ignore", populate_by_name=True)

    data_dir: Path = platform_field("data_dir", Path(".cityops"))
    jwt_secret: SecretStr | None = platform_field("jwt_secret")
    jwt_jwks_url: str | None = platform_field("jwt_jwks_url")
    jwt_audience: str = platform_field("jwt_audience", "cityops")
    # Signs page tokens and keys TIN fingerprints; falls back to the JWT secret in development.
    secret_key: SecretStr | None = platform_field("secret_key")
    log_level: str = platform_field("log_level", "INFO")
    log_json: bool = platform_field("log_json", True)
    # Peers whose X-Forwarded-* headers are believed (addresses, networks, or `*`): comma-separated.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = platform_field(
        "forwarded_allow_ips", ["127.0.0.1", "::1"]
    )

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [entry.strip() for entry in value.split(",") if entry.strip()]
        return value

    # Where the platform runs. Only `production` changes behaviour: there the sandbox clock does not
    # exist and time is the system clock. A closed list, so that a misspelt `production` fails the start
    # rather than leaving time movable in production.
    environment: Literal["development", "test", "staging", "production"] = platform_field(
        "environment", "development"
    )

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def signing_key(self) -> str:
        for secret in (self.secret_key, self.jwt_secret):
            if secret is not None:
                return secret.get_secret_value()
        return DEVELOPMENT_SIGNING_KEY


class ServiceSettings(PlatformSettings):
    """A service's settings; each service subclasses it with `env_prefix="CITYOPS_<SERVICE>_"`."""

    service_name: str = "service"
    database_url: str | None = None
    port: int = 8000
    # Connections each process keeps open, and how many more it may open under load. A request holds one
    # connection at a time and waits its turn for one of pool size + overflow. An overflow connection is
    # closed as soon as it is given back, so under steady load it is opened again for nearly every request
    # it serves, each time starting a PostgreSQL backend (and a TLS handshake where the server offers
    # one): with 10 + 10, a third less throughput than 20 + 0 for one vendor by id at 32 connections.
    db_pool_size: int = 20
    db_max_overflow: int = 0
    idempotency_ttl_hours: int = 24
    # How long a request may wait on the database, in seconds. Each bound is inside the gateway's own
    # (10 s per read, 15 s in all), so that the service answers, with a 503 and its transaction rolled
    # back, before the gateway gives up and tells the client 504 (docs/decisions.md, "Database faults").
    db_connect_timeout: float = 2.0
    db_pool_timeout: float = 5.0
    db_statement_timeout: float = 5.0
    # A transaction left open by a stuck process, holding its row locks: PostgreSQL ends it.
    db_idle_in_transaction_timeout: float = 30.0
    readiness_timeout: float = 1.5
    # Until the response starts; the request's work is then cancelled and rolled back. 0 turns it off.
    request_deadline: float = 8.0
    # The largest body a route's JSON (or form) may have; routes that stream their body (imports) bound
    # it themselves.
    max_body_bytes: int = Field(default=1024 * 1024, ge=0)
    # How long a stopping process waits for its background tasks (imports) before cancelling them.
    task_drain_seconds: float = 30.0

    @model_validator(mode="after")
    def _shared_database_by_default(self) -> ServiceSettings:
        if self.database_url is None:
            self.database_url = os.environ.get("CITYOPS_DATABASE_URL")
        return self

    def require_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError(
                f"No database configured: set CITYOPS_{self.service_name.upper()}_DATABASE_URL or "
                "CITYOPS_DATABASE_URL, or start the platform with `cityops run`, which starts one."
            )
        return self.database_url
