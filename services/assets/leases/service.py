"""Rules of leases, the City's as landlord and as tenant: a lease covers one asset (or some of its
spaces) for a term, at a base rent that its escalations raise, with options noticed by deadlines.

Writes go through the kernel's `TrackedTable` (version, timestamps, audit, the status along its
lifecycle); the unit of work commits them. A lease is written whole: its escalations, options and
spaces are part of its version. An expired or terminated lease is read-only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import (
    TERMINAL_STATUSES,
    Lease,
    LeaseCreate,
    LeaseStatus,
    LeaseTransition,
    LeaseUpdate,
)
from services.assets.db import audit
from services.assets.leases import repository, rules
from services.assets.leases.repository import LeaseRecord
from services.assets.registry import service as assets
from services.common.audit import diff
from services.common.auth import Principal
from services.common.clock import city_today
from services.common.concurrency import check_version
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, NotFound, ValidationFailed
from services.common.records import TrackedTable
from services.common.transitions import StateMachine

L = LeaseStatus
# A draft is signed (active) or abandoned (terminated); an active lease runs out (expired) or is ended
# early (terminated, with a reason). Expired and terminated are final.
LIFECYCLE = StateMachine(
    "lease",
    {
        L.draft: {L.active, L.terminated},
        L.active: {L.expired, L.terminated},
        L.expired: set(),
        L.terminated: set(),
    },
)
FINAL = frozenset({L.expired, L.terminated})
LEASES = TrackedTable(
    repository.leases, "lease", audit, LIFECYCLE, reason_required=frozenset({L.terminated.value})
)
# Fields a lease always has: an update may leave them out, never clear them.
_REQUIRED = (
    "space_ids",
    "direction",
    "counterparty",
    "commencement_date",
    "expiration_date",
    "base_monthly_rent",
    "escalations",
    "options",
)
_EDITABLE = (*_REQUIRED, "security_deposit", "description")
# Wire fields stored in another shape than their own column.
_SHAPED = frozenset(
    {
        "asset_id",
        "space_ids",
        "counterparty",
        "escalations",
        "options",
        "base_monthly_rent",
        "security_deposit",
    }
)


def to_contract(row: LeaseRecord) -> Lease:
    values = {name: getattr(row, name) for name in row.__slots__}
    values["counterparty"] = {
        "name": values.pop("counterparty_name"),
        "vendor_id": values.pop("counterparty_vendor_id"),
    }
    values["base_monthly_rent"] = {"amount": row.base_monthly_rent, "currency": rules.CURRENCY}
    if row.security_deposit is not None:
        values["security_deposit"] = {"amount": row.security_deposit, "currency": rules.CURRENCY}
    values["space_ids"] = list(row.space_ids or [])
    return Lease.model_validate(values)


def _storage(data: LeaseCreate | LeaseUpdate, fields: set[str]) -> dict[str, Any]:
    """The columns of the wire `fields` sent: plain values as Python (dates, decimals, ids), the lists
    kept on the row as JSON; the spaces are rows of their own."""
    plain = data.model_dump(include=fields)
    as_json = data.model_dump(mode="json", include=fields)
    values = {name: value for name, value in plain.items() if name not in _SHAPED}
    values |= {name: as_json[name] for name in ("escalations", "options") if name in fields}
    if "counterparty" in fields:
        values["counterparty_name"] = plain["counterparty"]["name"]
        values["counterparty_vendor_id"] = plain["counterparty"]["vendor_id"]
    for name in ("base_monthly_rent", "security_deposit"):
        if name in fields:
            values[name] = plain[name]["amount"] if plain[name] is not None else None
    return values


async def create(session: AsyncSession, data: LeaseCreate, actor: Principal | str) -> Lease:
    await _check(session, data.asset_id, data)
    values = {
        **_storage(data, set(LeaseCreate.model_fields)),
        "asset_id": data.asset_id,
        "status": L.draft.value,
    }
    lease_id = await LEASES.insert(session, values, actor=actor, changes=data.model_dump(mode="json"))
    await repository.replace_spaces(session, lease_id, data.space_ids)
    return await get(session, lease_id)


async def get(session: AsyncSession, lease_id: uuid.UUID) -> Lease:
    return to_contract(await get_record(session, lease_id))


async def get_record(session: AsyncSession, lease_id: uuid.UUID, *, for_update: bool = False) -> LeaseRecord:
    row = await repository.get_lease(session, lease_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No lease has id {lease_id}.")
    return row


async def update(
    session: AsyncSession,
    lease_id: uuid.UUID,
    data: LeaseUpdate,
    expected_version: int | None,
    actor: Principal | str,
) -> Lease:
    before = to_contract(await get_record(session, lease_id, for_update=True))
    check_version(expected_version, before.version)
    _refuse_final(before)
    changes = data.model_dump(mode="json", exclude_unset=True)
    _refuse_nulls(changes)
    current = before.model_dump(mode="json", include=set(_EDITABLE))
    after = {**current, **changes}
    recorded = diff(current, after)
    if not recorded:
        return before
    await _check(session, before.asset_id, LeaseCreate.model_validate({**after, "asset_id": before.asset_id}))
    await LEASES.change(
        session,
        lease_id,
        before.version,
        _storage(data, set(data.model_fields_set)),
        actor=actor,
        changes=recorded,
    )
    if "space_ids" in changes:
        await repository.replace_spaces(session, lease_id, [uuid.UUID(s) for s in after["space_ids"]])
    return await get(session, lease_id)


async def transition(
    session: AsyncSession, lease_id: uuid.UUID, move: LeaseTransition, actor: Principal | str
) -> Lease:
    before = to_contract(await get_record(session, lease_id, for_update=True))
    LIFECYCLE.check(before.status.value, move.to.value)
    if move.to is L.expired and city_today() <= before.expiration_date:
        raise Conflict(
            f"The lease runs until {before.expiration_date}: it expires after that day, in Los Angeles.",
            errors=[_error("to", "not_yet_expired", f"the term ends {before.expiration_date}")],
        )
    if move.to is L.terminated and not move.reason:
        raise ValidationFailed(
            "Terminating a lease needs a `reason`.",
            errors=[_error("reason", "required_for_status", "say why the lease is terminated")],
        )
    await LEASES.move(
        session,
        lease_id,
        before.version,
        before.status,
        move.to,
        actor=actor,
        reason=move.reason,
        values={"status_reason": move.reason},
    )
    return await get(session, lease_id)


async def list_page(
    session: AsyncSession,
    pager: Pager,
    *,
    columns: dict[str, Any],
    updated_since: datetime | None,
) -> tuple[list[Lease], str | None]:
    statement = repository.filter_columns(repository.select_leases(), columns)
    if updated_since is not None:
        statement = repository.filter_updated_since(statement, updated_since)
    rows, token = await repository.page_leases(
        session, statement, pager, {**columns, "updated_since": updated_since}
    )
    return [to_contract(row) for row in rows], token


async def _check(session: AsyncSession, asset_id: uuid.UUID, lease: LeaseCreate) -> None:
    """The rules of a lease as it would be after the write: its fields, its asset, its spaces."""
    errors = rules.breaches(
        lease.commencement_date,
        lease.expiration_date,
        {"base_monthly_rent": lease.base_monthly_rent, "security_deposit": lease.security_deposit},
        lease.escalations,
        lease.options,
    )
    errors += await _asset_and_spaces(session, asset_id, lease.space_ids)
    if errors:
        raise ValidationFailed("The lease breaks its rules; see `errors`.", errors=errors)


async def _asset_and_spaces(
    session: AsyncSession, asset_id: uuid.UUID, space_ids: list[uuid.UUID]
) -> list[FieldError]:
    try:
        asset = await assets.get(session, asset_id)
    except NotFound:
        return [_error("asset_id", "not_found", f"no asset has id {asset_id}")]
    if asset.status in TERMINAL_STATUSES:
        return [_error("asset_id", "asset_final", f"the asset is {asset.status.value}: it takes no lease")]
    if len(set(space_ids)) != len(space_ids):
        return [_error("space_ids", "duplicate", "a space is listed twice")]
    found = await repository.spaces_of_asset(session, asset_id, space_ids)
    return [
        FieldError(
            location=["body", "space_ids", index],
            message=f"space {space_id} is not a space of asset {asset_id}",
            code="not_in_asset",
        )
        for index, space_id in enumerate(space_ids)
        if space_id not in found
    ]


def _refuse_final(lease: Lease) -> None:
    if lease.status in FINAL:
        raise Conflict(
            f"The lease is {lease.status.value}, which is final: it can no longer change.",
            current_status=lease.status.value,
        )


def _refuse_nulls(changes: dict[str, Any]) -> None:
    nulled = [
        _error(name, "not_nullable", f"`{name}` cannot be null; leave it out to keep it")
        for name in _REQUIRED
        if name in changes and changes[name] is None
    ]
    if nulled:
        raise ValidationFailed("Some fields cannot be cleared; see `errors`.", errors=nulled)


def _error(field: str, code: str, message: str) -> FieldError:
    return FieldError(location=["body", field], message=message, code=code)
