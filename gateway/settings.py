"""The gateway's settings: CITYOPS_GATEWAY_* for its own knobs, CITYOPS_<SERVICE>_URL for its upstreams."""

from __future__ import annotations

import json
import os
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from gateway.upstreams import Upstream
from services.common.settings import PlatformSettings

MiB = 1024 * 1024
GiB = 1024 * MiB


class GatewaySettings(PlatformSettings):
    model_config = SettingsConfigDict(env_prefix="CITYOPS_GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = "gateway"
    port: int = 8000
    public_url: str = Field(
        default="/",
        description="Where clients reach the gateway; the merged OpenAPI document's `servers` entry. "
        "The default, `/`, means wherever the document itself was fetched from.",
    )
    # Browsers' origins allowed to call the API: a JSON list or a comma-separated string.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Per client (the token's subject, else the client's address), in the `limits` notation.
    rate_limit: str = "600/minute"
    max_body_bytes: int = 10 * MiB
    # Bulk uploads, which services stream (a million payment lines is about 100 MiB), have their own.
    upload_max_body_bytes: int = 2 * GiB
    upload_paths: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["/v1/procurement/imports"])
    upstream_connect_timeout: float = 2.0
    upstream_read_timeout: float = 10.0
    # Bounds the wait for an upstream's response head, retries included; the body then streams on.
    upstream_deadline: float = 15.0
    upstream_retries: int = 2
    upstream_max_connections: int = 100
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 10.0
    readiness_timeout: float = 2.0
    # Explicit upstream addresses by name; otherwise CITYOPS_<NAME>_URL, otherwise the table's default.
    upstream_urls: dict[str, str] = Field(default_factory=dict)

    @field_validator("cors_origins", "upload_paths", mode="before")
    @classmethod
    def _origins_from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [origin.strip() for origin in text.split(",") if origin.strip()]
        return value

    def url_for(self, upstream: Upstream) -> str:
        """An upstream's base URL. Read per upstream from the environment so that adding a service to
        the upstream table needs no new settings field."""
        return (
            self.upstream_urls.get(upstream.name)
            or os.environ.get(upstream.url_variable)
            or upstream.default_url
        )
