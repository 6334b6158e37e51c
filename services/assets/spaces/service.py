"""Rules of spaces: the floors, rooms and suites of a building, or the lots of a land asset.

A space's code is unique within its asset, whatever its case. The spaces of an asset add up to at most
the area they are carved from (`asset_area`): a building's rentable square feet, or its gross square feet
when it records no rentable figure; a land asset's acres in square feet. Structures (bridges, viaducts)
have no spaces. Every write of a space locks its asset's row first, so that two spaces added at once
cannot both fit in the room left for one; a final asset (disposed, demolished, subdivided) takes none.
The rule is checked when spaces are written: an asset re-measured smaller afterwards keeps its spaces,
and the occupancy report flags it (`spaces_exceed_asset_area`).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import (
    SQFT_PER_ACRE,
    Asset,
    AssetType,
    Space,
    SpaceCreate,
    SpaceUpdate,
)
from services.assets.db import audit
from services.assets.registry import service as assets
from services.assets.spaces import repository
from services.assets.spaces.repository import SpaceRecord
from services.common.audit import diff
from services.common.auth import Principal
from services.common.concurrency import check_version
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, NotFound, ValidationFailed
from services.common.records import TrackedTable

SPACES = TrackedTable(repository.spaces, "space", audit)
# Fields a space always has: an update may leave them out, never clear them.
_REQUIRED = ("code", "use", "rentable_sqft")


def asset_area(asset: Asset) -> int | None:
    """The square feet an asset's spaces are carved from; None for a structure, which has none."""
    if asset.asset_type is AssetType.building:
        return asset.rentable_sqft if asset.rentable_sqft is not None else asset.gross_sqft
    if asset.asset_type is AssetType.land and asset.land_area_acres is not None:
        return math.floor(asset.land_area_acres * SQFT_PER_ACRE)
    return None


def to_contract(row: SpaceRecord) -> Space:
    return Space.model_validate({name: getattr(row, name) for name in row.__slots__})


async def create(
    session: AsyncSession, asset_id: uuid.UUID, data: SpaceCreate, actor: Principal | str
) -> Space:
    asset = await _asset_taking_spaces(session, asset_id)
    fields = data.model_dump(mode="json")
    await _check(session, asset, fields)
    values = {**fields, "asset_id": asset_id}
    space_id = await SPACES.insert(
        session, values, actor=actor, changes={**fields, "asset_id": str(asset_id)}
    )
    return await get(session, space_id)


async def get(session: AsyncSession, space_id: uuid.UUID) -> Space:
    return to_contract(await get_record(session, space_id))


async def get_record(session: AsyncSession, space_id: uuid.UUID, *, for_update: bool = False) -> SpaceRecord:
    row = await repository.get_space(session, space_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No space has id {space_id}.")
    return row


async def update(
    session: AsyncSession,
    space_id: uuid.UUID,
    data: SpaceUpdate,
    expected_version: int | None,
    actor: Principal | str,
) -> Space:
    found = await get_record(session, space_id)
    # The asset first, then the space: the order every writer of spaces takes its locks in.
    asset = await _asset_taking_spaces(session, found.asset_id)
    before = to_contract(await get_record(session, space_id, for_update=True))
    check_version(expected_version, before.version)
    changes = data.model_dump(mode="json", exclude_unset=True)
    _refuse_nulls(changes)
    current = before.model_dump(mode="json", include={"code", "name", "floor", "use", "rentable_sqft"})
    after = {**current, **changes}
    recorded = diff(current, after)
    if not recorded:
        return before
    await _check(session, asset, after, space_id=space_id)
    await SPACES.change(session, space_id, before.version, changes, actor=actor, changes=recorded)
    return await get(session, space_id)


async def list_page(
    session: AsyncSession, pager: Pager, asset_id: uuid.UUID, *, updated_since: datetime | None
) -> tuple[list[Space], str | None]:
    await assets.get_record(session, asset_id)  # 404 for an asset that does not exist
    statement = repository.select_spaces(asset_id)
    if updated_since is not None:
        statement = repository.filter_updated_since(statement, updated_since)
    filters = {"asset_id": asset_id, "updated_since": updated_since}
    rows, token = await repository.page_spaces(session, statement, pager, filters)
    return [to_contract(row) for row in rows], token


async def _asset_taking_spaces(session: AsyncSession, asset_id: uuid.UUID) -> Asset:
    """The asset, locked, if it can take spaces: 404 unknown, 409 final or a structure."""
    asset = await assets.lock_for_change(session, asset_id, None)
    if asset_area(asset) is None:
        raise Conflict(
            f"Asset {asset.asset_number} is a {asset.asset_type.value}: only buildings and land have spaces.",
            errors=[
                {
                    "location": ["path", "asset_id"],
                    "message": f"a {asset.asset_type.value} asset has no spaces",
                    "code": "asset_type_has_no_spaces",
                }
            ],
        )
    return asset


async def _check(
    session: AsyncSession, asset: Asset, space: dict[str, Any], *, space_id: uuid.UUID | None = None
) -> None:
    """The rules of a space as it would be after the write, against its asset and its siblings."""
    errors = []
    if asset.asset_type is AssetType.land and space.get("floor") is not None:
        errors.append(_error("floor", "not_allowed_for_asset_type", "a lot of a land asset has no `floor`"))
    area = asset_area(asset)
    assert area is not None  # `_asset_taking_spaces` let only buildings and land through
    others = await repository.rentable_of_others(session, asset.id, other_than=space_id)
    if others + space["rentable_sqft"] > area:
        errors.append(
            _error(
                "rentable_sqft",
                "exceeds_asset_area",
                f"the asset's spaces would add up to {others + space['rentable_sqft']} square feet, more "
                f"than its {area}: {max(area - others, 0)} are left",
            )
        )
    if errors:
        raise ValidationFailed("The space breaks the rules of its asset; see `errors`.", errors=errors)
    taken = await repository.space_with_code(session, asset.id, space["code"], other_than=space_id)
    if taken is not None:
        raise Conflict(
            f"Asset {asset.asset_number} already has a space with code {space['code']}.",
            existing_space_id=str(taken),
            errors=[_error("code", "code_taken", f"space {taken} has this code")],
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
