"""The contract tooling the client tests drive: the OpenAPI documents CityOps publishes, the linters and
the two client generators, each run as a developer would from the command line.

The node tools are those pinned in tools/contract (package.json and its lock file), installed there by
`make contract-tools` (a prerequisite of `make test`); the Python generator is the dev extra's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.app import create_app as create_gateway_app
from gateway.settings import GatewaySettings

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools" / "contract"
NODE_BIN = TOOLS / "node_modules" / ".bin"
# Spectral matches the overrides of .spectral.yaml against paths relative to it: documents that are not
# committed snapshots (the gateway's merged one) are written here.
BUILD = TOOLS / "build"
SPECTRAL_RULESET = TOOLS / ".spectral.yaml"
REDOCLY_CONFIG = TOOLS / "redocly.yaml"
PYTHON_CLIENT_CONFIG = TOOLS / "openapi-python-client.yaml"
PYTHON_PACKAGE = "cityops_client"
TSCONFIG = TOOLS / "tsconfig.json"
TS_SCENARIO = TOOLS / "scenario" / "procurement.ts"
GENERATION_SECONDS = 300

QUIET_NODE_ENV = {
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_COLOR": "1",
    "FORCE_COLOR": "0",
}


def snapshots() -> list[Path]:
    """Every service's committed OpenAPI snapshot."""
    return sorted((ROOT / "services").glob("*/openapi.json"))


def gateway_document() -> dict[str, Any]:
    """The merged document the gateway serves at /openapi.json, built from the committed snapshots by the
    gateway itself (with its default settings: the sandbox clock documented, `servers` its public URL)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        # The secret only lets the app be built: the document is served to anyone.
        app = create_gateway_app(GatewaySettings(jwt_secret="document-only-" + "d" * 24, log_json=False))
        response = asyncio.run(_get(app, "/openapi.json"))
    finally:
        # Building an app configures logging for a gateway process; the test run keeps its own.
        root.handlers[:] = handlers
        root.setLevel(level)
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def _get(app: Any, path: str) -> httpx.Response:
    # No lifespan: the document needs no upstream.
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        return await client.get(path)


def write_gateway_document(name: str) -> Path:
    BUILD.mkdir(exist_ok=True)
    path = BUILD / name
    path.write_text(json.dumps(gateway_document(), indent=2), encoding="utf-8")
    return path


def node_tool(name: str) -> str:
    path = NODE_BIN / name
    assert path.exists(), (
        f"{path.relative_to(ROOT)} is missing: run `make contract-tools` (npm ci in tools/contract, "
        "Node.js 20.19 or newer)"
    )
    return str(path)


def run(command: list[str], cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **QUIET_NODE_ENV, **env},
        capture_output=True,
        text=True,
        timeout=GENERATION_SECONDS,
        check=False,
    )


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@dataclass
class Findings:
    """A linter's findings on one document: counts by rule and severity, and a readable listing."""

    tool: str
    document: str
    errors: Counter[str]
    warnings: Counter[str]
    listing: list[str]
    located: set[tuple[str, str]]  # (rule, where: dotted path or JSON pointer)

    def summary(self) -> str:
        lines = [f"{self.tool} on {self.document}: {sum(self.errors.values())} errors, "]
        lines[0] += f"{sum(self.warnings.values())} warnings"
        for label, counts in (("error", self.errors), ("warning", self.warnings)):
            lines += [f"  {label:7} {count:5}  {rule}" for rule, count in counts.most_common()]
        return "\n".join(lines)


SPECTRAL_SEVERITIES = {0: "error", 1: "warning", 2: "information", 3: "hint"}


def spectral(document: Path) -> Findings:
    result = run(
        [
            node_tool("spectral"),
            "lint",
            "--ruleset",
            str(SPECTRAL_RULESET),
            "--format",
            "json",
            "--quiet",
            "--fail-severity",
            "error",
            str(document),
        ]
    )
    try:
        results = json.loads(result.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise AssertionError(f"spectral did not answer JSON:\n{result.stdout}\n{result.stderr}") from exc
    errors: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    listing = []
    located = set()
    for finding in results:
        severity = SPECTRAL_SEVERITIES.get(finding["severity"], "hint")
        if severity == "error":
            errors[finding["code"]] += 1
        elif severity == "warning":
            warnings[finding["code"]] += 1
        pointer = ".".join(str(part) for part in finding.get("path", []))
        listing.append(f"{severity:7} {finding['code']}: {finding['message']} at {pointer}")
        located.add((finding["code"], pointer))
    # Spectral exits 1 when it found errors; anything else non-zero is the tool failing.
    assert result.returncode in (0, 1) and (result.returncode == 1) == bool(errors), result.stderr
    return Findings("spectral", relative(document), errors, warnings, listing, located)


def redocly(document: Path) -> Findings:
    result = run(
        [
            node_tool("redocly"),
            "lint",
            "--config",
            str(REDOCLY_CONFIG),
            "--format",
            "json",
            str(document),
        ]
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"redocly did not answer JSON:\n{result.stdout}\n{result.stderr}") from exc
    errors: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    listing = []
    located = set()
    for problem in report["problems"]:
        (errors if problem["severity"] == "error" else warnings)[problem["ruleId"]] += 1
        pointer = ", ".join(location.get("pointer", "") for location in problem.get("location", []))
        listing.append(f"{problem['severity']:7} {problem['ruleId']}: {problem['message']} at {pointer}")
        located.add((problem["ruleId"], pointer))
    assert report["totals"]["errors"] == sum(errors.values()), report["totals"]
    assert result.returncode in (0, 1) and (result.returncode == 1) == bool(errors), result.stderr
    return Findings("redocly", relative(document), errors, warnings, listing, located)


@dataclass
class Generated:
    """A client generated into `folder`, with what the generator said."""

    folder: Path
    output: str
    returncode: int


def generate_python_client(document: Path, folder: Path) -> Generated:
    """openapi-python-client's package `cityops_client` in `folder` (importable with `folder` on the path)."""
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = run(
        [
            str(generator),
            "generate",
            "--path",
            str(document),
            "--output-path",
            str(folder / PYTHON_PACKAGE),
            "--meta",
            "none",
            "--config",
            str(PYTHON_CLIENT_CONFIG),
            "--overwrite",
        ]
    )
    return Generated(folder, result.stdout + result.stderr, result.returncode)


def python_generator_warnings(generated: Generated) -> list[str]:
    """The generator's warnings: each names a part of the document it could not turn into client code
    (an endpoint left out, a schema it could not read)."""
    text = generated.output
    marker = "Warning(s) encountered while generating."
    if marker not in text:
        return []
    body = text.split(marker, 1)[1].split("If you believe this was a mistake", 1)[0]
    return [block.strip() for block in body.split("\n\n") if block.strip()]


def mypy_python_client(generated: Generated) -> subprocess.CompletedProcess[str]:
    """mypy --strict over the generated package, as a team that type-checks its code would run it."""
    mypy = Path(sys.executable).with_name("mypy")
    return run(
        [
            str(mypy),
            "--strict",
            "--no-incremental",
            "--config-file",
            os.devnull,
            "--cache-dir",
            os.devnull,
            PYTHON_PACKAGE,
        ],
        cwd=generated.folder,
    )


def generate_typescript_client(document: Path, folder: Path) -> Generated:
    """@hey-api/openapi-ts's fetch client in `folder`/client, with the committed scenario and a
    tsconfig beside it."""
    result = run(
        [
            node_tool("openapi-ts"),
            "--input",
            str(document),
            "--output",
            str(folder / "client"),
            "--client",
            "@hey-api/client-fetch",
            "--no-log-file",
        ]
    )
    shutil.copy(TS_SCENARIO, folder / TS_SCENARIO.name)
    (folder / "tsconfig.json").write_text(
        json.dumps(
            {"extends": str(TSCONFIG), "compilerOptions": {"outDir": "dist"}, "include": ["*.ts", "client"]}
        )
    )
    return Generated(folder, result.stdout + result.stderr, result.returncode)


def tsc(folder: Path) -> subprocess.CompletedProcess[str]:
    """tsc with the committed tsconfig (strict) over the generated client and the scenario."""
    return run(
        [node_tool("tsc"), "--project", str(folder / "tsconfig.json"), "--pretty", "false"], cwd=folder
    )


def node() -> str:
    found = shutil.which("node")
    assert found, "node is not on the PATH: the TypeScript scenario runs on Node.js 20.19 or newer"
    return found
