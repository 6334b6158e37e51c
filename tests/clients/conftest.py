"""Fixtures of the client tests: the gateway's document, the clients generated from it once per session,
and one running platform (real processes, `python -m cli run`) that both clients drive through the
gateway, as a frontend team would."""

from __future__ import annotations

import os
import signal
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.database import drop_database, ensure_database
from tests.e2e.harness import RunningPlatform, token

from .toolkit import (
    PYTHON_PACKAGE,
    Findings,
    Generated,
    generate_python_client,
    generate_typescript_client,
    tsc,
    write_gateway_document,
)

STAFF_SCOPES = "procurement:read procurement:write"
LINT_FINDINGS = pytest.StashKey[list[Findings]]()


@pytest.fixture(scope="session")
def gateway_document_path() -> Iterator[Path]:
    """The gateway's merged document as it serves it, in a file (the one the clients are generated from)."""
    path = write_gateway_document(f"gateway-openapi-{os.getpid()}.json")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def python_client(tmp_path_factory: pytest.TempPathFactory, gateway_document_path: Path) -> Generated:
    return generate_python_client(gateway_document_path, tmp_path_factory.mktemp("python-client"))


@pytest.fixture(scope="session")
def python_client_on_path(python_client: Generated) -> Iterator[Path]:
    """The generated package importable as `cityops_client`, unchanged, for the session."""
    assert python_client.returncode == 0, python_client.output
    sys.path.insert(0, str(python_client.folder))
    try:
        yield python_client.folder
    finally:
        sys.path.remove(str(python_client.folder))
        for name in [m for m in sys.modules if m == PYTHON_PACKAGE or m.startswith(f"{PYTHON_PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture(scope="session")
def typescript_client(tmp_path_factory: pytest.TempPathFactory, gateway_document_path: Path) -> Generated:
    return generate_typescript_client(gateway_document_path, tmp_path_factory.mktemp("typescript-client"))


@pytest.fixture(scope="session")
def typescript_scenario(typescript_client: Generated) -> Path:
    """The committed scenario compiled by tsc with the generated client: the script node runs."""
    assert typescript_client.returncode == 0, typescript_client.output
    compiled = tsc(typescript_client.folder)
    assert compiled.returncode == 0, f"tsc:\n{compiled.stdout}{compiled.stderr}"
    script = typescript_client.folder / "dist" / "procurement.js"
    assert script.exists(), sorted(str(p) for p in typescript_client.folder.rglob("*.js"))
    return script


@pytest.fixture(scope="session")
def platform_database() -> Iterator[str | None]:
    """None: the platform starts its embedded PostgreSQL. With CITYOPS_TEST_DATABASE_URL: a fresh
    database on that server, dropped afterwards."""
    server = os.environ.get("CITYOPS_TEST_DATABASE_URL")
    if not server:
        yield None
        return
    name = f"cityops_clients_{uuid.uuid4().hex[:8]}"
    url = ensure_database(server, name)
    try:
        yield url
    finally:
        drop_database(server, name)


@pytest.fixture(scope="session")
def running_platform(platform_database: str | None) -> Iterator[RunningPlatform]:
    """One platform for every client scenario of the session: each scenario makes its own records."""
    with tempfile.TemporaryDirectory(prefix="cityops-clients-") as folder:
        running = RunningPlatform(data_dir=Path(folder) / "data", database_url=platform_database)
        try:
            yield running.start()
            running.send(signal.SIGINT)  # Ctrl-C, as a developer stops it
            running.wait()
        finally:
            running.kill_everything()


@pytest.fixture(scope="session")
def staff_token(running_platform: RunningPlatform) -> str:
    """A token from `cityops token`, as a developer gets one."""
    return token(running_platform, STAFF_SCOPES)


@pytest.fixture(scope="session")
def lint_findings(request: pytest.FixtureRequest) -> list[Findings]:
    return request.config.stash.setdefault(LINT_FINDINGS, [])


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    """The linters' findings, warnings included, at the end of the run: the errors fail a test, the
    warnings are advice that should be read."""
    findings = config.stash.get(LINT_FINDINGS, [])
    if findings:
        terminalreporter.section("OpenAPI lint findings")
        for found in findings:
            terminalreporter.write_line(found.summary())
