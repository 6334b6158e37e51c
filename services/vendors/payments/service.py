"""Rules of payments. A payment is written once (no version, no status): a plain insert, audited here, in
the request's unit of work.

A payment line must name registered vendors (never one merged away), a City department, and, when it
is paid against a contract, a contract of the right vendor: the line's own on a prime line, its prime's
on a sub line. It cannot be dated in the future, and its fiscal year follows from its date.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.clock import fiscal_year, utcnow
from services.common.db import new_id
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, NotFound, ValidationFailed
from services.vendors.contracts import (
    CommodityCode,
    CommodityScheme,
    Payment,
    PaymentCreate,
    PaymentTier,
    SignedMoney,
    VendorStatus,
)
from services.vendors.contracts.patterns import CROSS_FIELD
from services.vendors.db import audit
from services.vendors.payments import repository
from services.vendors.payments.repository import PaymentRecord


def to_contract(row: PaymentRecord) -> Payment:
    return Payment(
        id=row.id,
        vendor_id=row.vendor_id,
        tier=PaymentTier(row.tier),
        prime_vendor_id=row.prime_vendor_id,
        contract_id=row.contract_id,
        department=row.department,
        category=CommodityCode(scheme=CommodityScheme(row.category_scheme), code=row.category_code),
        amount=SignedMoney(amount=row.amount, currency=row.currency),
        paid_date=row.paid_date,
        fiscal_year=row.fiscal_year,
        external_ref=row.external_ref,
        import_id=row.import_id,
        created_at=row.created_at,
    )


async def create(session: AsyncSession, data: PaymentCreate, actor: Principal, today: date) -> Payment:
    """`today` is the City's calendar day: a payment is never dated after it."""
    errors = [*await _vendor_errors(session, data), *await _contract_errors(session, data)]
    if data.paid_date > today:
        errors.append(
            _error("paid_date", f"a payment cannot be dated after today ({today.isoformat()})", "future_date")
        )
    if errors:
        raise ValidationFailed("The payment does not fit the registry; see `errors`.", errors=errors)
    payment_id = new_id()
    row = {
        "id": payment_id,
        "vendor_id": data.vendor_id,
        "prime_vendor_id": data.prime_vendor_id,
        "contract_id": data.contract_id,
        "department": data.department,
        "category_scheme": data.category.scheme.value,
        "category_code": data.category.code,
        "amount": data.amount.amount,
        "currency": data.amount.currency,
        "paid_date": data.paid_date,
        "fiscal_year": fiscal_year(data.paid_date),
        "tier": data.tier.value,
        "external_ref": data.external_ref,
        "import_id": None,
        "created_at": utcnow(),
    }
    try:
        await repository.insert_payment(session, row)
    except repository.DuplicateExternalRef:
        assert data.external_ref is not None  # only a given ref can collide
        existing = await repository.by_external_ref(session, data.external_ref)
        raise Conflict(
            "A payment with this `external_ref` was already recorded; payments are never changed, so a "
            "correction is a new line (with a negative amount) under a new `external_ref`.",
            existing_payment_id=str(existing),
        ) from None
    payment = to_contract(PaymentRecord(**row))
    await audit.record(
        session,
        actor=actor,
        action="create",
        entity="payment",
        entity_id=payment_id,
        changes=payment.model_dump(mode="json", exclude={"id", "created_at", "import_id"}),
    )
    return payment


async def _vendor_errors(session: AsyncSession, data: PaymentCreate) -> list[FieldError]:
    """Unknown vendors are field errors; a vendor merged away is a conflict naming the survivor."""
    named = {"vendor_id": data.vendor_id}
    if data.prime_vendor_id is not None:
        named["prime_vendor_id"] = data.prime_vendor_id
    found = await repository.vendors_by_id(session, list(named.values()))
    errors = []
    for field, vendor_id in named.items():
        vendor = found.get(vendor_id)
        if vendor is None:
            errors.append(_error(field, f"no vendor has id {vendor_id}", "unknown_vendor"))
        elif vendor.status == VendorStatus.merged:
            raise Conflict(
                f"Vendor {vendor.vendor_number} was merged into {vendor.merged_into_id}; pay the "
                "surviving vendor.",
                vendor_id=str(vendor_id),
                merged_into_id=str(vendor.merged_into_id),
            )
    return errors


async def _contract_errors(session: AsyncSession, data: PaymentCreate) -> list[FieldError]:
    if data.contract_id is None:
        return []
    contract = await repository.contract(session, data.contract_id)
    if contract is None:
        return [_error("contract_id", f"no contract has id {data.contract_id}", "unknown_contract")]
    if data.tier is PaymentTier.sub:
        if contract.vendor_id != data.prime_vendor_id:
            return [
                _error(
                    "contract_id",
                    f"contract {contract.number} is held by vendor {contract.vendor_id}, not by this "
                    "sub line's prime",
                    "contract_of_another_vendor",
                )
            ]
    elif contract.vendor_id != data.vendor_id:
        return [
            _error(
                "contract_id",
                f"contract {contract.number} is held by vendor {contract.vendor_id}, not by the vendor "
                "paid on this prime line",
                "contract_of_another_vendor",
            )
        ]
    return []


def _error(field: str, message: str, code: str) -> FieldError:
    return FieldError(location=["body", field], message=message, code=code)


async def get(session: AsyncSession, payment_id: uuid.UUID) -> Payment:
    row = await repository.get(session, payment_id)
    if row is None:
        raise NotFound(f"No payment has id {payment_id}.")
    return to_contract(row)


async def list_page(
    session: AsyncSession,
    pager: Pager,
    *,
    vendor_id: uuid.UUID | None,
    contract_id: uuid.UUID | None,
    departments: Sequence[str] | None,
    fiscal_year: int | None,
    paid_from: date | None,
    paid_to: date | None,
    tier: PaymentTier | None,
) -> tuple[list[Payment], str | None]:
    if paid_from is not None and paid_to is not None and paid_from > paid_to:
        raise ValidationFailed(
            "`paid_from` is after `paid_to`: no day lies between them.",
            errors=[
                FieldError(
                    location=["query", "paid_to"], message="must not be before paid_from", code=CROSS_FIELD
                )
            ],
        )
    statement = repository.select_payments()
    for column, value in (
        ("vendor_id", vendor_id),
        ("contract_id", contract_id),
        ("fiscal_year", fiscal_year),
        ("tier", tier.value if tier else None),
    ):
        if value is not None:
            statement = repository.filter_equal(statement, column, value)
    if departments:
        statement = repository.filter_in(statement, "department", departments)
    statement = repository.filter_paid_between(statement, paid_from, paid_to)
    filters = {
        "vendor_id": vendor_id,
        "contract_id": contract_id,
        "department": departments,
        "fiscal_year": fiscal_year,
        "paid_from": paid_from,
        "paid_to": paid_to,
        "tier": tier,
    }
    rows, token = await repository.page(session, statement, pager, filters)
    return [to_contract(row) for row in rows], token
