"""`create_service_app`: every service's FastAPI app gets the whole kernel from this one call."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Table, event
from starlette.requests import Request
from starlette.responses import JSONResponse

from services.common.auth import TokenVerifier
from services.common.db import create_engine, database_answers
from services.common.forwarded import TrustedProxies
from services.common.idempotency import IdempotencyStore
from services.common.observability import Metrics, ObservabilityMiddleware, configure_logging
from services.common.openapi import duplicate_operation_ids, install_openapi, operation_id
from services.common.pagination import page_token_serializer
from services.common.problems import (
    OutageLog,
    RequestDeadlineMiddleware,
    UnexpectedErrorMiddleware,
    install_problem_handlers,
)
from services.common.sandbox import SandboxClockMiddleware, SandboxClockStore, service_sandbox_routes
from services.common.settings import ServiceSettings
from services.common.tasks import TaskRunner
from services.common.unit_of_work import Sessions, check_unit_of_work

# Tracked objects allocated (net of those freed) between two young collections; CPython's default is 700.
# A page of 50 vendors keeps about 2,000 alive while it is built, and 32 requests in flight keep tens of
# thousands: at 700, the collector ran three times per request, promoted what in-flight requests held to
# the older generations and scanned it there again, 8% of a page's CPU under load (0.43 ms a request,
# measured with `gc.callbacks`). At 50,000 it runs about once in hundreds of requests, for a few
# milliseconds; reference counting frees all but cyclic garbage at once either way.
YOUNG_COLLECTION_THRESHOLD = 50_000


def freeze_startup_objects() -> None:
    """Moves everything built at start-up (modules, routes, schemas), which lives as long as the process,
    out of the garbage collector's reach. A full collection then scans only what requests allocated,
    instead of pausing one request for the whole heap: the cube's p95 fell from 210 to 90 ms. Then
    collections are made rarer (`YOUNG_COLLECTION_THRESHOLD`)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    version: str,
    prefix: str,
    routers: Sequence[APIRouter],
    idempotency_keys: Table,
    sandbox_clock: Table,
    openapi_tags: list[dict[str, str]] | None = None,
) -> FastAPI:
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    engine = create_engine(
        settings.require_database_url(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        connect_timeout=settings.db_connect_timeout,
        pool_timeout=settings.db_pool_timeout,
        statement_timeout=settings.db_statement_timeout,
        idle_in_transaction_timeout=settings.db_idle_in_transaction_timeout,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        freeze_startup_objects()
        yield
        await tasks.drain(settings.task_drain_seconds)  # before the engine its tasks write through
        await engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_tags=openapi_tags,
        generate_unique_id_function=operation_id,
        # `/vendors/` is a 404 like any unknown path, not a 307 to `/vendors` on the address the service
        # was called on, which behind the gateway is an address inside the network.
        redirect_slashes=False,
        separate_input_output_schemas=False,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = Sessions(engine, slots=settings.db_pool_size + settings.db_max_overflow)
    app.state.tasks = tasks = TaskRunner(lambda: app.state.sessions)
    app.state.idempotency = IdempotencyStore(
        idempotency_keys, ttl=timedelta(hours=settings.idempotency_ttl_hours), hash_key=settings.signing_key
    )
    app.state.token_verifier = TokenVerifier(settings)
    app.state.trusted_proxies = TrustedProxies(settings.forwarded_allow_ips)
    app.state.page_token_serializer = page_token_serializer(settings.signing_key)

    for router in routers:
        app.include_router(router, prefix=prefix)
    _check_operation_ids(app)
    check_unit_of_work(app)
    install_problem_handlers(app)
    install_openapi(app)
    _add_operational_routes(app, Metrics(settings.service_name))
    if not settings.is_production:
        _install_sandbox_clock(app, SandboxClockStore(sandbox_clock))

    # The last added runs outermost: observability sees every request and its request id covers the
    # 500 answer of the error middleware, and the 503 of a request stopped at its deadline.
    app.add_middleware(RequestDeadlineMiddleware, seconds=settings.request_deadline)
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    return app


def _add_operational_routes(app: FastAPI, metrics: Metrics) -> None:
    """`/healthz` (the process runs), `/readyz` (it can serve: the database answers in time), `/metrics`.

    The database's outage log is kept here too: a new connection, or a readiness check answered, ends an
    outage that refused requests began."""
    app.state.metrics = metrics
    outage = app.state.database_outage = OutageLog()
    event.listen(app.state.engine.sync_engine, "connect", lambda *_: outage.recovered())
    readiness_timeout = app.state.settings.readiness_timeout

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        try:
            async with asyncio.timeout(readiness_timeout):
                ready = await database_answers(request.app.state.engine)
        except TimeoutError:
            ready = False
        if ready:
            outage.recovered()
        else:
            outage.failed(f"the readiness check got no answer within {readiness_timeout:g} s")
        return JSONResponse(
            {
                "status": "ready" if ready else "unavailable",
                "checks": {"database": "ok" if ready else "down"},
            },
            status_code=200 if ready else 503,
        )

    app.add_route("/healthz", healthz, include_in_schema=False)
    app.add_route("/readyz", readyz, include_in_schema=False)
    app.add_route("/metrics", metrics.endpoint, include_in_schema=False)


def _install_sandbox_clock(app: FastAPI, store: SandboxClockStore) -> None:
    """The platform's time read from the service's `sandbox_clock` row, and `/sandbox/clock` to move it.
    Added first, so innermost: its header is on every answer the app gives, problems included."""
    app.state.sandbox_clock = store
    app.router.routes.extend(service_sandbox_routes(store))
    app.add_middleware(SandboxClockMiddleware, store=store)


def _check_operation_ids(app: FastAPI) -> None:
    # Read from a generated document: included routers are not flat `APIRoute`s in `app.routes`.
    document = get_openapi(title=app.title, version=app.version, routes=app.routes)
    duplicates = duplicate_operation_ids(document)
    if duplicates:
        raise RuntimeError(f"operationId(s) {', '.join(duplicates)} used twice in {app.title}")
