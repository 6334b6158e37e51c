"""`cityops import`: a CSV file streamed to a real vendors service over HTTP, the report printed, and the
exit code telling a script whether every row loaded (0), some failed (1) or the file was refused (2).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app
from services.common.auth import mint_token
from services.vendors.app import create_app
from services.vendors.settings import VendorsSettings
from tests.common.local_server import serve
from tests.conftest import JWT_SECRET, migrated_database

HEADER = "external_ref,vendor_identifier_scheme,vendor_identifier,vendor_name,department,category_code,amount,paid_date"


@pytest.fixture(scope="module")
def service_url(server_url: str) -> Iterator[str]:
    """The vendors service on a database of its own (imports commit), with one registered vendor."""
    with migrated_database(server_url, "cli_import") as database_url:
        service = create_app(
            VendorsSettings(database_url=database_url, jwt_secret=JWT_SECRET, log_json=False)
        )
        with serve(service, lifespan="on") as url:
            response = httpx.post(
                f"{url}/v1/procurement/vendors",
                json={
                    "legal_name": "Acme Construction Incorporated",
                    "entity_type": "corporation",
                    "identifiers": [{"scheme": "CA-SOS", "id": "C1234567"}],
                },
                headers={"Authorization": f"Bearer {writer_token()}"},
            )
            assert response.status_code == 201, response.text
            yield url


def writer_token() -> str:
    return mint_token(JWT_SECRET, sub="cli-tester", scopes="procurement:read procurement:write")


def run_import(service_url, path, *options):
    return CliRunner().invoke(
        app,
        [
            "import",
            str(path),
            "--kind",
            "payments",
            "--url",
            service_url,
            "--token",
            writer_token(),
            *options,
        ],
    )


def test_a_file_is_streamed_and_its_report_printed(service_url, tmp_path):
    lines = [f"CLI-{n},CA-SOS,C1234567,,GSD,620-80,{n}.00,2026-01-05" for n in range(1, 1001)]
    path = tmp_path / "payments.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n")

    result = run_import(service_url, path)
    assert result.exit_code == 0, result.output
    assert "completed" in result.output
    assert "rows 1,000: loaded 1,000, already present 0, failed 0" in result.output
    assert "by identifier on 1,000 rows" in result.output

    again = run_import(service_url, path)
    assert again.exit_code == 0, again.output
    assert "loaded 0, already present 1,000" in again.output


def test_failed_rows_are_listed_with_their_lines_and_exit_1(service_url, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "\n".join(
            [
                HEADER,
                "CLI-M1,CA-SOS,C1234567,,GSD,620-80,10.00,2026-01-05",
                "CLI-M2,,,Nobody Known LLC,GSD,620-80,10.00,2026-01-05",
                "CLI-M3,CA-SOS,C1234567,,NOPE,620-80,10.00,2026-01-05",
            ]
        )
        + "\n"
    )
    result = run_import(service_url, path)
    assert result.exit_code == 1, result.output
    assert "loaded 1, already present 0, failed 2" in result.output
    assert "line 3 vendor_name: no registered vendor has this name" in result.output
    assert "line 4 department: not a City department code" in result.output


def test_a_refused_file_or_token_exits_2_with_the_reason(service_url, tmp_path):
    path = tmp_path / "bad-header.csv"
    path.write_text("external_ref,colour\nX,blue\n")
    result = run_import(service_url, path)
    assert result.exit_code == 2
    assert "Refused: 422" in result.output and "unknown column `colour`" in result.output

    reader = mint_token(JWT_SECRET, sub="reader", scopes="procurement:read")
    result = CliRunner().invoke(
        app, ["import", str(path), "--kind", "payments", "--url", service_url, "--token", reader]
    )
    assert result.exit_code == 2 and "403" in result.output
