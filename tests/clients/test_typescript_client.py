"""The procurement scenario with the TypeScript client @hey-api/openapi-ts generates from the gateway's
document: tools/contract/scenario/procurement.ts, compiled by tsc (strict) with the client as generated,
run by node against the gateway of a running platform with a token from `cityops token`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.e2e.harness import RunningPlatform

from .toolkit import node

pytestmark = pytest.mark.e2e

STEPS = ("vendor-lifecycle", "tax-profile", "csv-report", "csv-import", "typed-problem", "open-data")
STEP_SECONDS = 120


@pytest.mark.parametrize("step", STEPS)
def test_the_typescript_scenario(
    step: str, typescript_scenario: Path, running_platform: RunningPlatform, staff_token: str
) -> None:
    result = subprocess.run(
        [node(), str(typescript_scenario), step],
        env={
            "PATH": os.environ.get("PATH", ""),
            "GATEWAY_URL": running_platform.gateway_url,
            "ACCESS_TOKEN": staff_token,
        },
        capture_output=True,
        text=True,
        timeout=STEP_SECONDS,
        check=False,
    )
    assert result.returncode == 0, f"{step}:\n{result.stdout}{result.stderr}"
    assert result.stdout.strip().endswith(f"ok {step}"), result.stdout
