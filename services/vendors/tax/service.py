"""Rules of tax profiles. Writes go through the kernel's `TrackedTable` (version, timestamps, audit); the
unit of work commits them.

The TIN exists in clear only inside these functions: it is encrypted before it reaches the database,
and audit events say that it changed, never what it is.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import diff
from services.common.auth import Principal
from services.common.concurrency import check_version
from services.common.problems import Conflict, NotFound, PreconditionFailed, PreconditionRequired
from services.common.records import TrackedTable
from services.vendors.contracts import (
    TaxProfile,
    TaxProfilePut,
    TaxProfileRevealed,
    TinType,
    VendorStatus,
    format_tin,
    mask_tin,
)
from services.vendors.db import audit
from services.vendors.registry import repository as registry
from services.vendors.registry.repository import VendorRecord
from services.vendors.tax import repository
from services.vendors.tax.models import FINGERPRINT_CONSTRAINT
from services.vendors.tax.repository import TaxProfileRecord, TinHolder
from services.vendors.tax.vault import TinVault

# A profile belongs to its vendor: keyed by the vendor's id, and audited on the vendor.
PROFILES = TrackedTable(
    repository.tax_profiles,
    "vendor",
    audit,
    redact=frozenset({"tin_ciphertext", "tin_fingerprint"}),
    key="vendor_id",
)


class DuplicateTin(Conflict):
    slug, title = "duplicate-tin", "Another vendor has this TIN"


@dataclass(frozen=True)
class Precondition:
    """The request's preconditions: `If-Match` (`sent`: any version for `*`, else one version), and
    `If-None-Match: *` (`absent`: create only, never replace)."""

    sent: bool
    version: int | None = None
    absent: bool = False


def to_contract(row: TaxProfileRecord) -> TaxProfile:
    tin_type = TinType(row.tin_type)
    return TaxProfile(
        vendor_id=row.vendor_id,
        tin_type=tin_type,
        tin_masked=mask_tin(tin_type, row.tin_last4),
        tin_last4=row.tin_last4,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def get(session: AsyncSession, vendor_id: uuid.UUID) -> TaxProfile:
    vendor = await _vendor(session, vendor_id)
    return to_contract(await _profile(session, vendor))


async def put(
    session: AsyncSession,
    vault: TinVault,
    vendor_id: uuid.UUID,
    data: TaxProfilePut,
    precondition: Precondition,
    actor: Principal,
) -> tuple[TaxProfile, bool]:
    """Creates or replaces the profile; returns it and whether it was created."""
    vendor = await _vendor(session, vendor_id, for_update=True)
    if vendor.status == VendorStatus.merged:
        raise Conflict(
            f"Vendor {vendor.vendor_number} was merged; set the tax profile on the vendor it was merged "
            "into.",
            merged_into_id=str(vendor.merged_into_id),
        )
    current = await repository.get_profile(session, vendor_id, for_update=True)
    _check_precondition(current, precondition)
    tin = data.tin.get_secret_value()
    fingerprint = vault.fingerprint(data.tin_type, tin)
    if current is not None and current.tin_fingerprint == fingerprint:
        return to_contract(current), False
    holder = await repository.holder_of_fingerprint(session, fingerprint, other_than=vendor_id)
    if holder is not None:
        raise _duplicate(holder)
    values = {
        "tin_type": data.tin_type.value,
        "tin_ciphertext": vault.encrypt(tin),
        "tin_last4": tin[-4:],
        "tin_fingerprint": fingerprint,
    }
    before = _audited(current.tin_type, current.tin_fingerprint) if current is not None else {}
    changes = diff(before, _audited(data.tin_type.value, fingerprint), redact={"tin"})
    await _write(session, vendor_id, current, values, fingerprint, changes, actor)
    saved = await repository.get_profile(session, vendor_id)
    assert saved is not None
    return to_contract(saved), current is None


async def reveal(
    session: AsyncSession, vault: TinVault, vendor_id: uuid.UUID, reason: str, actor: Principal
) -> TaxProfileRevealed:
    """The full TIN, once the audit event that records who asked and why is committed."""
    vendor = await _vendor(session, vendor_id)
    row = await _profile(session, vendor)
    tin_type = TinType(row.tin_type)
    tin = format_tin(tin_type, vault.decrypt(row.tin_ciphertext))
    # A read, not a change of the profile: recorded as such, and committed before the TIN is answered.
    await audit.record(
        session,
        actor=actor,
        action="tax_profile.reveal",
        entity="vendor",
        entity_id=vendor_id,
        changes={},
        reason=reason,
    )
    return TaxProfileRevealed(vendor_id=vendor_id, tin_type=tin_type, tin=tin)


def _check_precondition(current: TaxProfileRecord | None, precondition: Precondition) -> None:
    """RFC 9110 §13.2.2: `If-Match` is judged first, then `If-None-Match`. Without either, a first
    profile is created and an existing one is not replaced (428)."""
    if current is None:
        if precondition.sent:
            raise PreconditionFailed(
                "This vendor has no tax profile yet, so `If-Match` cannot match; create it with "
                "`If-None-Match: *` instead."
            )
        return
    if precondition.sent:
        check_version(precondition.version, current.version)
    if precondition.absent:
        raise PreconditionFailed(
            "This vendor already has a tax profile, so `If-None-Match: *` fails; replace it with `If-Match` "
            "and the ETag you read."
        )
    if not precondition.sent:
        raise PreconditionRequired("This vendor has a tax profile: send `If-Match` with the ETag you read.")


async def _write(
    session: AsyncSession,
    vendor_id: uuid.UUID,
    current: TaxProfileRecord | None,
    values: dict[str, Any],
    fingerprint: str,
    changes: dict[str, Any],
    actor: Principal,
) -> None:
    """Inserts or updates in a savepoint. The unique fingerprint index settles races the check above
    cannot see (another transaction saving the same TIN right now): the loser gets the same 409."""
    try:
        async with session.begin_nested():
            if current is None:
                await PROFILES.insert(
                    session,
                    {**values, "vendor_id": vendor_id},
                    actor=actor,
                    changes=changes,
                    action="tax_profile.create",
                )
            else:
                await PROFILES.change(
                    session,
                    vendor_id,
                    current.version,
                    values,
                    actor=actor,
                    changes=changes,
                    action="tax_profile.update",
                )
    except IntegrityError as exc:
        if _violated_constraint(exc) != FINGERPRINT_CONSTRAINT:
            raise
        holder = await repository.holder_of_fingerprint(session, fingerprint, other_than=vendor_id)
        raise _duplicate(holder) from None


def _violated_constraint(exc: IntegrityError) -> str | None:
    # asyncpg's UniqueViolationError, wrapped by SQLAlchemy's adapter, names the constraint.
    cause = getattr(exc.orig, "__cause__", None)
    return getattr(cause, "constraint_name", None)


def _duplicate(holder: TinHolder | None) -> Conflict:
    if holder is None:  # the other profile was removed since; the client may simply retry
        return DuplicateTin("Another vendor saved this TIN at the same moment; read it again and retry.")
    number = holder.vendor_number
    return DuplicateTin(
        f"Vendor {number} already has this TIN. A TIN identifies one legal entity: merge this vendor into "
        f"{number} instead of registering it twice.",
        existing_vendor_id=str(holder.id),
        existing_vendor_number=number,
    )


def _audited(tin_type: str, fingerprint: str) -> dict[str, Any]:
    """What an audit diff compares: the type, and the fingerprint under the name `tin`, redacted."""
    return {"tin_type": tin_type, "tin": fingerprint}


async def _vendor(session: AsyncSession, vendor_id: uuid.UUID, *, for_update: bool = False) -> VendorRecord:
    row = await registry.get(session, vendor_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No vendor has id {vendor_id}.")
    return row


async def _profile(session: AsyncSession, vendor: VendorRecord) -> TaxProfileRecord:
    row = await repository.get_profile(session, vendor.id)
    if row is None:
        raise NotFound(f"Vendor {vendor.vendor_number} has no tax profile.")
    return row
