"""Both clients a frontend team generates from the gateway's document come out whole and type-check:
openapi-python-client under mypy --strict, @hey-api/openapi-ts under tsc --strict. Nothing in them is
edited; the generators' configuration is committed in tools/contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .toolkit import TSCONFIG, Generated, mypy_python_client, node_tool, python_generator_warnings, run

pytestmark = pytest.mark.contract


def test_the_python_client_is_generated_with_every_operation(python_client: Generated) -> None:
    assert python_client.returncode == 0, python_client.output
    left_out = python_generator_warnings(python_client)
    assert not left_out, "openapi-python-client left parts of the document out:\n\n" + "\n\n".join(left_out)


def test_the_python_client_type_checks_with_mypy_strict(python_client: Generated) -> None:
    assert python_client.returncode == 0, python_client.output
    checked = mypy_python_client(python_client)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_typescript_client_is_generated(typescript_client: Generated) -> None:
    assert typescript_client.returncode == 0, typescript_client.output
    assert (typescript_client.folder / "client" / "sdk.gen.ts").exists(), typescript_client.output


def test_the_typescript_client_type_checks_with_tsc_strict(
    typescript_client: Generated, tmp_path: Path
) -> None:
    """The client alone, apart from the scenario (which the end-to-end test compiles with it)."""
    assert typescript_client.returncode == 0, typescript_client.output
    config = tmp_path / "tsconfig.json"
    config.write_text(
        json.dumps(
            {
                "extends": str(TSCONFIG),
                "compilerOptions": {"noEmit": True},
                "include": [str(typescript_client.folder / "client")],
            }
        )
    )
    checked = run([node_tool("tsc"), "--project", str(config), "--pretty", "false"], cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
