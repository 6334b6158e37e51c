"""Rules of the evaluation, audited here; the unit of work commits them.

Evaluators (`procurement:evaluate`) record determinations and scores while the solicitation is in
`evaluation`; the ranking is computed from them on every read, never stored, so it cannot go stale.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import ClassVar

from sqlalchemy.ext.asyncio import AsyncSession

from services.common.auth import Principal
from services.common.db import new_id
from services.common.pagination import Pager
from services.common.problems import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from services.vendors.access import EVALUATE, READ, can
from services.vendors.awards import repository as award_repository
from services.vendors.bids.repository import BidRecord
from services.vendors.contracts import (
    CriterionKind,
    Determination,
    DeterminationCreate,
    DeterminationKind,
    DeterminationOutcome,
    EvaluationMethod,
    Ranking,
    Score,
    ScoreCreate,
    Solicitation,
    SolicitationStatus,
)
from services.vendors.db import audit
from services.vendors.evaluation import ranking, repository
from services.vendors.evaluation.preferences import credited_types
from services.vendors.evaluation.repository import DeterminationRecord, ScoreRecord
from services.vendors.registry import repository as registry
from services.vendors.settings import VendorsSettings
from services.vendors.solicitations import service as solicitations
from services.vendors.solicitations.bidders import VendorNotEligible

S = SolicitationStatus


class NotUnderEvaluation(Conflict):
    slug: ClassVar[str] = "not-under-evaluation"
    title: ClassVar[str] = "The solicitation is not under evaluation"


def to_score(row: ScoreRecord) -> Score:
    return Score.model_validate(row, from_attributes=True)


async def determine(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    data: DeterminationCreate,
    actor: Principal,
    now: datetime,
) -> Determination:
    solicitation = await _under_evaluation(session, solicitation_id, actor, now)
    bid = await _evaluable_bid(session, solicitation, bid_id)
    vendor_status = None
    if data.outcome.kind is DeterminationKind.responsiveness and bid.status == "nonresponsive":
        raise Conflict(
            f"Bid {bid_id} was found nonresponsive at the opening: it does not acknowledge addenda issued "
            "before it was submitted, which no determination can cure.",
            missing_addenda=[str(addendum) for addendum in bid.missing_addenda],
        )
    if data.outcome.kind is DeterminationKind.responsibility:
        await _check_responsive(session, bid)
        # Read by the server under a share lock: the vendor cannot be suspended while this commits.
        vendor_status = await registry.vendor_status(session, bid.vendor_id, share_lock=True)
        if data.outcome is DeterminationOutcome.responsible and vendor_status != "active":
            raise VendorNotEligible(
                f"Vendor {bid.vendor_id} is `{vendor_status}` in the registry: a suspended, debarred "
                "or inactive vendor cannot be determined responsible.",
                vendor_id=str(bid.vendor_id),
                vendor_status=vendor_status,
            )
    row = DeterminationRecord(
        id=new_id(),
        solicitation_id=solicitation.id,
        bid_id=bid_id,
        kind=data.outcome.kind.value,
        outcome=data.outcome.value,
        reason=data.reason,
        vendor_status=vendor_status,
        determined_by=actor.sub,
        determined_at=now,
    )
    # Determinations are append-only rows without versions: a plain insert, audited on the bid.
    await repository.insert_determination(session, asdict(row))
    await audit.record(
        session,
        actor=actor,
        action=f"determine:{data.outcome.kind.value}",
        entity="bid",
        entity_id=bid_id,
        changes={
            "outcome": data.outcome.value,
            "vendor_status": vendor_status,
            "determination_id": str(row.id),
        },
        reason=data.reason,
    )
    return ranking.to_determination(row)


async def score(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    data: ScoreCreate,
    actor: Principal,
    now: datetime,
) -> Score:
    solicitation = await _under_evaluation(session, solicitation_id, actor, now)
    if solicitation.evaluation_method is not EvaluationMethod.best_value:
        raise Conflict(
            f"{solicitation.reference} is evaluated on lowest price: there is nothing to score.",
            evaluation_method=solicitation.evaluation_method.value,
        )
    criteria = {criterion.key: criterion for criterion in solicitation.evaluation_criteria}
    criterion = criteria.get(data.criterion)
    if criterion is None or criterion.kind is CriterionKind.price:
        keys = sorted(key for key, c in criteria.items() if c.kind is CriterionKind.non_price)
        raise ValidationFailed(
            "Scores are entered for the solicitation's non-price criteria; price points are computed.",
            errors=[_field_error("criterion", f"not one of: {', '.join(keys)}", "unknown_criterion")],
        )
    if data.points > criterion.weight:
        raise ValidationFailed(
            f"`{criterion.key}` gives at most {criterion.weight} points.",
            errors=[_field_error("points", f"at most {criterion.weight}", "too_many_points")],
        )
    bid = await _evaluable_bid(session, solicitation, bid_id)
    if bid.status == "nonresponsive":
        raise Conflict(f"Bid {bid_id} is nonresponsive (it misses addenda): it is not scored.")
    row = ScoreRecord(
        id=new_id(),
        solicitation_id=solicitation.id,
        bid_id=bid_id,
        criterion=criterion.key,
        points=data.points,
        comment=data.comment,
        scored_by=actor.sub,
        scored_at=now,
    )
    # Scores are append-only rows without versions, like determinations.
    await repository.insert_score(session, asdict(row))
    await audit.record(
        session,
        actor=actor,
        action="score",
        entity="bid",
        entity_id=bid_id,
        changes={"criterion": criterion.key, "points": str(data.points), "score_id": str(row.id)},
    )
    return to_score(row)


async def get_determination(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    determination_id: uuid.UUID,
    viewer: Principal,
    now: datetime,
) -> Determination:
    await _readable_bid(session, solicitation_id, bid_id, viewer, now)
    row = await repository.get_determination(session, bid_id, determination_id)
    if row is None:
        raise NotFound(f"Bid {bid_id} has no determination {determination_id}.")
    return ranking.to_determination(row)


async def determinations_page(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    viewer: Principal,
    now: datetime,
    pager: Pager,
) -> tuple[list[Determination], str | None]:
    await _readable_bid(session, solicitation_id, bid_id, viewer, now)
    rows, token = await repository.determinations_page(session, bid_id, pager)
    return [ranking.to_determination(row) for row in rows], token


async def get_score(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    score_id: uuid.UUID,
    viewer: Principal,
    now: datetime,
) -> Score:
    await _readable_bid(session, solicitation_id, bid_id, viewer, now)
    row = await repository.get_score(session, bid_id, score_id)
    if row is None:
        raise NotFound(f"Bid {bid_id} has no score {score_id}.")
    return to_score(row)


async def scores_page(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    bid_id: uuid.UUID,
    viewer: Principal,
    now: datetime,
    pager: Pager,
) -> tuple[list[Score], str | None]:
    await _readable_bid(session, solicitation_id, bid_id, viewer, now)
    rows, token = await repository.scores_page(session, bid_id, pager)
    return [to_score(row) for row in rows], token


async def get_ranking(
    session: AsyncSession,
    solicitation_id: uuid.UUID,
    viewer: Principal,
    now: datetime,
    settings: VendorsSettings,
) -> Ranking:
    _check_staff(viewer)
    solicitation = await solicitations.load_visible(session, solicitation_id, viewer, now)
    _check_opened(solicitation)
    return await compute_ranking(session, solicitation, settings)


async def compute_ranking(
    session: AsyncSession, solicitation: Solicitation, settings: VendorsSettings
) -> Ranking:
    """The ranking as of the caller's transaction (the award flows rank inside their own)."""
    bids = await repository.opened_bids(session, solicitation.id)
    vendor_ids = {bid.vendor_id for bid in bids}
    types = credited_types(solicitation.funding_source, solicitation.dbe_goal_percent)
    record = ranking.EvaluationRecord(
        bids=bids,
        determinations=await repository.latest_determinations(session, solicitation.id),
        scores=await repository.latest_scores(session, solicitation.id),
        certifications=await repository.certifications_held(
            session, vendor_ids, ranking.due_date(solicitation), types
        ),
        rejected_bid_ids=await award_repository.rejected_bid_ids(session, solicitation.id),
    )
    return ranking.rank(solicitation, record, settings)


async def _under_evaluation(
    session: AsyncSession, solicitation_id: uuid.UUID, actor: Principal, now: datetime
) -> Solicitation:
    """Share-locked, so that no notice of intent is issued while a determination or score commits."""
    solicitation = await solicitations.load_visible(session, solicitation_id, actor, now, lock="share")
    if solicitation.status is not S.evaluation:
        raise NotUnderEvaluation(
            f"{solicitation.reference} is `{solicitation.status.value}`: determinations and scores are "
            "recorded while it is in `evaluation` (after the opening, before the notice of intent).",
            current_status=solicitation.status.value,
        )
    return solicitation


async def _evaluable_bid(session: AsyncSession, solicitation: Solicitation, bid_id: uuid.UUID) -> BidRecord:
    bid = await repository.bid(session, solicitation.id, bid_id)
    if bid is None:
        raise NotFound(f"Solicitation {solicitation.reference} has no bid {bid_id}.")
    if bid.status not in repository.OPENED:
        raise Conflict(
            f"Bid {bid_id} is `{bid.status}`: only opened bids are evaluated.",
            current_status=bid.status,
        )
    return bid


async def _check_responsive(session: AsyncSession, bid: BidRecord) -> None:
    """Responsibility is judged for responsive bids only, so responsiveness comes first."""
    if bid.status == "nonresponsive":
        raise Conflict(
            f"Bid {bid.id} was found nonresponsive at the opening (it misses addenda): a nonresponsive "
            "bid is not judged on responsibility."
        )
    latest = await repository.latest_determination(session, bid.id, DeterminationKind.responsiveness.value)
    if latest is None or latest.outcome != DeterminationOutcome.responsive.value:
        raise Conflict(
            f"Bid {bid.id} is not determined responsive: determine its responsiveness first; "
            "responsibility is judged for responsive bids only.",
            responsiveness=None if latest is None else latest.outcome,
        )


async def _readable_bid(
    session: AsyncSession, solicitation_id: uuid.UUID, bid_id: uuid.UUID, viewer: Principal, now: datetime
) -> BidRecord:
    _check_staff(viewer)
    solicitation = await solicitations.load_visible(session, solicitation_id, viewer, now)
    bid = await repository.bid(session, solicitation.id, bid_id)
    if bid is None:
        raise NotFound(f"Solicitation {solicitation.reference} has no bid {bid_id}.")
    return bid


def _check_staff(viewer: Principal) -> None:
    if not (can(viewer, READ) or can(viewer, EVALUATE)):
        raise Forbidden(
            "The evaluation is read with procurement:read or procurement:evaluate.",
            required_scopes=[READ, EVALUATE],
        )


def _check_opened(solicitation: Solicitation) -> None:
    if solicitation.opened_at is None:
        raise Conflict(
            f"The bids on {solicitation.reference} have not been opened: there is nothing to rank yet.",
            current_status=solicitation.status.value,
        )


def _field_error(field: str, message: str, code: str) -> FieldError:
    return FieldError(location=["body", field], message=message, code=code)
