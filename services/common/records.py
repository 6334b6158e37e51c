"""The one write path for a tracked row: every insert, change and status move of a service goes here.

A `TrackedTable` bumps the version (behind the ETag), stamps `created_at` and `updated_at` from the City's
clock, writes the audit event in the same transaction, and moves a status only along its state machine.
Service code says what changes and why; it never stamps, counts versions or writes audit rows itself, and
no status column changes anywhere else. Nothing here commits: the unit of work does, at the request's edge.

A change names the version it read (under `SELECT … FOR UPDATE`, or from `If-Match`): the UPDATE matches
only that version, so two writers that read the same version cannot both win, lock or no lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Table, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import AuditLog, diff
from services.common.auth import Principal
from services.common.concurrency import etag
from services.common.db import new_id, utcnow
from services.common.problems import PreconditionFailed, ValidationFailed
from services.common.transitions import StateMachine

STAMPS = frozenset({"version", "created_at", "updated_at"})


@dataclass(frozen=True)
class TrackedTable:
    table: Table
    entity: str  # what the audit trail calls it: `vendor`, `solicitation`
    audit: AuditLog
    lifecycle: StateMachine | None = None
    redact: frozenset[str] = field(default_factory=frozenset)  # fields the audit trail never shows
    reason_required: frozenset[str] = field(default_factory=frozenset)  # statuses a move must say why for
    key: str = "id"  # the primary key column; a row keyed by its owner's id (`vendor_id`) brings its own

    async def insert(
        self,
        session: AsyncSession,
        values: Mapping[str, Any],
        *,
        actor: Principal | str,
        changes: Mapping[str, Any] | None = None,
        action: str = "create",
        reason: str | None = None,
    ) -> Any:
        """Inserts at version 1 and records `action` with `changes` (by default the values, redacted);
        returns the row's key."""
        _refuse_stamps(values)
        now = utcnow()
        minted = {"id": new_id()} if self.key == "id" else {}
        row = {**minted, **values, "version": 1, "created_at": now, "updated_at": now}
        if "status" in row and self.lifecycle is not None:
            row["status"] = _plain(row["status"])
        await session.execute(insert(self.table).values(**row))
        recorded = (
            dict(changes)
            if changes is not None
            else diff({}, to_jsonable_python(dict(values)), redact=self.redact)  # ids and dates as JSON
        )
        await self._record(session, row[self.key], action, actor, recorded, reason)
        return row[self.key]

    async def change(
        self,
        session: AsyncSession,
        row_id: Any,
        version: int,
        values: Mapping[str, Any],
        *,
        actor: Principal | str,
        changes: Mapping[str, Any],
        action: str = "update",
        reason: str | None = None,
    ) -> int:
        """Changes the row read at `version`; returns the new version. `changes` is what the audit event
        shows (`diff(before, after)`); a status moves only through `move`."""
        if "status" in values and self.lifecycle is not None:
            raise ValueError(
                f"A {self.entity}'s status moves through `TrackedTable.move`, along its lifecycle."
            )
        return await self._write(session, row_id, version, values, actor, dict(changes), action, reason)

    async def move(
        self,
        session: AsyncSession,
        row_id: Any,
        version: int,
        current: str | Enum,
        to: str | Enum,
        *,
        actor: Principal | str,
        reason: str | None = None,
        values: Mapping[str, Any] | None = None,
        changes: Mapping[str, Any] | None = None,
        action: str | None = None,
        audited: bool = True,
    ) -> int:
        """Moves the status from `current` to `to` (409 with the allowed moves when the lifecycle has no
        such edge), with any `values` that go with the move; audited as `transition:<to>`, or as `action`
        for a move that is not a transition of its own (a merge). `audited=False` only where one event
        recorded on another row covers a whole set of moves (a bid opening, audited on its solicitation)."""
        if self.lifecycle is None:
            raise ValueError(f"A {self.entity} has no lifecycle to move along.")
        current_status, target = _plain(current), _plain(to)
        self.lifecycle.check(current_status, target)
        if target in self.reason_required and not reason:
            raise ValidationFailed(f"A `reason` is required to move a {self.entity} to `{target}`.")
        recorded = {"status": [current_status, target], **(changes or {})}
        written = {**(values or {}), "status": target}
        return await self._write(
            session,
            row_id,
            version,
            written,
            actor,
            recorded,
            action or f"transition:{target}",
            reason,
            audited,
        )

    async def _write(
        self,
        session: AsyncSession,
        row_id: Any,
        version: int,
        values: Mapping[str, Any],
        actor: Principal | str,
        changes: dict[str, Any],
        action: str,
        reason: str | None,
        audited: bool = True,
    ) -> int:
        _refuse_stamps(values)
        t = self.table
        result = await session.execute(
            update(t)
            .where(t.c[self.key] == row_id, t.c.version == version)
            .values(**values, version=version + 1, updated_at=utcnow())
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise PreconditionFailed(
                f"The {self.entity} changed since it was read at {etag(version)}; read it again.",
            )
        if audited:
            await self._record(session, row_id, action, actor, changes, reason)
        return version + 1

    async def _record(
        self,
        session: AsyncSession,
        row_id: Any,
        action: str,
        actor: Principal | str,
        changes: dict[str, Any],
        reason: str | None,
    ) -> None:
        await self.audit.record(
            session,
            actor=actor,
            action=action,
            entity=self.entity,
            entity_id=row_id if not isinstance(row_id, uuid.UUID) else str(row_id),
            changes=changes,
            reason=reason,
        )


def _plain(status: str | Enum) -> str:
    return str(status.value) if isinstance(status, Enum) else status


def _refuse_stamps(values: Mapping[str, Any]) -> None:
    stamped = STAMPS & values.keys()
    if stamped:
        raise ValueError(f"{', '.join(sorted(stamped))} are stamped by the kernel, never by service code.")
