"""The City's clock and calendar (business days, fiscal years, today in Los Angeles) and the sandbox
clock: moved forward only, by a caller with `sandbox:clock`, one offset per service kept in its schema,
and absent in production."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings
from services.common.clock import (
    PLATFORM_CLOCK,
    add_business_days,
    city_today,
    fiscal_quarter,
    fiscal_year,
    fiscal_year_dates,
    is_business_day,
    pinned_time,
    utcnow,
)
from services.common.sandbox import REFRESH_SECONDS, SIMULATED_TIME_HEADER

from .conftest import bearer, client_for
from .kernel_app import PREFIX, sandbox_clock

CLOCK = "/sandbox/clock"
MOVER = "kernel:read sandbox:clock"
PROBLEM = "application/problem+json"


# The calendar


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2030, 4, 5), True),  # a Friday
        (date(2030, 4, 6), False),  # Saturday
        (date(2030, 4, 7), False),  # Sunday
        (date(2030, 7, 4), False),  # Independence Day, a Thursday
        (date(2030, 4, 1), False),  # Cesar Chavez Day observed (31 March is a Sunday): California's own
        (date(2030, 11, 29), False),  # the day after Thanksgiving, a California holiday
    ],
)
def test_business_days_are_weekdays_that_are_not_us_or_california_holidays(day, business):
    assert is_business_day(day) is business


def test_business_days_count_after_the_start_and_skip_weekends_and_holidays():
    assert add_business_days(date(2030, 4, 5), 5) == date(2030, 4, 12)  # Friday to Friday
    assert add_business_days(date(2030, 3, 29), 1) == date(2030, 4, 2)  # over a weekend and Chavez Day
    assert add_business_days(date(2030, 11, 27), 1) == date(2030, 12, 2)  # over Thanksgiving's four days
    assert add_business_days(date(2030, 4, 6), 0) == date(2030, 4, 6)


def test_fiscal_years_end_on_june_30_and_are_named_by_that_year():
    assert fiscal_year(date(2026, 6, 30)) == 2026
    assert fiscal_year(date(2026, 7, 1)) == 2027
    assert [fiscal_quarter(date(2026, month, 1)) for month in (7, 10, 1, 4, 6)] == [1, 2, 3, 4, 4]
    assert fiscal_year_dates(2026) == (date(2025, 7, 1), date(2026, 6, 30))


def test_today_is_the_day_in_los_angeles_not_in_utc():
    late_evening_in_la = datetime(2030, 3, 5, 6, 59, tzinfo=UTC)  # 22:59 on 4 March, PST
    assert city_today(late_evening_in_la) == date(2030, 3, 4)
    with pinned_time(late_evening_in_la + timedelta(minutes=1)):
        assert city_today() == date(2030, 3, 4)


def test_a_pinned_time_is_what_every_reading_returns_until_the_block_ends():
    moment = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)
    with pinned_time(moment) as pinned:
        assert utcnow() == moment
        pinned.set(moment - timedelta(days=1))
        assert utcnow() == moment - timedelta(days=1)
    assert abs(utcnow() - datetime.now(UTC)) < timedelta(seconds=5)


# The sandbox clock at a service


@pytest.fixture
async def sandbox(kernel_app: FastAPI, kernel_schema: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The kernel service whose clock the test moves; its row is removed and the process's clock put
    back afterwards, so no other test runs in the future."""
    async with client_for(kernel_app) as client:
        yield client
    async with kernel_schema.begin() as connection:
        await connection.execute(delete(sandbox_clock))
    PLATFORM_CLOCK.offset = timedelta(0)
    await kernel_app.state.sandbox_clock.refresh_now(kernel_app.state.sessions)


async def test_the_clock_is_real_until_moved_and_responses_say_nothing(sandbox):
    response = await sandbox.get(CLOCK, headers=bearer(MOVER))
    assert response.status_code == 200, response.text
    assert response.json()["simulated"] is False and response.json()["ahead_by"] == "PT0S"
    items = await sandbox.get(f"{PREFIX}/items", params={"tag": "none"}, headers=bearer())
    assert SIMULATED_TIME_HEADER not in items.headers


async def test_moving_forward_moves_every_reading_and_marks_every_response(sandbox):
    moved = await sandbox.put(CLOCK, json={"ahead_by": "P3D"}, headers=bearer(MOVER))
    assert moved.status_code == 200, moved.text
    assert moved.json()["simulated"] is True and moved.json()["ahead_by"] == "P3D"
    assert abs(utcnow() - (datetime.now(UTC) + timedelta(days=3))) < timedelta(seconds=5)

    items = await sandbox.get(f"{PREFIX}/items", params={"tag": "none"}, headers=bearer())
    marked = datetime.fromisoformat(items.headers[SIMULATED_TIME_HEADER])
    assert abs(marked - (datetime.now(UTC) + timedelta(days=3))) < timedelta(seconds=5)
    missing = await sandbox.get(f"{PREFIX}/items/not-an-id", headers=bearer())
    assert SIMULATED_TIME_HEADER in missing.headers  # problems too


async def test_the_clock_never_moves_back(sandbox):
    assert (await sandbox.put(CLOCK, json={"ahead_by": "P3D"}, headers=bearer(MOVER))).status_code == 200
    back = await sandbox.put(CLOCK, json={"ahead_by": "P1D"}, headers=bearer(MOVER))
    assert back.status_code == 409 and back.headers["content-type"].startswith(PROBLEM)
    assert back.json()["type"] == "urn:cityops:problem:clock-moves-forward-only"
    negative = await sandbox.put(CLOCK, json={"ahead_by": "-PT1S"}, headers=bearer(MOVER))
    assert negative.status_code == 422 and negative.json()["errors"][0]["location"] == ["body", "ahead_by"]
    assert abs(utcnow() - (datetime.now(UTC) + timedelta(days=3))) < timedelta(seconds=5)


async def test_a_move_made_by_another_replica_is_followed_within_a_second(sandbox, kernel_schema):
    assert (await sandbox.put(CLOCK, json={"ahead_by": "PT1H"}, headers=bearer(MOVER))).status_code == 200
    async with kernel_schema.begin() as connection:  # as another process would
        await connection.execute(update(sandbox_clock).values(ahead_by=timedelta(days=2)))
    assert (await sandbox.get(CLOCK, headers=bearer(MOVER))).json()["ahead_by"] == "PT1H"  # still cached
    await asyncio.sleep(REFRESH_SECONDS + 0.1)
    assert (await sandbox.get(CLOCK, headers=bearer(MOVER))).json()["ahead_by"] == "P2D"


async def test_moving_the_clock_needs_a_token_with_the_sandbox_scope(sandbox):
    assert (await sandbox.get(CLOCK)).status_code == 401
    refused = await sandbox.put(CLOCK, json={"ahead_by": "P1D"}, headers=bearer("kernel:read kernel:write"))
    assert refused.status_code == 403 and refused.json()["required_scopes"] == ["sandbox:clock"]
    assert PLATFORM_CLOCK.offset == timedelta(0)


# Production


async def test_in_production_a_service_has_no_sandbox_clock(make_kernel_app):
    app = await make_kernel_app(environment="production")
    async with client_for(app) as client:
        for method in ("GET", "PUT"):
            response = await client.request(method, CLOCK, json={"ahead_by": "P1D"}, headers=bearer(MOVER))
            assert response.status_code == 404
    assert not hasattr(app.state, "sandbox_clock")


@pytest.mark.parametrize("environment", ["production", "development"])
async def test_in_production_the_gateway_neither_serves_nor_documents_the_sandbox_clock(environment):
    gateway = create_gateway(GatewaySettings(jwt_secret="s" * 32, log_json=False, environment=environment))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(gateway), base_url="http://gw.test") as client:
        document = (await client.get("/openapi.json")).json()
        unauthenticated = await client.get("/v1/sandbox/clock")
    documented = {"/v1/sandbox/clock", "/v1/sandbox/clock/advance"} <= set(document["paths"])
    if environment == "production":
        assert unauthenticated.status_code == 404 and not documented
    else:
        assert unauthenticated.status_code == 401 and documented


def test_a_misspelt_environment_fails_the_start():
    with pytest.raises(ValueError, match="environment"):
        GatewaySettings(jwt_secret="s" * 32, environment="prod")
