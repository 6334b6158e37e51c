"""/healthz (the gateway process runs) and /readyz (every upstream says it is ready)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from gateway.proxy import UpstreamProxy
from services.common.http import CircuitOpenError


async def upstream_readiness(proxy: UpstreamProxy, seconds: float) -> str:
    """`ready`, `not_ready` (it answered, but not 200), `timeout`, `unreachable` or `circuit_open`."""
    try:
        async with asyncio.timeout(seconds):
            response = await proxy.client.get("/readyz")
    except CircuitOpenError:
        return "circuit_open"
    except (TimeoutError, httpx.TimeoutException):
        return "timeout"
    except httpx.HTTPError:
        return "unreachable"
    return "ready" if response.status_code == 200 else "not_ready"


def health_routes(proxies: Sequence[UpstreamProxy], readiness_timeout: float) -> list[BaseRoute]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        # Probed concurrently, each bounded: one slow upstream costs the probe its timeout, not more.
        states = await asyncio.gather(*(upstream_readiness(p, readiness_timeout) for p in proxies))
        upstreams = {proxy.upstream.name: state for proxy, state in zip(proxies, states, strict=True)}
        ready = all(state == "ready" for state in states)
        return JSONResponse(
            {"status": "ready" if ready else "unavailable", "upstreams": upstreams},
            status_code=200 if ready else 503,
        )

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
