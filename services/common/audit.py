"""An append-only audit trail, written in the same transaction as the change it records.

Each service keeps its own `audit_events` table (created by `audit_table(metadata)` in its db module),
writes to it through `AuditLog.record`, and exposes it with `audit_router`. An attempt that is refused,
and whose request therefore rolls back, is recorded with `AuditLog.record_apart` in a transaction of
its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Column, DateTime, Index, Insert, MetaData, String, Table, Text, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from services.common.auth import Principal, requires
from services.common.db import Session, new_id
from services.common.observability import current_request_id
from services.common.pagination import Page, PageParams
from services.common.problems import (
    Forbidden,
    InvalidPageToken,
    Unauthorized,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.common.wire import WireModel

REDACTED = "[redacted]"


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_events",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),
        Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("actor", String(200), nullable=False),
        Column("action", String(100), nullable=False),
        Column("entity", String(100), nullable=False),
        Column("entity_id", String(100), nullable=False),
        Column("changes", JSONB, nullable=False, server_default="{}"),
        Column("reason", Text, nullable=True),
        Column("request_id", String(128), nullable=True),
        Index(None, "entity", "entity_id", "id"),
    )


class AuditEvent(WireModel):
    id: uuid.UUID
    occurred_at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    changes: dict[str, Any]
    reason: str | None
    request_id: str | None


class AuditEventPage(Page[AuditEvent]):
    pass


def diff(before: dict[str, Any], after: dict[str, Any], *, redact: Iterable[str] = ()) -> dict[str, Any]:
    """`{field: [old, new]}` for the fields that changed; secret fields say only that they changed."""
    hidden = set(redact)
    changes: dict[str, Any] = {}
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = [REDACTED, REDACTED] if key in hidden else [old, new]
    return changes


class AuditLog:
    def __init__(self, table: Table) -> None:
        self.table = table

    async def record(
        self,
        session: AsyncSession,
        *,
        actor: Principal | str,
        action: str,
        entity: str,
        entity_id: Any,
        changes: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        """Adds the event to the session's transaction: it commits, or rolls back, with the change."""
        await session.execute(self._insert(actor, action, entity, entity_id, changes, reason))

    async def record_apart(
        self,
        engine: AsyncEngine,
        *,
        actor: Principal | str,
        action: str,
        entity: str,
        entity_id: Any,
        changes: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        """Commits the event at once, in a short transaction of its own on another connection of the
        app's engine: for an attempt the service refuses (a probe for a TIN another vendor holds), whose
        request rolls back but must still leave a trace. It borrows a second connection while the
        request holds its first, so keep it to refusals, never the path every request takes."""
        async with engine.begin() as connection:
            await connection.execute(self._insert(actor, action, entity, entity_id, changes, reason))

    def _insert(
        self,
        actor: Principal | str,
        action: str,
        entity: str,
        entity_id: Any,
        changes: dict[str, Any] | None,
        reason: str | None,
    ) -> Insert:
        return insert(self.table).values(
            id=new_id(),
            actor=actor.sub if isinstance(actor, Principal) else actor,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            changes=changes or {},
            reason=reason,
            request_id=current_request_id(),
        )


def audit_router(audit: AuditLog, *, area: str) -> APIRouter:
    """`GET /audit-events` for one service; `area` (e.g. `procurement`) keeps its operationId unique."""
    router = service_router(tags=["audit"])
    table = audit.table

    @router.get(
        "/audit-events",
        response_model=AuditEventPage,
        operation_id=f"{area}_audit_events_list",
        summary="List audit events",
        description="Who changed what, when and why; newest last. Filter by entity and entity id.",
        responses=problem_responses(Unauthorized, Forbidden, InvalidPageToken, ValidationFailed),
    )
    async def audit_events_list(
        session: Session,
        pager: PageParams,
        _: Annotated[Principal, requires("audit:read")],
        # No NUL: PostgreSQL text cannot hold one, so the document says so too.
        entity: Annotated[
            str | None, Query(max_length=100, pattern=r"^[^\x00]*$", description="e.g. `vendor`")
        ] = None,
        entity_id: Annotated[str | None, Query(max_length=100, pattern=r"^[^\x00]*$")] = None,
    ) -> AuditEventPage:
        statement = select(table)
        if entity is not None:
            statement = statement.where(table.c.entity == entity)
        if entity_id is not None:
            statement = statement.where(table.c.entity_id == entity_id)
        filters = {"entity": entity, "entity_id": entity_id}
        items, token = await pager.fetch(session, statement, [table.c.id], filters)
        return AuditEventPage(
            items=[AuditEvent.model_validate(dict(row)) for row in items], next_page_token=token
        )

    return router
