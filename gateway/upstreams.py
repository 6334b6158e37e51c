"""The upstream table: every service the gateway fronts, one line each.

A service serves its paths under its own prefix and the gateway forwards them unchanged, so all the
gateway needs to know is the prefix, where the service listens and where its committed OpenAPI snapshot
lies. The snapshot is read as a JSON file: the gateway never imports a service's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Upstream:
    name: str
    prefix: str
    default_url: str
    openapi_snapshot: Path

    def __post_init__(self) -> None:
        if not self.prefix.startswith("/") or self.prefix.endswith("/"):
            raise ValueError(f"upstream {self.name!r}: the prefix must start with / and not end with one")
        if not self.openapi_snapshot.is_absolute():
            object.__setattr__(self, "openapi_snapshot", PROJECT_ROOT / self.openapi_snapshot)

    @property
    def url_variable(self) -> str:
        """The environment variable naming where it listens: CITYOPS_VENDORS_URL."""
        return f"CITYOPS_{self.name.upper()}_URL"

    def serves(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")


UPSTREAMS: tuple[Upstream, ...] = (
    Upstream("vendors", "/v1/procurement", "http://127.0.0.1:8001", Path("services/vendors/openapi.json")),
    Upstream("assets", "/v1/real-estate", "http://127.0.0.1:8002", Path("services/assets/openapi.json")),
)
