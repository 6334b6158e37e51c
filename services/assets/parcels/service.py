"""Rules of parcels and of their links to assets. A parcel is written through the kernel's
`TrackedTable`; a link is a change of its asset (new version, audited on the asset), made with the
asset locked at the version the client read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic_core import PydanticCustomError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.assets.contracts import Asset, Parcel, ParcelCreate, ParcelUpdate, canonical_apn, display_apn
from services.assets.db import audit
from services.assets.parcels import repository
from services.assets.parcels.repository import ParcelRecord
from services.assets.registry import repository as asset_repository
from services.assets.registry import service as assets
from services.common.audit import diff
from services.common.auth import Principal
from services.common.clock import utcnow
from services.common.concurrency import check_version
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, NotFound, ValidationFailed
from services.common.records import TrackedTable

PARCELS = TrackedTable(repository.parcels, "parcel", audit, key="apn")


def apn_from_path(value: str) -> str:
    """The ten digits of an APN given in a path (dashed or not); 422 naming the path parameter."""
    try:
        return canonical_apn(value)
    except PydanticCustomError as exc:
        raise ValidationFailed(
            "The APN in the path is malformed; see `errors`.",
            errors=[FieldError(location=["path", "apn"], message=exc.message(), code=exc.type)],
        ) from None


def to_contract(row: ParcelRecord) -> Parcel:
    values = {name: getattr(row, name) for name in row.__slots__}
    return Parcel.model_validate({**values, "apn": display_apn(row.apn)})


async def create(session: AsyncSession, data: ParcelCreate, actor: Principal | str) -> Parcel:
    values = data.model_dump(mode="python")
    try:
        async with session.begin_nested():  # a duplicate APN fails only this savepoint
            await PARCELS.insert(session, values, actor=actor, changes=data.model_dump(mode="json"))
    except IntegrityError:
        raise Conflict(
            f"Parcel {display_apn(data.apn)} is already registered.", errors=[_apn_taken(data.apn)]
        ) from None
    return await _load(session, data.apn)


def _apn_taken(apn: str) -> dict[str, Any]:
    return {"location": ["body", "apn"], "message": f"{display_apn(apn)} is registered", "code": "apn_taken"}


async def get(session: AsyncSession, apn: str) -> Parcel:
    return await _load(session, apn)


async def update(
    session: AsyncSession, apn: str, data: ParcelUpdate, expected_version: int | None, actor: Principal | str
) -> Parcel:
    before = await _load(session, apn, for_update=True)
    check_version(expected_version, before.version)
    changes = data.model_dump(mode="json", exclude_unset=True)
    current = before.model_dump(mode="json", exclude={"apn", "version", "created_at", "updated_at"})
    recorded = diff(current, {**current, **changes})
    if not recorded:
        return before
    await PARCELS.change(
        session,
        apn,
        before.version,
        data.model_dump(mode="python", exclude_unset=True),
        actor=actor,
        changes=recorded,
    )
    return await _load(session, apn)


async def list_page(
    session: AsyncSession, pager: Pager, *, updated_since: datetime | None, asset_id: uuid.UUID | None = None
) -> tuple[list[Parcel], str | None]:
    statement = repository.select_parcels()
    if updated_since is not None:
        statement = repository.filter_updated_since(statement, updated_since)
    if asset_id is not None:
        statement = repository.filter_of_asset(statement, asset_id)
    rows, token = await repository.page(
        session, statement, pager, {"updated_since": updated_since, "asset_id": asset_id}
    )
    return [to_contract(row) for row in rows], token


async def link(
    session: AsyncSession, asset_id: uuid.UUID, apn: str, expected_version: int | None, actor: Principal | str
) -> tuple[Asset, bool]:
    """Links the asset to the parcel; (the asset, whether it changed). Linking again changes nothing."""
    before = await assets.lock_for_change(session, asset_id, expected_version)
    parcel = await repository.get(session, apn, for_update=True)  # a retirement cannot slip in between
    if parcel is None:
        raise NotFound(f"No parcel has APN {display_apn(apn)}; register it first (POST /parcels).")
    shown = display_apn(apn)
    if shown in before.apns:
        return before, False
    if parcel.retired_on is not None:
        raise Conflict(
            f"Parcel {shown} was retired on {parcel.retired_on}: it takes no new links.",
            errors=[
                {"location": ["path", "apn"], "message": "the parcel is retired", "code": "parcel_retired"}
            ],
        )
    await asset_repository.link_parcel(session, asset_id, apn, utcnow())
    after = await assets.record_parcels(
        session, before, sorted([*before.apns, shown]), action="link_parcel", actor=actor
    )
    return after, True


async def unlink(
    session: AsyncSession, asset_id: uuid.UUID, apn: str, expected_version: int | None, actor: Principal | str
) -> Asset:
    before = await assets.lock_for_change(session, asset_id, expected_version)
    shown = display_apn(apn)
    if shown not in before.apns:
        raise NotFound(f"Asset {before.asset_number} is not linked to parcel {shown}.")
    await asset_repository.unlink_parcel(session, asset_id, apn)
    remaining = [linked for linked in before.apns if linked != shown]
    return await assets.record_parcels(session, before, remaining, action="unlink_parcel", actor=actor)


async def require(session: AsyncSession, apn: str) -> None:
    if not await repository.exists(session, apn):
        raise NotFound(f"No parcel has APN {display_apn(apn)}.")


async def _load(session: AsyncSession, apn: str, *, for_update: bool = False) -> Parcel:
    row = await repository.get(session, apn, for_update=for_update)
    if row is None:
        raise NotFound(f"No parcel has APN {display_apn(apn)}.")
    return to_contract(row)
