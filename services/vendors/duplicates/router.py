"""HTTP surface of duplicate detection and merging."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Query

from services.common.auth import AUTH_PROBLEMS
from services.common.concurrency import expected_version
from services.common.db import Session
from services.common.idempotency import idempotency_key_header
from services.common.problems import (
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.vendors.access import Reader, Writer
from services.vendors.contracts import MAX_CANDIDATES, DuplicateCandidateList, VendorMerge, VendorMergeResult
from services.vendors.duplicates import service

router = service_router(tags=["duplicates"])

DEFAULT_LIMIT, MAX_LIMIT = 20, MAX_CANDIDATES


@router.get(
    "/vendors/{vendor_id}/duplicate-candidates",
    response_model=DuplicateCandidateList,
    summary="Find vendors that may be this one registered again",
    description=(
        "Other vendors (merged ones excluded) that share this vendor's TIN, a similar name (legal or DBA, "
        "normalised), an address (street line and postal code), a phone number or an email, each with a "
        "`score` from 0 to 1 and the `reasons` behind it, best first. Not paged: at most `limit` "
        f"candidates (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}). A vendor whose name shares no word "
        "with this one's and whose postal code is written differently is found only by TIN, phone or email."
    ),
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def duplicates_candidates_list(
    vendor_id: uuid.UUID,
    session: Session,
    _: Reader,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="How many candidates at most.")
    ] = DEFAULT_LIMIT,
) -> DuplicateCandidateList:
    return DuplicateCandidateList(items=await service.candidates(session, vendor_id, limit))


@router.post(
    "/vendors/{vendor_id}/merge",
    response_model=VendorMergeResult,
    summary="Merge this vendor into another",
    description=(
        "This vendor (`{vendor_id}`) becomes `merged`, pointing at `survivor_id` (`merged_into_id`); its "
        "record stays as history. The survivor keeps its own data and gains this vendor's commodity codes, "
        "DBA names and identifiers it lacks; certifications move to it; the tax profile moves to it if it "
        "has none, is dropped if it is the same TIN, and different TINs refuse the merge (409 "
        "`different-tins`: different legal entities). Requires `If-Match` with this vendor's ETag (428, "
        "412). Refused: into itself (422), an unknown survivor (422), a vendor already merged or a merged "
        "survivor (409), a suspended or debarred vendor (409: merge the other one into it). One "
        "transaction, audited on both vendors (`merge`, `merge.absorb`) with the `reason`."
    ),
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(
        *AUTH_PROBLEMS, NotFound, Conflict, PreconditionFailed, PreconditionRequired, ValidationFailed
    ),
)
async def duplicates_merge(
    vendor_id: uuid.UUID,
    body: VendorMerge,
    session: Session,
    actor: Writer,
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="The `ETag` of the vendor being merged (428 without it, 412 when it moved on).",
        ),
    ] = None,
) -> VendorMergeResult:
    # Judged here, after the body: an invalid body is a 422 whatever the header says.
    expected = expected_version(if_match)
    return await service.merge(session, vendor_id, body, expected, actor)
