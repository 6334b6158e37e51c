"""Rules of solicitations. Writes go through the kernel's `TrackedTable` (version, timestamps, audit,
lifecycle); the unit of work commits them. What a move sets off in other domains (the sealing key, the
opening, the award ended with a cancellation) is in services/vendors/flows/tendering.py.

Every rule reads the status a client would see at the request's instant (`now`), computed in SQL from
the stored status and the tender period, so a rule and a list filter never disagree.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import MISSING
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.audit import diff
from services.common.auth import Principal
from services.common.concurrency import check_version
from services.common.money import Money
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, InvalidTransition, NotFound, ValidationFailed
from services.common.records import TrackedTable
from services.common.transitions import StateMachine
from services.vendors.access import EVALUATE, READ, WRITE, can, require_scope
from services.vendors.contracts import (
    REFERENCE_PREFIXES,
    EvaluationCriterion,
    EvaluationMethod,
    FundingSource,
    MainCategory,
    Period,
    Solicitation,
    SolicitationCreate,
    SolicitationItem,
    SolicitationStatus,
    SolicitationTransition,
    SolicitationType,
    SolicitationUpdate,
    check_evaluation_terms,
    check_periods,
)
from services.vendors.contracts.patterns import CROSS_FIELD
from services.vendors.db import audit
from services.vendors.registry.service import parse_commodity_filter
from services.vendors.settings import VendorsSettings
from services.vendors.solicitations import repository
from services.vendors.solicitations.repository import SolicitationRecord

S = SolicitationStatus
# Explicit moves only: `open` and `closed` follow the clock. `intent_to_award` and `awarded` follow the
# award (awards/service.py): the notice of intent, and the award taking effect. From `intent_to_award`,
# `unsuccessful` also follows a rejected award that no qualified bid is left to take.
LIFECYCLE = StateMachine(
    "solicitation",
    {
        S.draft: {S.published, S.cancelled},
        S.published: {S.cancelled},
        S.open: {S.cancelled},
        S.closed: {S.opened, S.cancelled},
        S.opened: {S.evaluation, S.unsuccessful, S.cancelled},
        S.evaluation: {S.intent_to_award, S.unsuccessful, S.cancelled},
        S.intent_to_award: {S.awarded, S.unsuccessful, S.cancelled},
        S.awarded: set(),
        S.cancelled: set(),
        S.unsuccessful: set(),
    },
)
CLOCK_STATUSES = {S.open, S.closed}
AWARD_MOVES = {S.intent_to_award, S.awarded}
SOLICITATIONS = TrackedTable(
    repository.solicitations,
    "solicitation",
    audit,
    LIFECYCLE,
    reason_required=frozenset({S.cancelled, S.unsuccessful}),
)
# The scope each move needs: buyers publish and cancel; evaluators open and judge.
MOVE_SCOPES = {
    S.published: WRITE,
    S.cancelled: WRITE,
    S.opened: EVALUATE,
    S.evaluation: EVALUATE,
    S.unsuccessful: EVALUATE,
}
_AUDIT_EXCLUDED = {"id", "version", "created_at", "updated_at", "status", "bid_count"}


def to_contract(row: SolicitationRecord) -> Solicitation:
    amount, currency = row.estimated_value_amount, row.estimated_value_currency
    enquiry_start, enquiry_end = row.enquiry_period_start, row.enquiry_period_end
    return Solicitation(
        id=row.id,
        reference=row.reference,
        ocid=row.ocid,
        title=row.title,
        description=row.description,
        type=SolicitationType(row.type),
        main_category=MainCategory(row.main_category),
        buyer_department=row.buyer_department,
        estimated_value=Money(amount=amount, currency=currency) if amount is not None else None,
        funding_source=FundingSource(row.funding_source),
        items=[SolicitationItem.model_validate(item) for item in row.items],
        enquiry_period=Period(start=enquiry_start, end=enquiry_end) if enquiry_start is not None else None,
        tender_period=Period(start=row.tender_period_start, end=row.tender_period_end),
        status=S(row.status),
        disclose_bid_count=row.disclose_bid_count,
        bid_count=row.bid_count,
        evaluation_method=EvaluationMethod(row.evaluation_method),
        evaluation_criteria=[EvaluationCriterion.model_validate(c) for c in row.evaluation_criteria],
        dbe_goal_percent=row.dbe_goal_percent,
        published_at=row.published_at,
        opened_at=row.opened_at,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _columns(data: SolicitationCreate | SolicitationUpdate, fields: set[str]) -> dict[str, Any]:
    """The table columns of the given fields of a create or update body."""
    values: dict[str, Any] = {}
    for field in fields:
        value = getattr(data, field)
        if field == "estimated_value":
            values["estimated_value_amount"] = value.amount if value else None
            values["estimated_value_currency"] = value.currency if value else None
        elif field in ("enquiry_period", "tender_period"):
            values[f"{field}_start"] = value.start if value else None
            values[f"{field}_end"] = value.end if value else None
        elif field == "items":
            values["items"] = [item.model_dump(mode="json") for item in value]
            values["classification_codes"] = _classification_codes(value)
        elif field == "evaluation_criteria":
            values["evaluation_criteria"] = [criterion.model_dump(mode="json") for criterion in value]
        else:
            values[field] = str(value) if isinstance(value, StrEnum) else value
    return values


def _classification_codes(items: list[SolicitationItem]) -> list[str]:
    codes = {
        f"{code.scheme.value}:{code.code}"
        for item in items
        for code in [item.classification, *item.additional_classifications]
    }
    return sorted(codes)


def _reference(solicitation_type: SolicitationType, year: int, number: int) -> str:
    return f"{REFERENCE_PREFIXES[solicitation_type]}-{year}-{number:04d}"


def _retyped_reference(reference: str, solicitation_type: SolicitationType) -> str:
    """IFB-2026-0007 → RFP-2026-0007: a draft keeps its number when its type changes."""
    return f"{REFERENCE_PREFIXES[solicitation_type]}-{reference.split('-', 1)[1]}"


async def create(
    session: AsyncSession,
    data: SolicitationCreate,
    actor: Principal,
    now: datetime,
    settings: VendorsSettings,
) -> Solicitation:
    reference = _reference(data.type, now.year, await repository.next_number(session))
    ocid = f"{settings.ocid_prefix}-{reference}"
    values = {
        **_columns(data, set(SolicitationCreate.model_fields)),
        "reference": reference,
        "ocid": ocid,
        "status": S.draft,
    }
    recorded = {**data.model_dump(mode="json"), "reference": reference, "ocid": ocid}
    solicitation_id = await SOLICITATIONS.insert(session, values, actor=actor, changes=recorded)
    return await _load(session, solicitation_id, now)


async def get(
    session: AsyncSession, solicitation_id: uuid.UUID, viewer: Principal | None, now: datetime
) -> Solicitation:
    return await load_visible(session, solicitation_id, viewer, now)


async def load_visible(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    viewer: Principal | None,
    now: datetime,
    *,
    lock: str | None = None,
) -> Solicitation:
    """A published solicitation for anyone; a draft only for staff (404 for others, as if it did not
    exist: drafts are not public records yet)."""
    solicitation = await _load(session, solicitation_id, now, lock=lock)
    if solicitation.published_at is None and not (can(viewer, READ) or can(viewer, WRITE)):
        raise NotFound(f"No solicitation has id {solicitation_id}.")
    return solicitation


async def update(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    data: SolicitationUpdate,
    expected_version: int | None,
    actor: Principal,
    now: datetime,
    settings: VendorsSettings,
) -> Solicitation:
    before = await _load(session, solicitation_id, now, lock="update")
    check_version(expected_version, before.version)
    if before.status is not S.draft:
        raise Conflict(
            f"Solicitation {before.reference} is `{before.status.value}`: only drafts are changed in "
            "place; a published solicitation changes through addenda.",
            current_status=before.status.value,
        )
    fields = data.model_fields_set
    if not fields:
        return before
    _check_merged_periods(before, data)
    _check_merged_evaluation_terms(before, data)
    values = _columns(data, fields)
    if data.type is not MISSING and data.type is not before.type:
        values["reference"] = _retyped_reference(before.reference, data.type)
        values["ocid"] = f"{settings.ocid_prefix}-{values['reference']}"
    recorded = diff(_snapshot(before), {**_snapshot(before), **data.model_dump(mode="json", include=fields)})
    if "reference" in values:
        recorded["reference"] = [before.reference, values["reference"]]
        recorded["ocid"] = [before.ocid, values["ocid"]]
    await SOLICITATIONS.change(
        session, solicitation_id, before.version, values, actor=actor, changes=recorded
    )
    return await _load(session, solicitation_id, now)


def _check_merged_periods(before: Solicitation, data: SolicitationUpdate) -> None:
    enquiry = before.enquiry_period if data.enquiry_period is MISSING else data.enquiry_period
    tender = before.tender_period if data.tender_period is MISSING else data.tender_period
    try:
        check_periods(enquiry, tender)
    except ValueError as exc:
        raise ValidationFailed(
            f"With this change, {exc}.",
            errors=[FieldError(location=["body"], message=str(exc), code=CROSS_FIELD)],
        ) from None


def _check_merged_evaluation_terms(before: Solicitation, data: SolicitationUpdate) -> None:
    fields = data.model_fields_set

    def merged(name: str) -> Any:
        return getattr(data, name) if name in fields else getattr(before, name)

    try:
        check_evaluation_terms(
            merged("evaluation_method"),
            merged("evaluation_criteria"),
            merged("funding_source"),
            merged("dbe_goal_percent"),
        )
    except ValueError as exc:
        raise ValidationFailed(
            f"With this change, {exc}.",
            errors=[FieldError(location=["body"], message=str(exc), code=CROSS_FIELD)],
        ) from None


def check_move(
    solicitation: Solicitation, move: SolicitationTransition, actor: Principal, now: datetime
) -> None:
    """What a client may ask of a solicitation: not the clock's statuses, not the award's, and only along
    the lifecycle (409 lists the moves a client can make); a publication must be complete."""
    if move.to in CLOCK_STATUSES:
        raise InvalidTransition(
            f"`{move.to.value}` is not a move: a published solicitation is open from the start of its "
            "tender period and closed from its end, by the server clock.",
            current_status=solicitation.status.value,
            allowed_transitions=_client_moves(solicitation.status),
        )
    if move.to in AWARD_MOVES:
        raise InvalidTransition(
            f"`{move.to.value}` follows the award: the notice of intent (POST /v1/procurement/"
            "solicitations/{id}/awards) moves an evaluated solicitation to `intent_to_award`, and the "
            "award taking effect moves it to `awarded`.",
            current_status=solicitation.status.value,
            allowed_transitions=_client_moves(solicitation.status),
        )
    require_scope(actor, MOVE_SCOPES.get(move.to, EVALUATE), f"Moving a solicitation to `{move.to.value}`")
    if move.to not in LIFECYCLE.allowed(solicitation.status):
        raise InvalidTransition(
            f"A solicitation cannot go from `{solicitation.status.value}` to `{move.to.value}`.",
            current_status=solicitation.status.value,
            allowed_transitions=_client_moves(solicitation.status),
        )
    if move.to in SOLICITATIONS.reason_required and not move.reason:
        raise ValidationFailed(
            f"A `reason` is required to move a solicitation to `{move.to.value}`.",
            errors=[
                FieldError(
                    location=["body", "reason"],
                    message=f"required to move to `{move.to.value}`",
                    code=CROSS_FIELD,
                )
            ],
        )
    if move.to is S.published:
        _check_publishable(solicitation, now)


async def move(
    session: AsyncSession,
    solicitation: Solicitation,
    to: SolicitationStatus,
    actor: Principal,
    *,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    """Moves the solicitation, as the caller read it under `lock="update"`, along its lifecycle, in the
    caller's transaction: a client's move (after `check_move`) or one that follows the award."""
    await SOLICITATIONS.move(
        session,
        solicitation.id,
        solicitation.version,
        solicitation.status,
        to,
        actor=actor,
        reason=reason,
        values=values,
        changes=changes,
    )


def _client_moves(status: SolicitationStatus) -> list[str]:
    return [move for move in LIFECYCLE.allowed(status) if move not in AWARD_MOVES]


def _check_publishable(solicitation: Solicitation, now: datetime) -> None:
    if solicitation.evaluation_method is EvaluationMethod.best_value and not solicitation.evaluation_criteria:
        raise Conflict(
            f"Solicitation {solicitation.reference} is evaluated on best value but has no "
            "`evaluation_criteria`: set them (weights summing to 100, one price criterion) before "
            "publishing, so that bidders know how they will be judged.",
            current_status=solicitation.status.value,
        )
    if not solicitation.items:
        raise Conflict(
            f"Solicitation {solicitation.reference} has no items: say what is bought before publishing.",
            current_status=solicitation.status.value,
        )
    if solicitation.tender_period.end <= now:
        raise Conflict(
            f"The tender period of {solicitation.reference} ended at {solicitation.tender_period.end.isoformat()}; "
            "move it into the future before publishing.",
            current_status=solicitation.status.value,
            tender_period=solicitation.tender_period.model_dump(mode="json"),
        )


async def list_page(
    session: AsyncSession,
    pager: Pager,
    viewer: Principal | None,
    now: datetime,
    *,
    statuses: list[SolicitationStatus] | None,
    types: list[SolicitationType] | None,
    categories: list[MainCategory] | None,
    departments: Sequence[str] | None,
    funding_sources: list[FundingSource] | None,
    commodity: str | None,
    updated_since: datetime | None,
) -> tuple[list[Solicitation], str | None]:
    statement = repository.select_solicitations(now)
    if not can(viewer, READ):
        statement = repository.only_published(statement)
    if statuses:
        statement = repository.filter_by_status(statement, [s.value for s in statuses], now)
    for column, values in (
        ("type", types),
        ("main_category", categories),
        ("buyer_department", departments),
        ("funding_source", funding_sources),
    ):
        if values:
            statement = repository.filter_by_column(statement, column, [str(v) for v in values])
    if commodity is not None:
        statement = repository.filter_by_commodity(statement, *parse_commodity_filter(commodity))
    if updated_since is not None:
        statement = repository.filter_updated_since(statement, updated_since)
    filters = {
        "public": not can(viewer, READ),
        "status": statuses,
        "type": types,
        "main_category": categories,
        "buyer_department": departments,
        "funding_source": funding_sources,
        "commodity": commodity,
        "updated_since": updated_since,
    }
    rows, token = await repository.page(session, statement, pager, filters)
    return [to_contract(row) for row in rows], token


async def _load(
    session: AsyncSession, solicitation_id: uuid.UUID, now: datetime, *, lock: str | None = None
) -> Solicitation:
    row = await repository.get(session, solicitation_id, now, lock=lock)
    if row is None:
        raise NotFound(f"No solicitation has id {solicitation_id}.")
    return to_contract(row)


def _snapshot(solicitation: Solicitation) -> dict[str, Any]:
    return solicitation.model_dump(mode="json", exclude=_AUDIT_EXCLUDED)
