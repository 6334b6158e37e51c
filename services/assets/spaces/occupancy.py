"""Rules of occupancy: who occupied which space, from when to when, never overwritten.

Each record is kept as written. Ending an occupancy records a new record, the same with its end date,
that supersedes it; a correction records the occupancy as it should have been, superseding the wrong
one. A record is current until superseded, and only current records count: no two current records of a
space may share a day (409 naming the one in the way), and the utilization of an asset on a day is read
from them. Every write locks the space's row first, so that checks and inserts on one space take turns;
the database checks the same under the same lock (the migration's trigger), whoever writes.

Dates are whole days in Los Angeles: a record covers `start_date` to `end_date`, both included; one
without `end_date` goes on.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import (
    AssetOccupancy,
    Occupancy,
    OccupancyCorrection,
    OccupancyCreate,
    OccupancyEnd,
    OccupancyWarning,
)
from services.assets.db import audit
from services.assets.registry import service as assets
from services.assets.spaces import repository
from services.assets.spaces import service as spaces
from services.assets.spaces.repository import OccupancyRecord
from services.common.auth import Principal
from services.common.clock import utcnow
from services.common.db import new_id
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, NotFound, ValidationFailed
from services.common.reference import DEPARTMENTS

ENTITY = "occupancy"


def to_contract(row: OccupancyRecord) -> Occupancy:
    values = {name: getattr(row, name) for name in row.__slots__}
    name = DEPARTMENTS.get(row.department or "", row.department) if row.department else row.organization
    return Occupancy.model_validate(
        {**values, "occupant_name": name, "is_current": row.superseded_by_id is None}
    )


async def record(
    session: AsyncSession, space_id: uuid.UUID, data: OccupancyCreate, actor: Principal | str
) -> Occupancy:
    await spaces.get_record(session, space_id, for_update=True)
    fields = data.model_dump(mode="json")
    _check(fields)
    await _refuse_overlap(session, space_id, data.start_date, data.end_date)
    return await _insert(session, space_id, fields, actor, action="create")


async def end(
    session: AsyncSession, occupancy_id: uuid.UUID, data: OccupancyEnd, actor: Principal | str
) -> Occupancy:
    before = await _current_under_lock(session, occupancy_id)
    if before.end_date is not None:
        raise Conflict(
            f"Occupancy {occupancy_id} already ended on {before.end_date}; record a correction to change it.",
            errors=[_error("end_date", "already_ended", f"the occupancy ended on {before.end_date}")],
        )
    fields = {**_occupancy_fields(before), "end_date": data.end_date.isoformat(), "reason": data.reason}
    _check(fields)
    return await _insert(session, before.space_id, fields, actor, action="end", supersedes=before)


async def correct(
    session: AsyncSession, occupancy_id: uuid.UUID, data: OccupancyCorrection, actor: Principal | str
) -> Occupancy:
    before = await _current_under_lock(session, occupancy_id)
    fields = data.model_dump(mode="json")
    _check(fields)
    await _refuse_overlap(session, before.space_id, data.start_date, data.end_date, other_than=before.id)
    return await _insert(session, before.space_id, fields, actor, action="correct", supersedes=before)


async def get(session: AsyncSession, occupancy_id: uuid.UUID) -> Occupancy:
    return to_contract(await _load(session, occupancy_id))


async def history_page(
    session: AsyncSession,
    pager: Pager,
    space_id: uuid.UUID,
    *,
    current: bool | None,
    updated_since: datetime | None,
) -> tuple[list[Occupancy], str | None]:
    await spaces.get_record(session, space_id)  # 404 for a space that does not exist
    statement = repository.filter_of_space(repository.select_occupancies(), space_id)
    if current is not None:
        statement = repository.filter_current(statement, current)
    if updated_since is not None:
        statement = repository.filter_recorded_since(statement, updated_since)
    filters = {"space_id": space_id, "current": current, "updated_since": updated_since}
    rows, token = await repository.page_occupancies(session, statement, pager, filters)
    return [to_contract(row) for row in rows], token


async def asset_occupancy(session: AsyncSession, asset_id: uuid.UUID, as_of: date) -> AssetOccupancy:
    """The asset's occupied and vacant square feet on `as_of`, added up in the database."""
    asset = await assets.get(session, asset_id)
    totals = await repository.totals_on(session, asset_id, as_of)
    rentable, occupied = totals.rentable_sqft, totals.occupied_sqft
    area = spaces.asset_area(asset)
    warnings = []
    if area is not None and rentable > area:
        warnings.append(
            OccupancyWarning(
                code="spaces_exceed_asset_area",
                message=f"The spaces add up to {rentable} square feet, more than the asset's {area} "
                "(re-measured since they were laid out?).",
            )
        )
    return AssetOccupancy(
        asset_id=asset_id,
        as_of=as_of,
        spaces=totals.spaces,
        occupied_spaces=totals.occupied_spaces,
        rentable_sqft=rentable,
        occupied_sqft=occupied,
        vacant_sqft=rentable - occupied,
        utilization_rate=round(occupied / rentable, 4) if rentable else None,
        vacancy_rate=round((rentable - occupied) / rentable, 4) if rentable else None,
        asset_area_sqft=area,
        unassigned_sqft=max(area - rentable, 0) if area is not None else None,
        warnings=warnings,
    )


async def _current_under_lock(session: AsyncSession, occupancy_id: uuid.UUID) -> OccupancyRecord:
    """The record, read again once its space is locked, if nothing has superseded it (409 otherwise)."""
    found = await _load(session, occupancy_id)
    await spaces.get_record(session, found.space_id, for_update=True)
    row = await _load(session, occupancy_id)
    if row.superseded_by_id is not None:
        raise Conflict(
            f"Occupancy {occupancy_id} was superseded by {row.superseded_by_id}; end or correct that one.",
            superseded_by_id=str(row.superseded_by_id),
        )
    return row


async def _refuse_overlap(
    session: AsyncSession,
    space_id: uuid.UUID,
    start: date,
    end: date | None,
    *,
    other_than: uuid.UUID | None = None,
) -> None:
    clash = await repository.overlapping(session, space_id, start, end, other_than=other_than)
    if clash is None:
        return
    other = to_contract(await _load(session, clash))
    until = other.end_date.isoformat() if other.end_date else "open-ended"
    raise Conflict(
        f"The space is occupied by {other.occupant_name} from {other.start_date} to {until} (occupancy "
        f"{clash}), which overlaps these dates; end or correct that occupancy first.",
        conflicting_occupancy_id=str(clash),
        errors=[_error("start_date", "occupancy_overlaps", f"overlaps occupancy {clash}")],
    )


async def _insert(
    session: AsyncSession,
    space_id: uuid.UUID,
    fields: dict[str, Any],
    actor: Principal | str,
    *,
    action: str,
    supersedes: OccupancyRecord | None = None,
) -> Occupancy:
    occupancy_id = new_id()
    recorded_by = actor.sub if isinstance(actor, Principal) else actor
    values = {
        **fields,
        "id": occupancy_id,
        "space_id": space_id,
        "start_date": date.fromisoformat(fields["start_date"]),
        "end_date": date.fromisoformat(fields["end_date"]) if fields.get("end_date") else None,
        "supersedes_id": supersedes.id if supersedes else None,
        "recorded_by": recorded_by,
        "recorded_at": utcnow(),
    }
    await repository.insert_occupancy(session, values)
    changes = {**fields, "space_id": str(space_id)}
    if supersedes is not None:
        changes["supersedes_id"] = str(supersedes.id)
    reason = fields.get("reason")
    await audit.record(
        session,
        actor=actor,
        action=action,
        entity=ENTITY,
        entity_id=occupancy_id,
        changes=changes,
        reason=reason,
    )
    return await get(session, occupancy_id)


def _occupancy_fields(row: OccupancyRecord) -> dict[str, Any]:
    return {
        "department": row.department,
        "organization": row.organization,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date else None,
        "note": row.note,
    }


def _check(fields: dict[str, Any]) -> None:
    """One occupant, either a department or an organization; no end before the start."""
    errors = []
    if fields.get("department") is None and fields.get("organization") is None:
        errors.append(_error("department", "occupant_required", "name a `department` or an `organization`"))
    if fields.get("department") is not None and fields.get("organization") is not None:
        errors.append(
            _error("organization", "one_occupant_only", "a department or an organization occupies, not both")
        )
    end_date = fields.get("end_date")
    if end_date is not None and end_date < fields["start_date"]:  # ISO dates compare as text
        errors.append(_error("end_date", "ends_before_start", f"ends {end_date}, before it starts"))
    if errors:
        raise ValidationFailed("The occupancy is not valid; see `errors`.", errors=errors)


async def _load(session: AsyncSession, occupancy_id: uuid.UUID) -> OccupancyRecord:
    row = await repository.get_occupancy(session, occupancy_id)
    if row is None:
        raise NotFound(f"No occupancy has id {occupancy_id}.")
    return row


def _error(field: str, code: str, message: str) -> FieldError:
    return FieldError(location=["body", field], message=message, code=code)
