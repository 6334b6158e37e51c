"""Rules of the asset registry. Writes go through the kernel's `TrackedTable` (version, timestamps, audit,
lifecycle); the unit of work commits them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import (
    REQUIRED_FIELDS,
    TERMINAL_STATUSES,
    Asset,
    AssetCreate,
    AssetStatus,
    AssetTransition,
    AssetType,
    AssetUpdate,
    GeoPolygon,
    PublicAsset,
    display_apn,
)
from services.assets.db import audit
from services.assets.registry import repository, rules
from services.assets.registry.repository import AssetRecord
from services.common.audit import diff
from services.common.auth import Principal
from services.common.clock import city_today
from services.common.concurrency import check_version
from services.common.pagination import Pager
from services.common.problems import FieldError, InvalidTransition, NotFound, ValidationFailed
from services.common.records import TrackedTable
from services.common.stored import FROM_DATABASE
from services.common.transitions import StateMachine

A = AssetStatus
ON_HOLD = A.cannot_currently_be_disposed
# The asset lifecycle (FRPP status with the City's excess and surplus): a department declares an asset
# excess, Council declares it surplus, a disposition takes it to disposed, or it is retained; an asset
# that cannot currently be disposed of returns to the status it held. Demolition ends buildings and
# structures, subdivision ends land.
_HOLDABLE = {A.active, A.inactive, A.excess, A.surplus, A.disposal_in_progress, A.retained}
LIFECYCLE = StateMachine(
    "asset",
    {
        A.active: {A.inactive, A.excess, ON_HOLD, A.demolished, A.subdivided},
        A.inactive: {A.active, A.excess, ON_HOLD, A.demolished, A.subdivided},
        A.excess: {A.surplus, A.inactive, ON_HOLD, A.demolished, A.subdivided},
        A.surplus: {A.disposal_in_progress, A.retained, ON_HOLD, A.demolished, A.subdivided},
        A.disposal_in_progress: {A.disposed, A.retained, ON_HOLD},
        A.retained: {A.active, A.inactive, ON_HOLD, A.demolished, A.subdivided},
        ON_HOLD: _HOLDABLE,  # back to the status held before, which the service enforces
        A.disposed: set(),
        A.demolished: set(),
        A.subdivided: set(),
    },
)
NOT_FOR_TYPE: dict[AssetType, frozenset[AssetStatus]] = {
    AssetType.land: frozenset({A.demolished}),
    AssetType.building: frozenset({A.subdivided}),
    AssetType.structure: frozenset({A.subdivided}),
}
ASSETS = TrackedTable(
    repository.assets, "asset", audit, LIFECYCLE, reason_required=frozenset(TERMINAL_STATUSES)
)

# Wire fields kept in other columns: `storage_values` turns them into those.
_NOT_STORED = frozenset({"location", "footprint"})


def wire_fields(row: AssetRecord) -> dict[str, Any]:
    """The stored asset as its wire model names its fields (point and polygon as GeoJSON)."""
    values = {name: getattr(row, name) for name in row.__slots__}
    for name in ("land_area_acres", "structure_quantity"):
        if isinstance(values[name], Decimal):
            values[name] = float(values[name])
    if row.longitude is not None and row.latitude is not None:
        values["location"] = {"type": "Point", "coordinates": [float(row.longitude), float(row.latitude)]}
    else:
        values["location"] = None
    values["apns"] = [display_apn(apn) for apn in row.apns]
    values["warnings"] = rules.warnings(values)
    return values


def to_contract(row: AssetRecord) -> Asset:
    return Asset.model_validate(wire_fields(row), context=FROM_DATABASE)


def to_public(row: AssetRecord) -> PublicAsset:
    return PublicAsset.model_validate(wire_fields(row), context=FROM_DATABASE)


def storage_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Wire fields as columns: the point as longitude and latitude, the footprint with its box."""
    values = {name: value for name, value in fields.items() if name not in _NOT_STORED}
    if "location" in fields:
        point = fields["location"]
        values["longitude"], values["latitude"] = point["coordinates"] if point else (None, None)
    if "footprint" in fields:
        polygon = fields["footprint"]
        values["footprint"] = polygon
        bounds = (
            GeoPolygon.model_validate(polygon, context=FROM_DATABASE).bounds() if polygon else (None,) * 4
        )
        for name, value in zip(("west", "south", "east", "north"), bounds, strict=True):
            values[f"footprint_{name}"] = value
    return values


async def create(session: AsyncSession, data: AssetCreate, actor: Principal | str) -> Asset:
    fields = data.model_dump(mode="json")
    rules.check(fields, city_today().year)
    number = await repository.next_asset_number(session)
    values = {**storage_values(fields), "asset_number": number, "status": A.active.value}
    recorded = {**fields, "asset_number": number, "status": A.active.value}
    asset_id = await ASSETS.insert(session, values, actor=actor, changes=recorded)
    return await _load(session, asset_id)


async def get(session: AsyncSession, asset_id: uuid.UUID) -> Asset:
    return await _load(session, asset_id)


async def update(
    session: AsyncSession,
    asset_id: uuid.UUID,
    data: AssetUpdate,
    expected_version: int | None,
    actor: Principal | str,
) -> Asset:
    before = await lock_for_change(session, asset_id, expected_version)
    changes = data.model_dump(mode="json", exclude_unset=True)
    nulled = [
        FieldError(
            location=["body", name],
            message=f"`{name}` cannot be null; leave it out to keep it",
            code="not_nullable",
        )
        for name, value in changes.items()
        if value is None and name in REQUIRED_FIELDS
    ]
    if nulled:
        raise ValidationFailed("Some fields cannot be cleared; see `errors`.", errors=nulled)
    current = _snapshot(before)
    after = {**current, **changes}
    rules.check(after, city_today().year)
    recorded = diff(current, after)
    if not recorded:
        return before
    await ASSETS.change(
        session, asset_id, before.version, storage_values(changes), actor=actor, changes=recorded
    )
    return await _load(session, asset_id)


def allowed_moves(row: AssetRecord) -> list[str]:
    """Where the asset may go from here: back to the status it held, when on hold; else along the
    lifecycle, less the ends its type cannot reach."""
    if row.status == ON_HOLD:
        return [row.status_before_hold or A.active.value]
    return [s for s in LIFECYCLE.allowed(row.status) if s not in NOT_FOR_TYPE[AssetType(row.asset_type)]]


async def transition(
    session: AsyncSession, asset_id: uuid.UUID, move: AssetTransition, actor: Principal | str
) -> Asset:
    row = await _load_record(session, asset_id, for_update=True)
    before = to_contract(row)
    allowed = allowed_moves(row)
    if move.to.value not in allowed:
        raise InvalidTransition(
            f"A {before.asset_type.value} asset cannot go from `{before.status.value}` to `{move.to.value}`"
            + (" (it returns to the status it held before)." if before.status is ON_HOLD else "."),
            current_status=before.status.value,
            allowed_transitions=allowed,
        )
    _check_move_fields(move)
    values: dict[str, Any] = {"status_reason": move.reason}
    if move.to is ON_HOLD:
        assert move.cannot_dispose_reason is not None
        values |= {
            "status_before_hold": before.status.value,
            "cannot_dispose_reason": move.cannot_dispose_reason.value,
        }
    elif before.status is ON_HOLD:
        values |= {"status_before_hold": None, "cannot_dispose_reason": None}
    changes = (
        {"cannot_dispose_reason": move.cannot_dispose_reason.value} if move.cannot_dispose_reason else None
    )
    await ASSETS.move(
        session,
        asset_id,
        before.version,
        before.status,
        move.to,
        actor=actor,
        reason=move.reason,
        values=values,
        changes=changes,
    )
    return await _load(session, asset_id)


def _check_move_fields(move: AssetTransition) -> None:
    errors = []
    if move.to is ON_HOLD and move.cannot_dispose_reason is None:
        errors.append(
            FieldError(
                location=["body", "cannot_dispose_reason"],
                message="moving to `cannot_currently_be_disposed` needs the reason it cannot be disposed of",
                code="required_for_status",
            )
        )
    if move.to is not ON_HOLD and move.cannot_dispose_reason is not None:
        errors.append(
            FieldError(
                location=["body", "cannot_dispose_reason"],
                message="`cannot_dispose_reason` goes only with `to: cannot_currently_be_disposed`",
                code="not_allowed_for_status",
            )
        )
    if move.to in TERMINAL_STATUSES and not move.reason:
        errors.append(
            FieldError(
                location=["body", "reason"],
                message=f"moving to `{move.to.value}`, which is final, needs a `reason`",
                code="required_for_status",
            )
        )
    if errors:
        raise ValidationFailed(
            "The transition is missing or has fields it should not; see `errors`.", errors=errors
        )


async def lock_for_change(session: AsyncSession, asset_id: uuid.UUID, expected_version: int | None) -> Asset:
    """The asset, locked for this transaction, at the version the client read, and not in a final status
    (terminal assets are read-only)."""
    before = await _load(session, asset_id, for_update=True)
    check_version(expected_version, before.version)
    if before.status in TERMINAL_STATUSES:
        raise InvalidTransition(
            f"Asset {before.asset_number} is {before.status.value}, which is final: it can no longer change.",
            current_status=before.status.value,
            allowed_transitions=[],
        )
    return before


async def record_parcels(
    session: AsyncSession, before: Asset, apns_after: list[str], *, action: str, actor: Principal | str
) -> Asset:
    """A new version of the asset whose parcels changed (its ETag and `updated_at` move with them)."""
    await ASSETS.change(
        session,
        before.id,
        before.version,
        {},
        actor=actor,
        changes={"apns": [before.apns, apns_after]},
        action=action,
    )
    return await _load(session, before.id)


async def list_page(
    session: AsyncSession,
    pager: Pager,
    *,
    filters: Mapping[str, list[Any] | None],
    updated_since: datetime | None,
    public: bool = False,
    apn: str | None = None,
) -> tuple[list[AssetRecord], str | None]:
    """A page of assets as stored: `filters` by column, e.g. `{"status": [...], "asset_type": [...]}`."""
    statement = repository.select_assets()
    for column, values in filters.items():
        if values:
            statement = repository.filter_by(statement, column, [getattr(v, "value", v) for v in values])
    if updated_since is not None:
        statement = repository.filter_updated_since(statement, updated_since)
    if public:
        statement = repository.filter_public(statement)
    if apn is not None:
        statement = repository.filter_on_parcel(statement, apn)
    fingerprint = {**filters, "updated_since": updated_since, "public": public, "apn": apn}
    return await repository.page(session, statement, pager, fingerprint)


async def get_record(session: AsyncSession, asset_id: uuid.UUID) -> AssetRecord:
    return await _load_record(session, asset_id)


async def _load_record(
    session: AsyncSession, asset_id: uuid.UUID, *, for_update: bool = False
) -> AssetRecord:
    row = await repository.get(session, asset_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No asset has id {asset_id}.")
    return row


async def _load(session: AsyncSession, asset_id: uuid.UUID, *, for_update: bool = False) -> Asset:
    return to_contract(await _load_record(session, asset_id, for_update=for_update))


def _snapshot(asset: Asset) -> dict[str, Any]:
    return asset.model_dump(
        mode="json",
        exclude={
            "id",
            "asset_number",
            "status",
            "cannot_dispose_reason",
            "status_reason",
            "apns",
            "warnings",
            "version",
            "created_at",
            "updated_at",
        },
    )
