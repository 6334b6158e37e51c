"""The installed `cityops` command: `token` prints a JWT the platform accepts, signed with its secret;
`serve` refuses to start a service that has no database, and names what to set."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest

from cli.keys import DEVELOPMENT_SCOPES
from services.common.auth import TokenVerifier
from services.common.settings import PlatformSettings

from .harness import cli_env

COMMAND = str(Path(sys.executable).parent / "cityops")
SECRET = "e2e-token-secret-" + "y" * 24


def cityops(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, *args], env=cli_env(data_dir, **env), capture_output=True, text=True, timeout=60
    )


def cityops_token(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return cityops(data_dir, "token", *args, **env)


def test_token_carries_the_requested_claims_signed_with_the_configured_secret(tmp_path: Path) -> None:
    result = cityops_token(
        tmp_path,
        "--scope",
        "procurement:read  procurement:write",
        "--sub",
        "me",
        "--dept",
        "GSD",
        "--ttl",
        "600",
        CITYOPS_JWT_SECRET=SECRET,
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"  # nothing but the token: `TOKEN=$(cityops token)` works

    claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience="cityops")
    assert claims["sub"] == "me"
    assert claims["scope"] == "procurement:read procurement:write"
    assert claims["dept"] == "GSD"
    assert claims["aud"] == "cityops"
    assert abs(claims["exp"] - (time.time() + 600)) < 30

    principal = asyncio.run(TokenVerifier(PlatformSettings(jwt_secret=SECRET)).verify(token))
    assert principal.sub == "me"
    assert principal.has("procurement:read", "procurement:write")
    assert principal.dept == "GSD"
    assert not (tmp_path / "keys" / "jwt-secret").exists()  # a configured secret is never written down


def test_without_a_configured_secret_the_kept_one_signs_every_token(tmp_path: Path) -> None:
    first = cityops_token(tmp_path)
    second = cityops_token(tmp_path, "--scope", "audit:read")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr

    kept = tmp_path / "keys" / "jwt-secret"
    assert kept.stat().st_mode & 0o777 == 0o600
    secret = kept.read_text().strip()
    claims = jwt.decode(first.stdout.strip(), secret, algorithms=["HS256"], audience="cityops")
    assert claims["scope"].split() == DEVELOPMENT_SCOPES.split()
    assert claims["sub"] == "developer"
    assert "dept" not in claims
    assert jwt.decode(second.stdout.strip(), secret, algorithms=["HS256"], audience="cityops")["scope"] == (
        "audit:read"
    )


@pytest.mark.parametrize(
    ("args", "complaint"),
    [(["--scope", "  "], "--scope"), (["--ttl", "5"], "--ttl"), (["--colour", "red"], "--colour")],
)
def test_bad_options_are_refused_with_a_message(tmp_path: Path, args: list[str], complaint: str) -> None:
    result = cityops_token(tmp_path, *args, CITYOPS_JWT_SECRET=SECRET)
    assert result.returncode == 2
    assert result.stdout == ""
    assert complaint in result.stderr


def test_serve_without_a_database_says_what_to_set(tmp_path: Path) -> None:
    result = cityops(tmp_path, "serve", "vendors")
    assert result.returncode == 2
    assert "CITYOPS_VENDORS_DATABASE_URL" in result.stderr
    assert "CITYOPS_DATABASE_URL" in result.stderr


def test_serve_refuses_an_unknown_process(tmp_path: Path) -> None:
    result = cityops(tmp_path, "serve", "payroll")
    assert result.returncode == 2
    assert "payroll" in result.stderr
