"""A dead or slow upstream gets a quick 503/504 naming it, and the other upstreams carry on."""

from __future__ import annotations

import asyncio
import time

import httpx

from .conftest import DEADLINE_SECONDS, SLOW_UPSTREAM_DELAY
from .gateway_testkit import problem


async def _timed(call) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await call
    return response, time.perf_counter() - started


async def test_a_dead_upstream_is_a_quick_503_naming_it(gateway: httpx.AsyncClient):
    response, elapsed = await _timed(gateway.get("/v1/dead/anything"))

    document = problem(response, 503)
    assert document["upstream"] == "dead"
    assert document["type"] == "urn:cityops:problem:service-unavailable"
    assert int(response.headers["retry-after"]) >= 1
    assert elapsed < 2


async def test_a_dead_upstream_s_circuit_opens_and_says_when_to_retry(gateway: httpx.AsyncClient):
    for _ in range(5):  # five failures or more open the circuit (retries count too)
        response = await gateway.post("/v1/dead/orders", json={"n": 1})
        problem(response, 503)

    response, elapsed = await _timed(gateway.get("/v1/dead/anything"))
    document = problem(response, 503)
    assert "paused" in document["detail"]
    assert 1 <= int(response.headers["retry-after"]) <= 30
    assert elapsed < 0.5  # refused without trying the upstream


async def test_a_slow_upstream_is_a_504_within_the_deadline(gateway: httpx.AsyncClient):
    response, elapsed = await _timed(gateway.get("/v1/slow/reports"))

    document = problem(response, 504)
    assert document["upstream"] == "slow"
    assert document["type"] == "urn:cityops:problem:gateway-timeout"
    assert elapsed < DEADLINE_SECONDS + 1 < SLOW_UPSTREAM_DELAY


async def test_other_upstreams_are_served_while_one_hangs(gateway: httpx.AsyncClient, auth):
    slow = asyncio.create_task(_timed(gateway.post("/v1/slow/reports", json={"fiscal_year": 2026})))
    dead = asyncio.create_task(_timed(gateway.get("/v1/dead/anything")))
    await asyncio.sleep(0.1)  # both are now pending in the gateway

    for _ in range(3):
        healthy, elapsed = await _timed(
            gateway.get("/v1/procurement/vendors", headers=auth("procurement:read"))
        )
        assert healthy.status_code == 200
        assert elapsed < 1
        assert not slow.done()

    slow_response, slow_elapsed = await slow
    problem(slow_response, 504)
    assert slow_elapsed < DEADLINE_SECONDS + 1
    problem((await dead)[0], 503)


async def test_readyz_reports_each_upstream(gateway: httpx.AsyncClient):
    response, elapsed = await _timed(gateway.get("/readyz"))

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["upstreams"]["vendors"] == "ready"
    assert body["upstreams"]["echo"] == "ready"
    assert body["upstreams"]["slow"] == "timeout"
    assert body["upstreams"]["dead"] in {"unreachable", "circuit_open"}
    assert elapsed < 2.5  # probes run side by side, each bounded


async def test_readyz_asks_the_upstreams_at_most_once_a_second(gateway: httpx.AsyncClient, echo):
    await gateway.get("/readyz")
    before = echo.readiness_probes

    answers = await asyncio.gather(*(gateway.get("/readyz") for _ in range(20)))
    await asyncio.sleep(1.2)
    later = await gateway.get("/readyz")

    assert {answer.json()["upstreams"]["echo"] for answer in [*answers, later]} == {"ready"}
    assert echo.readiness_probes - before <= 2  # at most the one expiring now, then the one after 1.2 s
    assert echo.readiness_probes > before  # an answer is remembered a second, not for ever


async def test_readyz_is_200_when_every_upstream_is_ready(strict_gateway_url: str):
    async with httpx.AsyncClient(base_url=strict_gateway_url) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "upstreams": {"vendors": "ready"}}


async def test_healthz_says_the_gateway_runs_even_with_upstreams_down(gateway: httpx.AsyncClient):
    response = await gateway.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_metrics_count_forwarded_calls_by_upstream_route(gateway: httpx.AsyncClient):
    await gateway.get("/v1/echo/counted")
    response = await gateway.get("/metrics")

    assert response.status_code == 200
    assert 'route="/v1/echo/{path:path}"' in response.text
    assert 'service="gateway"' in response.text
