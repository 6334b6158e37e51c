"""Duplicate candidates (read only) and merging (one unit of work, audited on both vendors)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import diff
from services.common.auth import Principal
from services.common.concurrency import check_version
from services.common.problems import Conflict, FieldError, NotFound, ValidationFailed
from services.common.records import TrackedTable
from services.common.transitions import StateMachine
from services.vendors.certifications.service import CERTIFICATIONS
from services.vendors.contracts import (
    DuplicateCandidate,
    TaxProfileMergeOutcome,
    VendorMerge,
    VendorMergeResult,
    VendorStatus,
)
from services.vendors.db import audit
from services.vendors.duplicates import queries, scoring
from services.vendors.duplicates import repository as merge_repository
from services.vendors.registry import repository as registry
from services.vendors.registry.names import normalize_name
from services.vendors.registry.repository import VendorRecord
from services.vendors.registry.service import VENDORS, derived_name_fields, to_contract
from services.vendors.tax import repository as tax_repository
from services.vendors.tax.service import PROFILES

# The registry's own limits on a vendor's lists (VendorCreate): a merge must not exceed them.
MAX_DBA_NAMES = 20
MAX_IDENTIFIERS = 20
# A vendor in these states cannot disappear into another by a merge: its standing would be lost.
NOT_MERGEABLE = {VendorStatus.suspended, VendorStatus.debarred}
# Merging is not a transition of the registry's lifecycle (`POST …/merge` names the survivor), but it is
# a status move all the same: from any state a vendor keeps no standing in, to `merged`.
S = VendorStatus
MERGE = StateMachine(
    "vendor", {status: {S.merged} for status in (S.draft, S.submitted, S.active, S.inactive)}
)
MERGING = TrackedTable(registry.vendors, "vendor", audit, MERGE)
# What the merge events compare of each vendor.
_AUDITED = ("status", "merged_into_id", "dba_names", "identifiers", "commodity_codes")


class DifferentTins(Conflict):
    slug, title = "different-tins", "The vendors have different TINs"


# --- candidates -------------------------------------------------------------------------------------


async def candidates(session: AsyncSession, vendor_id: uuid.UUID, limit: int) -> list[DuplicateCandidate]:
    vendor = await _vendor(session, vendor_id)
    profile = await tax_repository.get_profile(session, vendor_id)
    fingerprint = profile.tin_fingerprint if profile is not None else None
    subject = scoring.traits_of(vendor, fingerprint)
    rows = await queries.candidates(
        session,
        [
            queries.by_fingerprint(vendor_id, fingerprint),
            queries.by_name_words(vendor_id, subject.names),
            queries.by_address(vendor_id, vendor.addresses),
            queries.by_contact(vendor_id, vendor.contacts),
        ],
    )
    found = []
    for row in rows:
        score, reasons = scoring.compare(subject, scoring.traits_of(row, row.tin_fingerprint))
        if reasons:
            found.append(
                DuplicateCandidate(
                    vendor_id=row.id,
                    vendor_number=row.vendor_number,
                    legal_name=row.legal_name,
                    status=VendorStatus(row.status),
                    score=score,
                    reasons=reasons,
                )
            )
    found.sort(key=lambda candidate: (-candidate.score, candidate.vendor_number))
    return found[:limit]


# --- merge ------------------------------------------------------------------------------------------


async def merge(
    session: AsyncSession,
    merged_id: uuid.UUID,
    request: VendorMerge,
    expected_version: int | None,
    actor: Principal,
) -> VendorMergeResult:
    """Merges `merged_id` into `request.survivor_id`. Every check runs before the first write, so a
    refused merge changes nothing."""
    if request.survivor_id == merged_id:
        raise ValidationFailed(
            "A vendor cannot be merged into itself.",
            errors=[
                FieldError(location=["body", "survivor_id"], message="Names the vendor itself.", code="self")
            ],
        )
    merged, survivor = await _lock_pair(session, merged_id, request.survivor_id)
    check_version(expected_version, merged.version)
    _check_mergeable(merged, survivor)
    tax_outcome = await _check_tax_profiles(session, merged, survivor)
    survivor_changes = _absorbed_fields(merged, survivor)

    moved, kept = await _carry_over(
        session, merged, survivor, survivor_changes, tax_outcome, actor, request.reason
    )
    merged_after, survivor_after = await _vendor(session, merged_id), await _vendor(session, survivor.id)
    return VendorMergeResult(
        merged=to_contract(merged_after),
        survivor=to_contract(survivor_after),
        certifications_moved=moved,
        certifications_kept=kept,
        tax_profile=tax_outcome,
    )


async def _carry_over(
    session: AsyncSession,
    merged: VendorRecord,
    survivor: VendorRecord,
    survivor_changes: dict[str, Any],
    tax_outcome: TaxProfileMergeOutcome,
    actor: Principal,
    reason: str,
) -> tuple[int, int]:
    """The writes of a merge, each audited with the merge's reason; returns the certifications (moved,
    kept behind). One event per vendor (`merge` on the merged one, `merge.absorb` on the survivor) says
    what the merge did as a whole; the merged vendor's comes last."""
    await merge_repository.copy_commodity_codes(session, merged.id, survivor.id)
    moved = await _move_certifications(session, merged.id, survivor.id, actor, reason)
    kept = await merge_repository.certification_count(session, merged.id)
    await _apply_tax_outcome(session, tax_outcome, merged.id, survivor.id, actor, reason)
    summary = {
        "merged_vendor_id": str(merged.id),
        "survivor_id": str(survivor.id),
        "certifications_moved": moved,
        "tax_profile": tax_outcome.value,
    }
    with_codes = await _vendor(session, survivor.id)  # the survivor with the codes it gained
    await VENDORS.change(
        session,
        survivor.id,
        survivor.version,
        {**survivor_changes, **derived_name_fields(survivor.legal_name, survivor_changes["dba_names"])},
        actor=actor,
        changes={
            **diff(_audited(survivor), _audited(replace(with_codes, **survivor_changes))),
            "merge": summary,
        },
        action="merge.absorb",
        reason=reason,
    )
    await MERGING.move(
        session,
        merged.id,
        merged.version,
        merged.status,
        S.merged,
        actor=actor,
        reason=reason,
        values={"merged_into_id": survivor.id},
        changes={"merged_into_id": [None, str(survivor.id)], "merge": summary},
        action="merge",
    )
    return moved, kept


async def _move_certifications(
    session: AsyncSession, merged_id: uuid.UUID, survivor_id: uuid.UUID, actor: Principal, reason: str
) -> int:
    """The merged vendor's certificates go to the survivor, but those it already holds; how many moved."""
    movable = await merge_repository.certifications_to_move(session, merged_id, survivor_id)
    for certification_id, version in movable:
        await CERTIFICATIONS.change(
            session,
            certification_id,
            version,
            {"vendor_id": survivor_id},
            actor=actor,
            changes={"vendor_id": [str(merged_id), str(survivor_id)]},
            action="merge",
            reason=reason,
        )
    return len(movable)


async def _lock_pair(
    session: AsyncSession, merged_id: uuid.UUID, survivor_id: uuid.UUID
) -> tuple[VendorRecord, VendorRecord]:
    """Both vendors locked, in id order, so that two merges of the same pair cannot deadlock."""
    rows = {}
    for vendor_id in sorted([merged_id, survivor_id]):
        rows[vendor_id] = await registry.get(session, vendor_id, for_update=True)
    merged, survivor = rows[merged_id], rows[survivor_id]
    if merged is None:
        raise NotFound(f"No vendor has id {merged_id}.")
    if survivor is None:
        raise ValidationFailed(
            "`survivor_id` names no vendor.",
            errors=[
                FieldError(location=["body", "survivor_id"], message="No such vendor.", code="not_found")
            ],
        )
    return merged, survivor


def _check_mergeable(merged: VendorRecord, survivor: VendorRecord) -> None:
    if merged.status == VendorStatus.merged:
        raise Conflict(
            f"Vendor {merged.vendor_number} is already merged.",
            merged_into_id=str(merged.merged_into_id),
        )
    if survivor.status == VendorStatus.merged:
        raise Conflict(
            f"Vendor {survivor.vendor_number} was itself merged; merge into the vendor it points to.",
            merged_into_id=str(survivor.merged_into_id),
        )
    if merged.status in NOT_MERGEABLE:
        raise Conflict(
            f"Vendor {merged.vendor_number} is {merged.status}: merging it away would drop that "
            "standing. Merge the other vendor into it instead.",
            current_status=merged.status,
        )


async def _check_tax_profiles(
    session: AsyncSession, merged: VendorRecord, survivor: VendorRecord
) -> TaxProfileMergeOutcome:
    mine = await tax_repository.get_profile(session, merged.id, for_update=True)
    theirs = await tax_repository.get_profile(session, survivor.id, for_update=True)
    if mine is None:
        return TaxProfileMergeOutcome.none
    if theirs is None:
        return TaxProfileMergeOutcome.moved
    if mine.tin_fingerprint == theirs.tin_fingerprint:
        return TaxProfileMergeOutcome.duplicate_removed
    raise DifferentTins(
        f"Vendors {merged.vendor_number} and {survivor.vendor_number} have different TINs, so they are "
        "different legal entities and cannot be merged."
    )


async def _apply_tax_outcome(
    session: AsyncSession,
    outcome: TaxProfileMergeOutcome,
    merged_id: uuid.UUID,
    survivor_id: uuid.UUID,
    actor: Principal,
    reason: str,
) -> None:
    if outcome is TaxProfileMergeOutcome.moved:
        profile = await tax_repository.get_profile(session, merged_id)
        assert profile is not None  # locked by _check_tax_profiles
        await PROFILES.change(
            session,
            merged_id,
            profile.version,
            {"vendor_id": survivor_id},
            actor=actor,
            changes={"vendor_id": [str(merged_id), str(survivor_id)]},
            action="tax_profile.merge",
            reason=reason,
        )
    elif outcome is TaxProfileMergeOutcome.duplicate_removed:
        await tax_repository.delete_profile(session, merged_id)


def _absorbed_fields(merged: VendorRecord, survivor: VendorRecord) -> dict[str, Any]:
    """The survivor's DBA names and identifiers with the merged vendor's added (those it lacks)."""
    known_names = {normalize_name(name) for name in [survivor.legal_name, *survivor.dba_names]}
    dba_names = list(survivor.dba_names)
    for name in merged.dba_names:
        if normalize_name(name) not in known_names:
            known_names.add(normalize_name(name))
            dba_names.append(name)
    known_ids = {(i["scheme"], i["id"]) for i in survivor.identifiers}
    identifiers = list(survivor.identifiers)
    identifiers += [i for i in merged.identifiers if (i["scheme"], i["id"]) not in known_ids]
    if len(dba_names) > MAX_DBA_NAMES or len(identifiers) > MAX_IDENTIFIERS:
        raise Conflict(
            f"Together the vendors have {len(dba_names)} DBA names and {len(identifiers)} identifiers; a "
            f"vendor holds at most {MAX_DBA_NAMES} of each. Remove stale ones from either vendor first."
        )
    return {"dba_names": dba_names, "identifiers": identifiers}


def _audited(vendor: VendorRecord) -> dict[str, Any]:
    contract = to_contract(vendor).model_dump(mode="json")
    return {field: contract[field] for field in _AUDITED}


async def _vendor(session: AsyncSession, vendor_id: uuid.UUID) -> VendorRecord:
    row = await registry.get(session, vendor_id)
    if row is None:
        raise NotFound(f"No vendor has id {vendor_id}.")
    return row
