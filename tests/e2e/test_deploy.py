"""The deployment files: docker-compose.yml is valid for Compose and wires the platform as designed, and
every command the image and the compose file run is one the `cityops` command accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.main import app
from cli.services import GATEWAY, SERVICES, ProcessName, ServiceName

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
SECRETS = {"CITYOPS_JWT_SECRET": "compose-check-jwt", "CITYOPS_SECRET_KEY": "compose-check-key"}


def compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    pytest.fail(
        "docker-compose is not installed, so docker-compose.yml cannot be checked: "
        "`apt-get install docker-compose` (.ci/run installs it)."
    )


def compose(*args: str, secrets: dict[str, str] = SECRETS) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(ROOT), **secrets}
    return subprocess.run(
        [*compose_command(), "--file", str(COMPOSE_FILE), "--project-directory", str(ROOT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    """The compose file as Compose resolves it (anchors merged, variables substituted)."""
    result = compose("config")
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = yaml.safe_load(result.stdout)
    return document["services"]


def test_compose_accepts_the_file() -> None:
    result = compose("config", "-q")
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_run_without_the_secrets() -> None:
    result = compose("config", "-q", secrets={"CITYOPS_SECRET_KEY": "only-this-one"})
    assert result.returncode != 0
    assert "CITYOPS_JWT_SECRET" in result.stderr


def test_only_the_gateway_is_published(resolved: dict[str, Any]) -> None:
    published = {name for name, service in resolved.items() if service.get("ports")}
    assert published == {GATEWAY.name}
    assert [port["target"] for port in resolved[GATEWAY.name]["ports"]] == [GATEWAY.default_port]


def test_each_service_waits_for_its_migrations_which_wait_for_postgres(resolved: dict[str, Any]) -> None:
    for spec in SERVICES:
        job = resolved[f"{spec.name}-migrate"]
        assert job["command"] == ["migrate", spec.name]
        assert job["depends_on"] == {"postgres": {"condition": "service_healthy"}}
        service = resolved[spec.name]
        assert service["command"] == ["serve", spec.name]
        assert service["depends_on"] == {
            f"{spec.name}-migrate": {"condition": "service_completed_successfully"}
        }
        assert service["deploy"]["replicas"] >= 2
        assert resolved[GATEWAY.name]["environment"][f"{spec.env_prefix}URL"] == (
            f"http://{spec.name}:{spec.default_port}"
        )
    assert "healthcheck" in resolved["postgres"]


def test_every_process_shares_the_jwt_secret_and_the_gateway_gets_no_database(
    resolved: dict[str, Any],
) -> None:
    cityops = {name: service for name, service in resolved.items() if name != "postgres"}
    assert {service["environment"]["CITYOPS_JWT_SECRET"] for service in cityops.values()} == {
        SECRETS["CITYOPS_JWT_SECRET"]
    }
    assert "CITYOPS_DATABASE_URL" not in resolved[GATEWAY.name]["environment"]
    assert len({service["image"] for service in cityops.values()}) == 1  # one image for all


def _accepted_by_cityops(args: list[str]) -> None:
    """`cityops <args>` names a command of the `cityops` CLI and a process it knows."""
    commands = {command.callback.__name__ for command in app.registered_commands if command.callback}
    assert args[0] in commands, f"cityops has no command {args[0]!r}"
    choices = {"serve": ProcessName, "migrate": ServiceName}
    if args[0] in choices:
        choices[args[0]](args[1])  # ValueError for a name the command would refuse


def test_the_image_and_the_compose_file_run_real_cityops_commands(resolved: dict[str, Any]) -> None:
    dockerfile = DOCKERFILE.read_text()
    assert "FROM python:3.11-slim" in dockerfile
    assert 'ENTRYPOINT ["cityops"]' in dockerfile
    default_command = next(line for line in dockerfile.splitlines() if line.startswith("CMD "))
    commands = [json.loads(default_command.removeprefix("CMD "))]
    commands += [service["command"] for name, service in resolved.items() if name != "postgres"]
    for command in commands:
        _accepted_by_cityops(command)
    with pytest.raises(ValueError):
        _accepted_by_cityops(["serve", "no-such-service"])
