"""Fixtures of the vendors tests; the builders they work with are in factories.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from cli.openapi import build_document
from cli.services import PROCESSES
from services.common.clock import pinned_time
from tests.vendors.factories import T0, Records


@pytest.fixture
def clock() -> Iterator[object]:
    """The platform's time, pinned at T0 and moved by hand (`clock.set(...)`)."""
    with pinned_time(T0) as pinned:
        yield pinned


@pytest.fixture
def records(session: AsyncSession) -> Records:
    """Rows written straight into the tables, rolled back with the test."""
    return Records(session)


@pytest.fixture(scope="session")
def vendors_document() -> dict:
    """The vendors service's OpenAPI document as the code generates it."""
    return build_document(PROCESSES["vendors"])
