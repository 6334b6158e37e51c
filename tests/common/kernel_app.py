"""A small service built with the kernel alone, to test each generic behaviour through real HTTP semantics.

Its tables live in schema `kernel_test` of the test database: `items` (a versioned resource), plus the
kernel's own `idempotency_keys`, `audit_events` and `sandbox_clock`. Hooks on `app.state` let a test make the next create
fail after writing (`fail_next`) or hold it before committing (`hold`), to see what the kernel leaves behind.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    func,
    insert,
    select,
    text,
    update,
)

from services.common.app import create_service_app
from services.common.audit import AuditLog, audit_router, audit_table, diff
from services.common.auth import Principal, requires
from services.common.concurrency import IfMatch, check_version, set_etag
from services.common.db import Session, new_id
from services.common.idempotency import idempotency_key_header, idempotency_table
from services.common.pagination import Page, PageParams
from services.common.problems import (
    Forbidden,
    InvalidPageToken,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from services.common.sandbox import sandbox_clock_table
from services.common.settings import ServiceSettings
from services.common.unit_of_work import service_router

SCHEMA = "kernel_test"
PREFIX = "/v1/kernel"
metadata = MetaData(schema=SCHEMA)
items = Table(
    "items",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("tag", String(40), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("rank", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
idempotency_keys = idempotency_table(metadata)
sandbox_clock = sandbox_clock_table(metadata)
audit = AuditLog(audit_table(metadata))
SECRET_IN_ERROR = "password=hunter2"


class ItemCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tag: Annotated[str, Field(min_length=1, max_length=40)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    rank: int = 0


class ItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=100)]


class Item(BaseModel):
    id: uuid.UUID
    tag: str
    name: str
    rank: int
    version: int
    created_at: datetime


class ItemPage(Page[Item]):
    pass


router = service_router(tags=["items"])
Writer = Annotated[Principal, requires("kernel:write")]
Reader = Annotated[Principal, requires("kernel:read")]


async def _load(session: Session, item_id: uuid.UUID, *, for_update: bool = False) -> Item:
    statement = select(items).where(items.c.id == item_id)
    if for_update:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    if row is None:
        raise NotFound(f"No item has id {item_id}.")
    return Item.model_validate(dict(row))


@router.post(
    "/items",
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(Unauthorized, Forbidden, ValidationFailed),
)
async def items_create(
    body: ItemCreate, request: Request, session: Session, actor: Writer, response: Response
) -> Item:
    item_id = new_id()
    await session.execute(insert(items).values(id=item_id, version=1, **body.model_dump()))
    await audit.record(
        session, actor=actor, action="create", entity="item", entity_id=item_id, changes=body.model_dump()
    )
    state = request.app.state
    if state.fail_next:
        state.fail_next = False
        raise RuntimeError("the item store failed after writing")
    if state.hold is not None:
        await state.hold.wait()
    item = await _load(session, item_id)
    response.headers["Location"] = f"{PREFIX}/items/{item_id}"
    set_etag(response, item.version)
    return item


@router.get(
    "/items", responses=problem_responses(Unauthorized, Forbidden, InvalidPageToken, ValidationFailed)
)
async def items_list(
    session: Session,
    pager: PageParams,
    _: Reader,
    tag: Annotated[str, Query(min_length=1, max_length=40)],
    order: Literal["rank", "created"] = "rank",
) -> ItemPage:
    order_by = [items.c.rank, items.c.id] if order == "rank" else [items.c.created_at, items.c.id]
    statement = pager.keyset(select(items).where(items.c.tag == tag), order_by, {"tag": tag, "order": order})
    rows = (await session.execute(statement)).mappings().all()
    key = ("rank", "id") if order == "rank" else ("created_at", "id")
    page, token = pager.page(rows, lambda row: [row[column] for column in key])
    return ItemPage(items=[Item.model_validate(dict(row)) for row in page], next_page_token=token)


@router.get(
    "/items/{item_id}", responses=problem_responses(Unauthorized, Forbidden, NotFound, ValidationFailed)
)
async def items_get(item_id: uuid.UUID, session: Session, _: Reader, response: Response) -> Item:
    item = await _load(session, item_id)
    set_etag(response, item.version)
    return item


@router.patch(
    "/items/{item_id}",
    responses=problem_responses(
        Unauthorized, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, ValidationFailed
    ),
)
async def items_update(
    item_id: uuid.UUID,
    body: ItemUpdate,
    session: Session,
    actor: Writer,
    expected: IfMatch,
    response: Response,
) -> Item:
    before = await _load(session, item_id, for_update=True)
    check_version(expected, before.version)
    await session.execute(
        update(items).where(items.c.id == item_id).values(name=body.name, version=before.version + 1)
    )
    await audit.record(
        session,
        actor=actor,
        action="update",
        entity="item",
        entity_id=item_id,
        changes=diff({"name": before.name}, {"name": body.name}),
    )
    after = await _load(session, item_id)
    set_etag(response, after.version)
    return after


@router.get("/failures/exception")
async def failures_exception() -> dict[str, Any]:
    raise RuntimeError(f"cannot reach the ledger with {SECRET_IN_ERROR}")


@router.get("/failures/sql")
async def failures_sql(session: Session) -> dict[str, Any]:
    await session.execute(text("SELECT secret_column FROM missing_secret_table"))
    return {}


@router.get("/whoami")
async def whoami_get(principal: Reader) -> dict[str, Any]:
    return {"sub": principal.sub, "scopes": sorted(principal.scopes), "dept": principal.dept}


def kernel_settings(database_url: str, jwt_secret: str | None, **overrides: Any) -> ServiceSettings:
    return ServiceSettings(
        service_name="kernel", database_url=database_url, jwt_secret=jwt_secret, log_json=False, **overrides
    )


def create_kernel_app(settings: ServiceSettings, *extra_routers: APIRouter) -> FastAPI:
    app = create_service_app(
        settings,
        title="Kernel test service",
        description="Exercises the shared kernel.",
        version="0.0.1",
        prefix=PREFIX,
        routers=[router, audit_router(audit, area="kernel"), *extra_routers],
        idempotency_keys=idempotency_keys,
        sandbox_clock=sandbox_clock,
    )
    app.state.fail_next = False
    app.state.hold = None
    return app


async def create_schema(connection: Any) -> None:
    await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"'))
    await connection.run_sync(metadata.create_all)
