"""The platform's secrets for local runs: taken from the environment, or generated once and kept.

`cityops run` and `cityops token` must agree on the JWT secret, and page tokens and tax-id fingerprints
must survive a restart, so a secret that is not configured is generated on first use and kept in the
data folder (readable by its owner only).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from services.common.settings import PlatformSettings

# Every scope of the platform (DESIGN §5): what the development token printed by `cityops run` carries.
# `sandbox:clock` moves the platform's time outside production (docs/decisions.md, "Sandbox clock").
DEVELOPMENT_SCOPES = (
    "procurement:read procurement:write procurement:evaluate procurement:tax_reveal "
    "real_estate:read real_estate:write safety:read safety:write safety:confidential "
    "portfolio:read portfolio:write audit:read sandbox:clock"
)


@dataclass(frozen=True)
class PlatformKeys:
    jwt_secret: str
    secret_key: str


def platform_keys(settings: PlatformSettings) -> PlatformKeys:
    return PlatformKeys(
        jwt_secret=jwt_secret(settings),
        secret_key=_configured_or_kept(settings.secret_key, settings.data_dir / "keys" / "secret-key"),
    )


def jwt_secret(settings: PlatformSettings) -> str:
    """CITYOPS_JWT_SECRET, else the one kept in the data folder: what `cityops token` signs with."""
    return _configured_or_kept(settings.jwt_secret, settings.data_dir / "keys" / "jwt-secret")


def _configured_or_kept(configured: SecretStr | None, path: Path) -> str:
    if configured is not None and configured.get_secret_value():
        return configured.get_secret_value()
    return kept_secret(path)


def kept_secret(path: Path) -> str:
    """The secret stored at `path`, created on first use; safe when two processes race to create it."""
    if path.exists():
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
    try:
        # A hard link appears whole or not at all, and never replaces a secret another process kept first.
        os.link(draft, path)
    except FileExistsError:
        return _read_secret(path)
    finally:
        draft.unlink()
    return secret


def _read_secret(path: Path) -> str:
    secret = path.read_text().strip()
    if not secret:
        raise RuntimeError(f"{path} is empty: delete it to have a new secret generated.")
    return secret
