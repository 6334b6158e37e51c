"""Rules of certifications. Each function is one transaction, committed here, audited here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import diff
from services.common.auth import Principal
from services.common.concurrency import check_version
from services.common.db import new_id, utcnow
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, InvalidTransition, NotFound, ValidationFailed
from services.common.transitions import StateMachine
from services.vendors.certifications import repository
from services.vendors.certifications.validity import (
    certifications,
    city_today,
    displayed_status,
    status_condition,
)
from services.vendors.contracts import (
    Certification,
    CertificationCreate,
    CertificationListItem,
    CertificationStatus,
    CertificationTransition,
    CertificationType,
    CertificationUpdate,
    CertifyingAgency,
    VendorStatus,
    program_basis,
)
from services.vendors.db import audit
from services.vendors.registry import repository as registry

S = CertificationStatus
LIFECYCLE = StateMachine(
    "certification",
    {
        S.pending: {S.verified, S.rejected},
        S.verified: {S.revoked, S.superseded},
        S.rejected: set(),
        S.revoked: set(),
        S.superseded: set(),
    },
)
REASON_REQUIRED = {S.rejected, S.revoked}
# Moves that end a verified certificate before its expiration date.
ENDING = {S.revoked, S.superseded}
ENTITY = "certification"


@dataclass(frozen=True)
class ListFilters:
    certification_type: CertificationType | None = None
    status: CertificationStatus | None = None
    agency_code: str | None = None
    updated_since: datetime | None = None


def to_contract(row: dict[str, Any], today: date) -> Certification:
    return Certification.model_validate(_derived(row, today))


def to_list_item(row: dict[str, Any], today: date) -> CertificationListItem:
    derived = _derived(row, today)
    derived["days_until_expiration"] = (row["expiration_date"] - today).days
    return CertificationListItem.model_validate(derived)


def _derived(row: dict[str, Any], today: date) -> dict[str, Any]:
    certification_type = CertificationType(row["type"])
    return {
        **row,
        "program_basis": program_basis(certification_type),
        "status": displayed_status(row["status"], row["expiration_date"], today),
    }


async def create(
    session: AsyncSession, vendor_id: uuid.UUID, data: CertificationCreate, actor: Principal
) -> Certification:
    await _require_certifiable_vendor(session, vendor_id)
    await _require_known_agency(session, data.agency_code)
    now = utcnow()
    certification_id = new_id()
    values = {
        **data.model_dump(mode="python"),
        "type": data.type.value,
        "id": certification_id,
        "vendor_id": vendor_id,
        "status": S.pending.value,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    if not await repository.insert_unless_duplicate(session, values):
        raise await _duplicate(session, values)
    created = await _load(session, certification_id)
    await audit.record(
        session,
        actor=actor,
        action="create",
        entity=ENTITY,
        entity_id=certification_id,
        changes=_snapshot(created),
    )
    await session.commit()
    return created


async def get(session: AsyncSession, certification_id: uuid.UUID) -> Certification:
    return await _load(session, certification_id)


async def update(
    session: AsyncSession,
    certification_id: uuid.UUID,
    data: CertificationUpdate,
    expected_version: int | None,
    actor: Principal,
) -> Certification:
    row = await _row(session, certification_id, for_update=True)
    check_version(expected_version, row["version"])
    if row["status"] != S.pending:
        raise InvalidTransition(
            "Only a pending certification can be corrected; record the new certificate and supersede "
            "this one instead.",
            current_status=displayed_status(row["status"], row["expiration_date"], city_today()).value,
            allowed_transitions=LIFECYCLE.allowed(row["status"]),
        )
    changes = data.model_dump(mode="python", exclude_unset=True)
    for field, value in changes.items():
        if value is None:
            raise _invalid(field, f"`{field}` cannot be null; leave it out to keep it.", "null")
    if not changes:
        return to_contract(row, city_today())
    if "type" in changes:
        changes["type"] = changes["type"].value
    merged = {**row, **changes}
    if merged["expiration_date"] <= merged["effective_date"]:
        field = "expiration_date" if "expiration_date" in changes else "effective_date"
        raise _invalid(field, "`expiration_date` must be after `effective_date`.", "date_order")
    if "agency_code" in changes:
        await _require_known_agency(session, changes["agency_code"])
    await _write_unless_duplicate(
        session, certification_id, merged, {**changes, "version": row["version"] + 1, "updated_at": utcnow()}
    )
    before = to_contract(row, city_today())
    after = await _load(session, certification_id)
    await audit.record(
        session,
        actor=actor,
        action="update",
        entity=ENTITY,
        entity_id=certification_id,
        changes=diff(_snapshot(before), _snapshot(after)),
    )
    await session.commit()
    return after


async def transition(
    session: AsyncSession, certification_id: uuid.UUID, move: CertificationTransition, actor: Principal
) -> Certification:
    row = await _row(session, certification_id, for_update=True)
    current = row["status"]
    if move.to is S.expired:
        raise InvalidTransition(
            "`expired` cannot be set: a verified certification reads as expired once its expiration "
            "date has passed.",
            current_status=current,
            allowed_transitions=LIFECYCLE.allowed(current),
        )
    LIFECYCLE.check(current, move.to)
    if move.to in REASON_REQUIRED and not move.reason:
        raise ValidationFailed(f"A `reason` is required to move a certification to `{move.to.value}`.")
    now = utcnow()
    values: dict[str, Any] = {"status": move.to.value, "version": row["version"] + 1, "updated_at": now}
    if move.to is S.verified:
        values["verified_at"] = now
    if move.to in ENDING:
        values["ended_on"] = city_today()
    await repository.update(session, certification_id, values)
    after = await _load(session, certification_id)
    await audit.record(
        session,
        actor=actor,
        action=f"transition:{move.to.value}",
        entity=ENTITY,
        entity_id=certification_id,
        changes={"status": [current, move.to.value]},
        reason=move.reason,
    )
    await session.commit()
    return after


async def list_of_vendor(
    session: AsyncSession, pager: Pager, vendor_id: uuid.UUID, filters: ListFilters
) -> tuple[list[Certification], str | None]:
    if await registry.vendor_status(session, vendor_id) is None:
        raise NotFound(f"No vendor has id {vendor_id}.")
    today = city_today()
    statement = repository.select_of_vendor(vendor_id).where(*_conditions(filters, today))
    rows, token = await repository.page(
        session, statement, pager, {"vendor_id": vendor_id, **_fingerprint(filters)}, [certifications.c.id]
    )
    return [to_contract(row, today) for row in rows], token


async def list_all(
    session: AsyncSession,
    pager: Pager,
    filters: ListFilters,
    *,
    expiring_within_days: int | None,
    include_expired: bool,
) -> tuple[list[CertificationListItem], str | None]:
    """Every certification, by id; or, with `expiring_within_days`, the verified ones that expire within
    that many days and (unless `include_expired` is false) those already expired, soonest first."""
    today = city_today()
    conditions = _conditions(filters, today)
    order_by = [certifications.c.id]
    if expiring_within_days is not None:
        c = certifications.c
        conditions.append(c.status == S.verified.value)
        conditions.append(c.expiration_date <= today + timedelta(days=expiring_within_days))
        if not include_expired:
            conditions.append(c.expiration_date >= today)
        order_by = [c.expiration_date, c.id]
    statement = repository.select_with_vendor().where(*conditions)
    fingerprint = {
        **_fingerprint(filters),
        "expiring_within_days": expiring_within_days,
        "include_expired": include_expired,
        # Windows move with the calendar: a token from yesterday's list does not continue today's.
        "today": today,
    }
    rows, token = await repository.page(session, statement, pager, fingerprint, order_by)
    return [to_list_item(row, today) for row in rows], token


async def list_agencies(session: AsyncSession, pager: Pager) -> tuple[list[CertifyingAgency], str | None]:
    rows, token = await repository.agencies_page(session, pager)
    return [CertifyingAgency.model_validate(row) for row in rows], token


def _conditions(filters: ListFilters, today: date) -> list[Any]:
    conditions: list[Any] = []
    if filters.certification_type is not None:
        conditions.append(certifications.c.type == filters.certification_type.value)
    if filters.status is not None:
        conditions.append(status_condition(filters.status, today))
    if filters.agency_code is not None:
        conditions.append(certifications.c.agency_code == filters.agency_code)
    if filters.updated_since is not None:
        conditions.append(repository.updated_since(filters.updated_since))
    return conditions


def _fingerprint(filters: ListFilters) -> dict[str, Any]:
    return {
        "type": filters.certification_type,
        "status": filters.status,
        "agency_code": filters.agency_code,
        "updated_since": filters.updated_since,
    }


async def _require_certifiable_vendor(session: AsyncSession, vendor_id: uuid.UUID) -> None:
    status = await registry.vendor_status(session, vendor_id)
    if status is None:
        raise NotFound(f"No vendor has id {vendor_id}.")
    if status == VendorStatus.merged:
        raise Conflict(f"Vendor {vendor_id} was merged into another; certify the surviving vendor.")


async def _require_known_agency(session: AsyncSession, code: str) -> None:
    if not await repository.agency_exists(session, code):
        raise _invalid(
            "agency_code",
            f"`{code}` is not a certifying agency known to the City; see "
            "`GET /v1/procurement/certifying-agencies`.",
            "unknown_agency",
        )


def _invalid(field: str, message: str, code: str) -> ValidationFailed:
    """A 422 whose `errors[]` points at the body field, as request validation errors do."""
    return ValidationFailed(
        message, errors=[FieldError(location=["body", field], message=message, code=code)]
    )


async def _write_unless_duplicate(
    session: AsyncSession, certification_id: uuid.UUID, identity: dict[str, Any], values: dict[str, Any]
) -> None:
    if await repository.find_same(session, identity, other_than=certification_id) is not None:
        raise await _duplicate(session, identity, other_than=certification_id)
    try:
        # A savepoint, so that losing a race to a concurrent writer leaves the transaction usable.
        async with session.begin_nested():
            await repository.update(session, certification_id, values)
    except IntegrityError:
        raise await _duplicate(session, identity, other_than=certification_id) from None


async def _duplicate(
    session: AsyncSession, identity: dict[str, Any], *, other_than: uuid.UUID | None = None
) -> Conflict:
    existing = await repository.find_same(session, identity, other_than=other_than)
    return Conflict(
        f"The vendor already has {identity['type']} certificate `{identity['certificate_number']}` from "
        f"{identity['agency_code']}.",
        existing_certification_id=str(existing) if existing else None,
    )


async def _row(
    session: AsyncSession, certification_id: uuid.UUID, *, for_update: bool = False
) -> dict[str, Any]:
    row = await repository.get(session, certification_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No certification has id {certification_id}.")
    return row


async def _load(session: AsyncSession, certification_id: uuid.UUID) -> Certification:
    return to_contract(await _row(session, certification_id), city_today())


def _snapshot(certification: Certification) -> dict[str, Any]:
    return certification.model_dump(
        mode="json", exclude={"id", "version", "created_at", "updated_at", "program_basis"}
    )
