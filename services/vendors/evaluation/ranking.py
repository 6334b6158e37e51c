"""The ranking of a solicitation's opened bids, computed from what the evaluation recorded.

A bid is ranked when it is responsive and responsible (the latest determinations), its vendor is
`active` in the registry now, and, for best value, every non-price criterion is scored.
- Lowest price: evaluated price ascending (price less preferences), then earliest submission.
- Best value: total points descending, where price points = lowest evaluated price among the bids in
  contention / this bid's evaluated price × the price criterion's weight; ties go to the lower
  evaluated price, then the earliest submission.
A bid whose award was rejected keeps its rank but can no longer be awarded (`qualified` is false).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.common.clock import city_today
from services.common.money import Money
from services.vendors.contracts import (
    CertificationType,
    CriterionKind,
    CriterionPoints,
    Determination,
    DeterminationKind,
    DeterminationOutcome,
    EvaluationMethod,
    RankedBid,
    Ranking,
    Solicitation,
)
from services.vendors.evaluation.preferences import PricePreference, price_preference
from services.vendors.evaluation.repository import (
    DeterminationRecord,
    HeldCertification,
    OpenedBidRecord,
    ScoreRecord,
)
from services.vendors.settings import VendorsSettings

POINTS = Decimal("0.01")
ACTIVE = "active"


@dataclass(frozen=True)
class EvaluationRecord:
    """Everything the ranking reads, fetched by the service in one query per kind."""

    bids: list[OpenedBidRecord]
    determinations: list[DeterminationRecord]
    scores: list[ScoreRecord]
    certifications: list[HeldCertification]
    rejected_bid_ids: set[uuid.UUID]


def due_date(solicitation: Solicitation) -> date:
    """The day certifications are judged on: the close, as a Los Angeles calendar day."""
    return city_today(solicitation.tender_period.end)


def to_determination(row: DeterminationRecord) -> Determination:
    return Determination.model_validate(row, from_attributes=True)


def rank(solicitation: Solicitation, record: EvaluationRecord, settings: VendorsSettings) -> Ranking:
    determinations = {(row.bid_id, row.kind): to_determination(row) for row in record.determinations}
    scores = {(row.bid_id, row.criterion): row.points for row in record.scores}
    held = _held_certifications(record.certifications)
    entries = [
        _Entry.of(solicitation, bid, determinations, held.get(bid.vendor_id, {}), settings)
        for bid in record.bids
    ]
    if solicitation.evaluation_method is EvaluationMethod.best_value:
        _score(solicitation, entries, scores)
    ranked = sorted((e for e in entries if e.rankable), key=lambda e: e.sort_key(solicitation))
    places = {entry.bid_id: place for place, entry in enumerate(ranked, start=1)}
    others = sorted((e for e in entries if not e.rankable), key=lambda e: e.price_key)
    bids = [entry.contract(places.get(entry.bid_id), record.rejected_bid_ids) for entry in [*ranked, *others]]
    return Ranking(
        solicitation_id=solicitation.id,
        reference=solicitation.reference,
        evaluation_method=solicitation.evaluation_method,
        preferences_judged_on=due_date(solicitation),
        complete=all(entry.complete for entry in entries),
        bids=bids,
    )


def _held_certifications(
    rows: Iterable[HeldCertification],
) -> dict[uuid.UUID, dict[CertificationType, uuid.UUID]]:
    held: dict[uuid.UUID, dict[CertificationType, uuid.UUID]] = {}
    for row in rows:
        held.setdefault(row.vendor_id, {}).setdefault(CertificationType(row.type), row.id)
    return held


@dataclass
class _Entry:
    bid: OpenedBidRecord
    preference: PricePreference
    responsiveness: Determination | None
    responsibility: Determination | None
    issues: list[str]
    determined: bool
    in_contention: bool
    points: list[CriterionPoints]
    total_points: Decimal | None = None

    @classmethod
    def of(
        cls,
        solicitation: Solicitation,
        bid: OpenedBidRecord,
        determinations: dict[tuple[uuid.UUID, str], Determination],
        held: dict[CertificationType, uuid.UUID],
        settings: VendorsSettings,
    ) -> _Entry:
        responsiveness = determinations.get((bid.id, DeterminationKind.responsiveness.value))
        responsibility = determinations.get((bid.id, DeterminationKind.responsibility.value))
        issues, determined = _determination_issues(bid, responsiveness, responsibility)
        if bid.vendor_status != ACTIVE:
            issues.append(
                f"The vendor is `{bid.vendor_status}` in the registry: only active vendors are awarded."
            )
        preference = price_preference(
            bid.opened_total_amount,
            held,
            funding_source=solicitation.funding_source,
            dbe_goal_percent=solicitation.dbe_goal_percent,
            settings=settings,
        )
        return cls(bid, preference, responsiveness, responsibility, issues, determined, not issues, [])

    @property
    def bid_id(self) -> uuid.UUID:
        return self.bid.id

    @property
    def price(self) -> Decimal:
        return self.bid.opened_total_amount

    @property
    def evaluated_price(self) -> Decimal:
        return self.price - self.preference.amount

    @property
    def rankable(self) -> bool:
        return not self.issues

    @property
    def complete(self) -> bool:
        """Determined, and for best value scored when in contention."""
        return self.determined and (not self.in_contention or self.rankable)

    @property
    def price_key(self) -> tuple[Decimal, datetime, uuid.UUID]:
        return (self.evaluated_price, self.bid.submitted_at, self.bid_id)

    def sort_key(self, solicitation: Solicitation) -> tuple[Any, ...]:
        if solicitation.evaluation_method is EvaluationMethod.best_value:
            return (-(self.total_points or Decimal(0)), *self.price_key)
        return self.price_key

    def contract(self, place: int | None, rejected: set[uuid.UUID]) -> RankedBid:
        currency = self.bid.opened_total_currency
        award_rejected = self.bid_id in rejected
        return RankedBid(
            bid_id=self.bid_id,
            vendor_id=self.bid.vendor_id,
            vendor_name=self.bid.vendor_name,
            vendor_number=self.bid.vendor_number,
            vendor_status=self.bid.vendor_status,
            submitted_at=self.bid.submitted_at,
            price=Money(amount=self.price, currency=currency),
            preferences=self.preference.applied,
            preference_amount=Money(amount=self.preference.amount, currency=currency),
            evaluated_price=Money(amount=self.evaluated_price, currency=currency),
            responsiveness=self.responsiveness,
            responsibility=self.responsibility,
            points=self.points,
            total_points=self.total_points,
            evaluated=self.complete,
            award_rejected=award_rejected,
            qualified=place is not None and not award_rejected,
            open_issues=[*self.issues, *(["An award to this bid was rejected."] if award_rejected else [])],
            rank=place,
        )


def _determination_issues(
    bid: OpenedBidRecord, responsiveness: Determination | None, responsibility: Determination | None
) -> tuple[list[str], bool]:
    """What keeps the bid out of the ranking, and whether its determinations are all made."""
    if bid.status == "nonresponsive":
        missing = ", ".join(str(addendum) for addendum in bid.missing_addenda)
        return [
            f"Nonresponsive at the opening: it does not acknowledge addenda issued before it ({missing})."
        ], True
    if responsiveness is None:
        return ["Responsiveness is not determined yet."], False
    if responsiveness.outcome is DeterminationOutcome.nonresponsive:
        return [f"Determined nonresponsive: {responsiveness.reason}"], True
    if responsibility is None:
        return ["Responsibility is not determined yet."], False
    if responsibility.outcome is DeterminationOutcome.not_responsible:
        return [f"Determined not responsible: {responsibility.reason}"], True
    return [], True


def _score(
    solicitation: Solicitation, entries: list[_Entry], scores: dict[tuple[uuid.UUID, str], Decimal]
) -> None:
    """Price points from the lowest evaluated price in contention; other points as evaluators gave them."""
    contenders = [entry for entry in entries if entry.in_contention]
    lowest = min((entry.evaluated_price for entry in contenders), default=None)
    for entry in entries:
        for criterion in solicitation.evaluation_criteria:
            if criterion.kind is CriterionKind.price:
                points = (
                    _price_points(lowest, entry.evaluated_price, criterion.weight)
                    if entry.in_contention
                    else None
                )
            else:
                points = scores.get((entry.bid_id, criterion.key))
                if points is None and entry.in_contention:
                    entry.issues.append(f"Not scored yet on `{criterion.key}`.")
            entry.points.append(CriterionPoints(criterion=criterion.key, kind=criterion.kind, points=points))
        if entry.rankable:
            entry.total_points = sum((p.points for p in entry.points if p.points is not None), Decimal(0))


def _price_points(lowest: Decimal | None, evaluated: Decimal, weight: int) -> Decimal:
    if lowest is None or evaluated <= 0:
        return Decimal(weight).quantize(POINTS)
    return (lowest / evaluated * weight).quantize(POINTS, rounding=ROUND_HALF_UP)
