"""The vendors and assets services as real HTTP servers on a database of their own, for contract testing.

A database apart from the suite's shared one: generated requests commit real rows (vendors, keys,
audit events) that the other tests must not see.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator

import pytest

from services.assets.app import create_app as create_assets_app
from services.assets.settings import AssetsSettings
from services.common.auth import mint_token
from services.vendors.app import create_app
from services.vendors.settings import VendorsSettings
from tests.common.local_server import serve
from tests.conftest import migrated_database

CONTRACT_SECRET = "contract-test-secret-" + "c" * 16
ALL_SCOPES = (
    "procurement:read procurement:write procurement:evaluate procurement:tax_reveal audit:read "
    "real_estate:read real_estate:write safety:read safety:write safety:confidential portfolio:read portfolio:write"
)


@pytest.fixture(scope="session")
def contract_database(server_url: str) -> Iterator[str]:
    with migrated_database(server_url, "contract") as url:
        yield url


@pytest.fixture(scope="session")
def vendors_server(contract_database: str) -> Iterator[tuple[str, dict]]:
    """(base URL, OpenAPI document) of a running vendors service."""
    app = create_app(
        VendorsSettings(database_url=contract_database, jwt_secret=CONTRACT_SECRET, log_json=False)
    )
    with serve(app, lifespan="on") as base_url:
        yield base_url, app.openapi()


@pytest.fixture(scope="session")
def assets_server(contract_database: str) -> Iterator[tuple[str, dict]]:
    """(base URL, OpenAPI document) of a running assets service."""
    app = create_assets_app(
        AssetsSettings(database_url=contract_database, jwt_secret=CONTRACT_SECRET, log_json=False)
    )
    with serve(app, lifespan="on") as base_url:
        yield base_url, app.openapi()


@pytest.fixture(scope="session")
def all_scopes_header() -> dict[str, str]:
    token = mint_token(CONTRACT_SECRET, sub="contract-tester", scopes=ALL_SCOPES, ttl_seconds=3600)
    return {"Authorization": f"Bearer {token}"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed generated test names the seed that replays it, next to schemathesis' curl command."""
    report: pytest.TestReport = yield
    seed = getattr(getattr(item, "module", None), "SEED", None)
    if report.failed and seed is not None:
        report.sections.append(
            ("schemathesis seed", f"{item.name} replays with CITYOPS_CONTRACT_SEED={seed} in the environment")
        )
    return report
