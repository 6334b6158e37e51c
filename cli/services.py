"""The processes of the platform: each service, then the gateway in front of them.

A new service is one more entry in SERVICES: `cityops serve`, `cityops run`, the migrations and the
gateway's upstream URLs all follow from this table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum

from services.common.settings import PlatformSettings


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    app_factory: str  # "module:function", served by uvicorn in factory mode
    settings_class: str  # "module:Class", read the way the app reads it
    default_port: int
    has_database: bool = True

    @property
    def env_prefix(self) -> str:
        return f"CITYOPS_{self.name.upper()}_"

    def settings(self) -> PlatformSettings:
        module, _, name = self.settings_class.partition(":")
        settings_type: type[PlatformSettings] = getattr(importlib.import_module(module), name)
        return settings_type()

    def port(self) -> int:
        """CITYOPS_<NAME>_PORT as the process's settings read it, or the platform's default port."""
        return int(getattr(self.settings(), "port", self.default_port))

    def database_url(self) -> str | None:
        """CITYOPS_<NAME>_DATABASE_URL, falling back to CITYOPS_DATABASE_URL (the kernel's rule)."""
        url = getattr(self.settings(), "database_url", None)
        return str(url) if url else None


SERVICES: tuple[ProcessSpec, ...] = (
    ProcessSpec(
        name="vendors",
        app_factory="services.vendors.app:create_app",
        settings_class="services.vendors.settings:VendorsSettings",
        default_port=8001,
    ),
    ProcessSpec(
        name="assets",
        app_factory="services.assets.app:create_app",
        settings_class="services.assets.settings:AssetsSettings",
        default_port=8002,
    ),
)

GATEWAY = ProcessSpec(
    name="gateway",
    app_factory="gateway.app:create_app",
    settings_class="gateway.settings:GatewaySettings",
    default_port=8000,
    has_database=False,
)

PROCESSES = {spec.name: spec for spec in (*SERVICES, GATEWAY)}


class ServiceName(StrEnum):
    """The choices of `cityops migrate` (one per entry of SERVICES)."""

    vendors = "vendors"
    assets = "assets"


class ProcessName(StrEnum):
    """The choices of `cityops serve` (one per entry of PROCESSES)."""

    vendors = "vendors"
    assets = "assets"
    gateway = "gateway"
