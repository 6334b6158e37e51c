"""Rules of contracts, amendments and subcontract commitments. Writes go through the kernel's
`TrackedTable` (version, timestamps, audit, lifecycle); the unit of work commits them.

A contract comes from an award in force and takes its value, vendor and department from it; it is
drafted, signed (`active`), then completed or terminated. Amendments apply to active contracts and never
take the value below zero, nor below what is committed to subs. A subcontract commitment names an
`active` vendor other than the prime, and a certification it holds verified and valid on the day of
the commitment.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import MISSING
from pydantic_core import to_jsonable_python
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import diff
from services.common.auth import Principal
from services.common.clock import city_today
from services.common.concurrency import check_version
from services.common.db import new_id
from services.common.money import Money
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, NotFound, ValidationFailed
from services.common.records import TrackedTable
from services.common.transitions import StateMachine
from services.vendors.agreements import repository
from services.vendors.agreements.repository import AmendmentRecord, ContractRecord, SubcontractRecord
from services.vendors.awards import repository as award_repository
from services.vendors.contracts import (
    Amendment,
    AmendmentCreate,
    AwardStatus,
    Contract,
    ContractCreate,
    ContractStatus,
    ContractTransition,
    ContractUpdate,
    DatePeriod,
    Subcontract,
    SubcontractCreate,
    SubcontractStatus,
    SubcontractTransition,
    ValueChange,
)
from services.vendors.db import audit
from services.vendors.registry import repository as registry
from services.vendors.solicitations import service as solicitations

C = ContractStatus
LIFECYCLE = StateMachine("contract", {C.draft: {C.active}, C.active: {C.completed, C.terminated}})
SUBCONTRACT_LIFECYCLE = StateMachine(
    "subcontract", {SubcontractStatus.committed: {SubcontractStatus.cancelled}}
)
CONTRACTS = TrackedTable(
    repository.contracts, "contract", audit, LIFECYCLE, reason_required=frozenset({C.terminated})
)
SUBCONTRACTS = TrackedTable(
    repository.subcontracts,
    "subcontract",
    audit,
    SUBCONTRACT_LIFECYCLE,
    reason_required=frozenset({SubcontractStatus.cancelled}),
)
COMMITTABLE = {C.draft.value, C.active.value}
_CONTRACT_COLUMNS = tuple(field.name for field in fields(ContractRecord))


def to_contract(row: ContractRecord) -> Contract:
    return Contract(
        id=row.id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        **_terms(_columns(row)),
    )


def _terms(row: Mapping[str, Any]) -> dict[str, Any]:
    """A contract's fields but its id, version and timestamps, from its columns: what the audit trail
    shows of it."""
    currency = row["currency"]
    return {
        "number": row["number"],
        "award_id": row["award_id"],
        "solicitation_id": row["solicitation_id"],
        "vendor_id": row["vendor_id"],
        "department": row["department"],
        "title": row["title"],
        "status": C(row["status"]),
        "original_value": Money(amount=row["original_value_amount"], currency=currency),
        "value": Money(amount=row["value_amount"], currency=currency),
        "period": DatePeriod(start=row["period_start"], end=row["period_end"]),
        "signed_date": row["signed_date"],
    }


def _snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    snapshot: dict[str, Any] = to_jsonable_python(_terms(row))
    return snapshot


def to_amendment(row: AmendmentRecord | Mapping[str, Any], currency: str) -> Amendment:
    if isinstance(row, Mapping):  # one just written, from its values
        row = AmendmentRecord(**row)
    return Amendment(
        id=row.id,
        contract_id=row.contract_id,
        number=row.number,
        description=row.description,
        value_change=ValueChange(amount=row.value_change_amount, currency=currency),
        new_period_end=row.new_period_end,
        effective_date=row.effective_date,
        made_at=row.made_at,
    )


def to_subcontract(row: SubcontractRecord, currency: str) -> Subcontract:
    return Subcontract(
        id=row.id,
        contract_id=row.contract_id,
        sub_vendor_id=row.sub_vendor_id,
        certification_type=row.certification_type,
        amount=Money(amount=row.amount, currency=currency),
        committed_date=row.committed_date,
        status=SubcontractStatus(row.status),
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# Contracts


async def create(session: AsyncSession, data: ContractCreate, actor: Principal, now: datetime) -> Contract:
    award = await award_repository.award_by_id(session, data.award_id, for_update=True)
    if award is None:
        raise ValidationFailed(
            f"No award has id {data.award_id}.",
            errors=[FieldError(location=["body", "award_id"], message="no such award", code="unknown_award")],
        )
    if award.status != AwardStatus.active.value:
        raise Conflict(
            f"Award {data.award_id} is `{award.status}`: a contract is made from an award in force "
            "(`active`).",
            award_status=award.status,
        )
    existing = await repository.contract_of_award(session, data.award_id)
    if existing is not None:
        raise Conflict(f"Award {data.award_id} already has contract {existing}.", contract_id=str(existing))
    solicitation = await solicitations.load_visible(session, award.solicitation_id, actor, now)
    values = {
        "number": f"C-{city_today(now).year}-{await repository.next_number(session):05d}",
        "award_id": award.id,
        "solicitation_id": award.solicitation_id,
        "vendor_id": award.vendor_id,
        "department": solicitation.buyer_department,
        "title": data.title or solicitation.title,
        "status": C.draft.value,
        "original_value_amount": award.amount,
        "value_amount": award.amount,
        "currency": award.currency,
        "period_start": data.period.start,
        "period_end": data.period.end,
        "signed_date": None,
    }
    try:
        # A savepoint: a concurrent second contract for one award is a 409, not a 500.
        async with session.begin_nested():
            contract_id = await CONTRACTS.insert(session, values, actor=actor, changes=_snapshot(values))
    except IntegrityError as exc:
        if repository.ONE_CONTRACT_PER_AWARD not in str(exc.orig):
            raise
        raise Conflict("This award already has a contract.") from None
    return to_contract(await _row(session, contract_id))


async def get(session: AsyncSession, contract_id: uuid.UUID) -> Contract:
    return to_contract(await _row(session, contract_id))


async def list_page(
    session: AsyncSession,
    pager: Pager,
    *,
    vendor_ids: list[uuid.UUID] | None,
    departments: Sequence[str] | None,
    statuses: list[ContractStatus] | None,
    solicitation_ids: list[uuid.UUID] | None,
    award_ids: list[uuid.UUID] | None,
    updated_since: datetime | None,
) -> tuple[list[Contract], str | None]:
    statement = repository.select_contracts()
    for column, values in (
        ("vendor_id", vendor_ids),
        ("department", departments),
        ("status", [s.value for s in statuses] if statuses else None),
        ("solicitation_id", solicitation_ids),
        ("award_id", award_ids),
    ):
        if values:
            statement = repository.filter_contracts(statement, column, list(values))
    if updated_since is not None:
        statement = repository.contracts_updated_since(statement, updated_since)
    filters = {
        "vendor_id": vendor_ids,
        "department": departments,
        "status": statuses,
        "solicitation_id": solicitation_ids,
        "award_id": award_ids,
        "updated_since": updated_since,
    }
    rows, token = await repository.contracts_page(session, statement, pager, filters)
    return [to_contract(row) for row in rows], token


async def update(
    session: AsyncSession,
    contract_id: uuid.UUID,
    data: ContractUpdate,
    expected_version: int | None,
    actor: Principal,
    now: datetime,
) -> Contract:
    row = await _row(session, contract_id, for_update=True)
    check_version(expected_version, row.version)
    if row.status != C.draft.value:
        raise Conflict(
            f"Contract {row.number} is `{row.status}`: only drafts change in place; an active "
            "contract changes through amendments.",
            current_status=row.status,
        )
    fields_set = data.model_fields_set
    if not fields_set:
        return to_contract(row)
    values: dict[str, Any] = {}
    if "title" in fields_set:
        values["title"] = data.title
    if data.period is not MISSING:
        values["period_start"], values["period_end"] = data.period.start, data.period.end
    if "signed_date" in fields_set:
        values["signed_date"] = data.signed_date
    before = _columns(row)
    recorded = diff(_snapshot(before), _snapshot({**before, **values}))
    await CONTRACTS.change(session, contract_id, row.version, values, actor=actor, changes=recorded)
    return to_contract(await _row(session, contract_id))


async def transition(
    session: AsyncSession, contract_id: uuid.UUID, move: ContractTransition, actor: Principal, now: datetime
) -> Contract:
    row = await _row(session, contract_id, for_update=True)
    values: dict[str, Any] = {}
    changes: dict[str, Any] = {}
    if move.to is C.active and row.signed_date is None:
        # Signing is what makes a contract active: the day is recorded if the draft did not name it.
        values["signed_date"] = city_today(now)
        changes["signed_date"] = [None, values["signed_date"].isoformat()]
    await CONTRACTS.move(
        session,
        contract_id,
        row.version,
        row.status,
        move.to,
        actor=actor,
        reason=move.reason,
        values=values,
        changes=changes,
    )
    return to_contract(await _row(session, contract_id))


# Amendments


async def amend(
    session: AsyncSession,
    contract_id: uuid.UUID,
    data: AmendmentCreate,
    expected_version: int | None,
    actor: Principal,
    now: datetime,
) -> Amendment:
    row = await _row(session, contract_id, for_update=True)
    check_version(expected_version, row.version)
    if row.status != C.active.value:
        raise Conflict(
            f"Contract {row.number} is `{row.status}`: amendments apply to active contracts (a draft "
            "is changed in place).",
            current_status=row.status,
        )
    change = await _checked_change(session, row, data)
    if data.new_period_end is not None and data.new_period_end < row.period_start:
        raise ValidationFailed(
            "The new end date cannot be before the contract's start.",
            errors=[_error(["new_period_end"], f"on or after {row.period_start}", "before_start")],
        )
    # An amendment is written once, never changed: a plain row, numbered under the contract's lock.
    amendment = {
        "id": new_id(),
        "contract_id": contract_id,
        "number": await repository.next_amendment_number(session, contract_id),
        "description": data.description,
        "value_change_amount": change,
        "new_period_end": data.new_period_end,
        "effective_date": data.effective_date or city_today(now),
        "made_by": actor.sub,
        "made_at": now,
    }
    await repository.insert_amendment(session, amendment)
    values: dict[str, Any] = {"value_amount": row.value_amount + change}
    if data.new_period_end is not None:
        values["period_end"] = data.new_period_end
    await CONTRACTS.change(
        session,
        contract_id,
        row.version,
        values,
        actor=actor,
        changes={
            "amendment": amendment["number"],
            "value": [str(row.value_amount), str(values["value_amount"])],
            "period_end": [
                row.period_end.isoformat(),
                values.get("period_end", row.period_end).isoformat(),
            ],
        },
        action="amend",
        reason=data.description[:2000],
    )
    return to_amendment(amendment, row.currency)


async def _checked_change(session: AsyncSession, row: ContractRecord, data: AmendmentCreate) -> Decimal:
    """The value change, refused when it would take the value below zero or below the subs' commitments."""
    if data.value_change is None:
        return Decimal("0.00")
    if data.value_change.currency != row.currency:
        raise ValidationFailed(
            "The change must be in the contract's currency.",
            errors=[_error(["value_change", "currency"], f"must be {row.currency}", "currency_mismatch")],
        )
    new_value = row.value_amount + data.value_change.amount
    if new_value < 0:
        raise ValidationFailed(
            f"The contract's value is {row.value_amount}: this change would take it below zero.",
            errors=[_error(["value_change", "amount"], f"at least -{row.value_amount}", "below_zero")],
        )
    committed = await repository.committed_total(session, row.id)
    if new_value < committed:
        raise Conflict(
            f"{committed} is committed to subcontractors on contract {row.number}: cancel commitments "
            "before lowering the value below that.",
            committed_to_subcontractors=str(committed),
        )
    return data.value_change.amount


async def get_amendment(session: AsyncSession, contract_id: uuid.UUID, amendment_id: uuid.UUID) -> Amendment:
    contract = await _row(session, contract_id)
    row = await repository.get_amendment(session, contract_id, amendment_id)
    if row is None:
        raise NotFound(f"Contract {contract.number} has no amendment {amendment_id}.")
    return to_amendment(row, contract.currency)


async def amendments_page(
    session: AsyncSession, contract_id: uuid.UUID, pager: Pager
) -> tuple[list[Amendment], str | None]:
    contract = await _row(session, contract_id)
    rows, token = await repository.amendments_page(session, contract_id, pager)
    return [to_amendment(row, contract.currency) for row in rows], token


# Subcontract commitments


async def commit_subcontract(
    session: AsyncSession, contract_id: uuid.UUID, data: SubcontractCreate, actor: Principal, now: datetime
) -> Subcontract:
    contract = await _row(session, contract_id, for_update=True)
    if contract.status not in COMMITTABLE:
        raise Conflict(
            f"Contract {contract.number} is `{contract.status}`: commitments are made on draft or "
            "active contracts.",
            current_status=contract.status,
        )
    committed_date = data.committed_date or city_today(now)
    await _check_sub(session, contract, data, committed_date)
    committed = await repository.committed_total(session, contract_id)
    if committed + data.amount.amount > contract.value_amount:
        raise ValidationFailed(
            f"Contract {contract.number} is worth {contract.value_amount} and {committed} is already "
            "committed to subcontractors: this commitment would exceed the contract.",
            errors=[_error(["amount", "amount"], "exceeds what is left of the contract", "exceeds_contract")],
        )
    certification_type = data.certification_type.value if data.certification_type else None
    values = {
        "contract_id": contract_id,
        "sub_vendor_id": data.sub_vendor_id,
        "certification_type": certification_type,
        "amount": data.amount.amount,
        "committed_date": committed_date,
        "status": SubcontractStatus.committed.value,
    }
    subcontract_id = await SUBCONTRACTS.insert(
        session,
        values,
        actor=actor,
        changes={
            "contract_id": str(contract_id),
            "sub_vendor_id": str(data.sub_vendor_id),
            "certification_type": certification_type,
            "amount": str(data.amount.amount),
            "committed_date": committed_date.isoformat(),
        },
        action="commit",
    )
    return await get_subcontract(session, contract_id, subcontract_id)


async def _check_sub(
    session: AsyncSession, contract: ContractRecord, data: SubcontractCreate, committed_date: date
) -> None:
    if data.amount.currency != contract.currency:
        raise ValidationFailed(
            "The commitment must be in the contract's currency.",
            errors=[_error(["amount", "currency"], f"must be {contract.currency}", "currency_mismatch")],
        )
    if data.sub_vendor_id == contract.vendor_id:
        raise ValidationFailed(
            "The prime does not subcontract to itself.",
            errors=[_error(["sub_vendor_id"], "is the prime vendor", "is_prime")],
        )
    status = await registry.vendor_status(session, data.sub_vendor_id, share_lock=True)
    if status is None:
        raise ValidationFailed(
            f"No vendor has id {data.sub_vendor_id}.",
            errors=[_error(["sub_vendor_id"], "no such vendor", "unknown_vendor")],
        )
    if status != "active":
        raise Conflict(
            f"Vendor {data.sub_vendor_id} is `{status}` in the registry: subcontracts go to active vendors.",
            vendor_id=str(data.sub_vendor_id),
            vendor_status=status,
        )
    certification = data.certification_type
    if certification is not None and not await repository.holds_certification(
        session, data.sub_vendor_id, committed_date, certification
    ):
        raise ValidationFailed(
            f"Vendor {data.sub_vendor_id} holds no verified `{certification.value}` certification valid on "
            f"{committed_date}: the commitment cannot count under it.",
            errors=[_error(["certification_type"], f"not held valid on {committed_date}", "not_certified")],
        )


async def transition_subcontract(
    session: AsyncSession,
    contract_id: uuid.UUID,
    subcontract_id: uuid.UUID,
    move: SubcontractTransition,
    actor: Principal,
    now: datetime,
) -> Subcontract:
    contract = await _row(session, contract_id, for_update=True)
    row = await repository.get_subcontract(session, contract_id, subcontract_id, for_update=True)
    if row is None:
        raise NotFound(f"Contract {contract.number} has no subcontract {subcontract_id}.")
    await SUBCONTRACTS.move(
        session, subcontract_id, row.version, row.status, move.to, actor=actor, reason=move.reason
    )
    return await get_subcontract(session, contract_id, subcontract_id)


async def get_subcontract(
    session: AsyncSession, contract_id: uuid.UUID, subcontract_id: uuid.UUID
) -> Subcontract:
    contract = await _row(session, contract_id)
    row = await repository.get_subcontract(session, contract_id, subcontract_id)
    if row is None:
        raise NotFound(f"Contract {contract.number} has no subcontract {subcontract_id}.")
    return to_subcontract(row, contract.currency)


async def subcontracts_page(
    session: AsyncSession, contract_id: uuid.UUID, pager: Pager
) -> tuple[list[Subcontract], str | None]:
    contract = await _row(session, contract_id)
    rows, token = await repository.subcontracts_page(session, contract_id, pager)
    return [to_subcontract(row, contract.currency) for row in rows], token


async def _row(session: AsyncSession, contract_id: uuid.UUID, *, for_update: bool = False) -> ContractRecord:
    row = await repository.get_contract(session, contract_id, for_update=for_update)
    if row is None:
        raise NotFound(f"No contract has id {contract_id}.")
    return row


def _columns(row: ContractRecord) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _CONTRACT_COLUMNS}


def _error(location: list[str | int], message: str, code: str) -> FieldError:
    return FieldError(location=["body", *location], message=message, code=code)
