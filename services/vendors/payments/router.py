"""HTTP surface of payments: record one line, read them back, list them with the spend filters."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response, status

from services.common.auth import AUTH_PROBLEMS
from services.common.clock import Now, city_today
from services.common.concurrency import set_etag
from services.common.db import Session
from services.common.idempotency import idempotency_key_header
from services.common.pagination import PageParams
from services.common.problems import (
    BadRequest,
    Conflict,
    NotFound,
    UnprocessableEntity,
    ValidationFailed,
    problem_responses,
)
from services.common.unit_of_work import service_router
from services.common.wire import LIST_FILTER_MAX_ITEMS
from services.vendors.access import Reader, Writer
from services.vendors.contracts import Department, IsoDate, Payment, PaymentCreate, PaymentPage, PaymentTier
from services.vendors.payments import service

router = service_router(tags=["payments"])

BASE = "/payments"
# Payments are never changed: every one is at its first and only version.
PAYMENT_VERSION = 1


@router.post(
    BASE,
    status_code=status.HTTP_201_CREATED,
    response_model=Payment,
    summary="Record a payment",
    description="One line from the City's paying system. The fiscal year is derived from `paid_date` "
    "(July to June); `department` must be a City department; a `contract_id` must be the line vendor's "
    "contract (the prime's, on a `sub` line). A second line with the same `external_ref` is 409 with "
    "`existing_payment_id`. Payments are never changed: correct one with a negative line. Files of lines "
    "load through `POST /v1/procurement/imports`. Send `Idempotency-Key` to make retries safe.",
    dependencies=[Depends(idempotency_key_header)],
    responses=problem_responses(*AUTH_PROBLEMS, Conflict, ValidationFailed, UnprocessableEntity),
)
async def payments_create(
    body: PaymentCreate, session: Session, actor: Writer, now: Now, response: Response
) -> Payment:
    payment = await service.create(session, body, actor, city_today(now))
    response.headers["Location"] = f"/v1/procurement/payments/{payment.id}"
    set_etag(response, PAYMENT_VERSION)
    return payment


@router.get(
    BASE,
    response_model=PaymentPage,
    summary="List payments",
    description="Keyset-paged in the order they were recorded; filters combine with AND (repeat "
    "`department` for several). `vendor_id` is the vendor paid (the sub, on sub lines).",
    responses=problem_responses(*AUTH_PROBLEMS, BadRequest, ValidationFailed),
)
async def payments_list(
    session: Session,
    pager: PageParams,
    _: Reader,
    vendor_id: Annotated[uuid.UUID | None, Query(description="The vendor paid.")] = None,
    contract_id: Annotated[uuid.UUID | None, Query()] = None,
    department: Annotated[
        list[Department] | None, Query(max_length=LIST_FILTER_MAX_ITEMS, description="City department codes.")
    ] = None,
    fiscal_year: Annotated[
        int | None,
        Query(ge=1900, le=9999, description="Los Angeles fiscal year: 2026 is July 2025 to June 2026."),
    ] = None,
    paid_from: Annotated[IsoDate | None, Query(description="Paid on or after this day.")] = None,
    paid_to: Annotated[IsoDate | None, Query(description="Paid on or before this day.")] = None,
    tier: Annotated[PaymentTier | None, Query()] = None,
) -> PaymentPage:
    items, token = await service.list_page(
        session,
        pager,
        vendor_id=vendor_id,
        contract_id=contract_id,
        departments=department,
        fiscal_year=fiscal_year,
        paid_from=paid_from,
        paid_to=paid_to,
        tier=tier,
    )
    return PaymentPage(items=items, next_page_token=token)


@router.get(
    BASE + "/{payment_id}",
    response_model=Payment,
    summary="Get a payment",
    responses=problem_responses(*AUTH_PROBLEMS, NotFound, ValidationFailed),
)
async def payments_get(payment_id: uuid.UUID, session: Session, _: Reader, response: Response) -> Payment:
    payment = await service.get(session, payment_id)
    set_etag(response, PAYMENT_VERSION)
    return payment
