"""The gateway: one address in front of every service, `create_app(settings)`.

It forwards each upstream's prefix unchanged, checks tokens and rates at the edge, limits body sizes,
serves the merged OpenAPI document with its docs pages, and reports its own health and its upstreams'
readiness. It keeps no data: run as many replicas as needed.

    uvicorn --factory gateway.app:create_app --port 8000
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from gateway.body_limit import BodySizeLimitMiddleware
from gateway.docs import docs_routes
from gateway.guard import EdgeGuardMiddleware
from gateway.health import health_routes
from gateway.openapi import build_document
from gateway.proxy import UpstreamProxy, proxy_routes
from gateway.rate_limit import ClientRateLimiter
from gateway.sandbox import document_sandbox_clock, sandbox_routes
from gateway.settings import GatewaySettings
from gateway.upstreams import UPSTREAMS, Upstream
from services.common.app import freeze_startup_objects
from services.common.auth import TokenVerifier
from services.common.observability import Metrics, ObservabilityMiddleware, configure_logging
from services.common.problems import UnexpectedErrorMiddleware, install_problem_handlers
from services.common.sandbox import SIMULATED_TIME_HEADER

# What a browser client may read from a cross-origin response besides the simple headers.
EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "X-Request-ID",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Idempotent-Replayed",
    SIMULATED_TIME_HEADER,
]


def create_app(
    settings: GatewaySettings | None = None, upstreams: Sequence[Upstream] = UPSTREAMS
) -> Starlette:
    settings = settings or GatewaySettings()
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    proxies = [UpstreamProxy(upstream, settings) for upstream in upstreams]

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for proxy in proxies:
            proxy.open()
        freeze_startup_objects()
        try:
            yield
        finally:
            for proxy in proxies:
                await proxy.aclose()

    # Plain Starlette: the gateway has no endpoints of its own to validate or document (its OpenAPI
    # document is the services' merged), and every layer FastAPI adds would run on every relayed call.
    app = Starlette(lifespan=lifespan)
    app.state.settings = settings
    app.state.proxies = proxies
    metrics = Metrics(settings.service_name)
    app.state.metrics = metrics

    verifier = TokenVerifier(settings)
    document = build_document(upstreams, server_url=settings.public_url)
    app.router.routes.extend(health_routes(proxies, settings.readiness_timeout))
    if not settings.is_production:
        document_sandbox_clock(document)
        app.router.routes.extend(sandbox_routes(proxies, verifier))
    app.router.routes.append(Route("/metrics", metrics.endpoint, methods=["GET"]))
    app.router.routes.extend(docs_routes(document))
    for proxy in proxies:
        app.router.routes.extend(proxy_routes(proxy))
    install_problem_handlers(app)

    # Added innermost first. At runtime: request ids and metrics see everything; CORS answers
    # preflights and decorates every answer, the gateway's own refusals and 500s included; then
    # tokens and rates; then the size limit, closest to the body it counts.
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        upload_max_bytes=settings.upload_max_body_bytes,
        upload_paths=settings.upload_paths,
    )
    app.add_middleware(
        EdgeGuardMiddleware,
        verifier=verifier,
        limiter=ClientRateLimiter(settings.rate_limit),
    )
    # Inside the request id, so that a 500 names it, and inside CORS, so that a browser can read it.
    app.add_middleware(UnexpectedErrorMiddleware)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    return app
