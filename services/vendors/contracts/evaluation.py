"""Wire models of bid evaluation: the method and criteria a solicitation is judged by, the evaluators'
determinations and scores, and the ranking the server computes from them.

Which certifications may lower a bid's evaluated price is fixed here, in code, and checked at import:
no race- or sex-conscious programme is among them (California's Proposition 209). The only exception,
DBE credit on federally funded solicitations with a DBE goal, is applied by the evaluation itself and
cannot be configured.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)

from services.common.money import Money
from services.common.pagination import Page
from services.common.wire import PositiveInt32, WireModel
from services.vendors.contracts.certifications import RACE_SEX_CONSCIOUS, CertificationType
from services.vendors.contracts.patterns import FILLED_TEXT, cross_field

__all__ = [
    "LOCAL_PREFERENCE_TYPES",
    "PREFERENCE_TYPES",
    "SMALL_BUSINESS_PREFERENCE_TYPES",
    "AppliedPreference",
    "CriterionKey",
    "CriterionKind",
    "CriterionPoints",
    "Determination",
    "DeterminationCreate",
    "DeterminationKind",
    "DeterminationOutcome",
    "DeterminationPage",
    "EvaluationCriteria",
    "EvaluationCriterion",
    "EvaluationMethod",
    "Percent",
    "Points",
    "RankedBid",
    "Ranking",
    "Score",
    "ScoreCreate",
    "ScorePage",
    "check_preference_types",
]

T = CertificationType

# Geography-based programmes of the Local Business Preference Program (and the County's LSBE, which it
# recognises).
LOCAL_PREFERENCE_TYPES = frozenset({T.lbe, T.lsb, T.slbe, T.lsbe})
# Size-based programmes: small, emerging, small local.
SMALL_BUSINESS_PREFERENCE_TYPES = frozenset({T.sbe, T.ebe, T.lsb, T.slbe, T.lsbe})
PREFERENCE_TYPES = LOCAL_PREFERENCE_TYPES | SMALL_BUSINESS_PREFERENCE_TYPES


def check_preference_types(types: frozenset[CertificationType]) -> None:
    """Refuses any race- or sex-conscious programme among the types that may earn a preference."""
    prohibited = sorted(t.value for t in types & RACE_SEX_CONSCIOUS)
    if prohibited:
        raise RuntimeError(
            f"{', '.join(prohibited)} cannot earn a price preference: California's Proposition 209 bars "
            "preferences by race or sex in City contracting."
        )


check_preference_types(PREFERENCE_TYPES)


# 0 to 100 with at most two decimal places, in the pattern itself so that the document states the bound.
_DECIMAL_PATTERN = r"^(100(\.0{1,2})?|[0-9]{1,2}(\.[0-9]{1,2})?)$"
_DECIMAL = re.compile(_DECIMAL_PATTERN)
_HUNDRED = Decimal(100)
_CENTI = Decimal("0.01")


def _parser(what: str, example: str) -> Callable[[object], Decimal]:
    """A non-negative decimal from 0 to 100 sent as a string (never a float), two places at most."""

    def parse(value: object) -> Decimal:
        if isinstance(value, Decimal):
            value = format(value, "f")
        if not isinstance(value, str):
            raise ValueError(f'{what} is a decimal string such as "{example}", never a number')
        text = value.strip()
        if not _DECIMAL.match(text) or Decimal(text) > _HUNDRED:
            raise ValueError(f"{text!r} is not {what}: a decimal string from 0 to 100, e.g. {example!r}")
        return Decimal(text).quantize(_CENTI)

    return parse


def _schema(what: str, example: str) -> WithJsonSchema:
    return WithJsonSchema(
        {
            "type": "string",
            "pattern": _DECIMAL_PATTERN,
            "maxLength": len("100.00"),
            "description": f"{what}: a decimal string from 0 to 100, at most two decimal places.",
            "examples": [example],
        }
    )


_TWO_PLACES = PlainSerializer(lambda number: format(number.quantize(_CENTI), "f"), return_type=str)
Points = Annotated[
    Decimal, BeforeValidator(_parser("a number of points", "42.50")), _TWO_PLACES, _schema("Points", "42.50")
]
Percent = Annotated[
    Decimal, BeforeValidator(_parser("a percentage", "8.00")), _TWO_PLACES, _schema("A percentage", "8.00")
]
CriterionKey = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,39}$"),
    Field(description="A short lower_snake_case key, e.g. `technical_approach`."),
]
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=FILLED_TEXT)
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000, pattern=FILLED_TEXT)
]
Comment = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000, pattern=FILLED_TEXT)
]


class EvaluationMethod(StrEnum):
    """`lowest_price`: the lowest evaluated price among qualified bids wins. `best_value`: the highest
    total of weighted criteria, price among them."""

    lowest_price = "lowest_price"
    best_value = "best_value"


class CriterionKind(StrEnum):
    """`price` points are computed by the server (lowest evaluated price / this one × weight);
    `non_price` points are entered by evaluators."""

    price = "price"
    non_price = "non_price"


class EvaluationCriterion(WireModel):
    """One criterion of a best-value evaluation; its weight is the most points it can give."""

    model_config = ConfigDict(extra="forbid")

    key: CriterionKey
    name: Name
    kind: CriterionKind
    weight: Annotated[int, Field(ge=1, le=100, description="Maximum points; the weights sum to 100.")]


def _check_criteria(criteria: list[EvaluationCriterion]) -> list[EvaluationCriterion]:
    """Empty (not set yet), or weights summing to 100 with exactly one price criterion."""
    if not criteria:
        return criteria
    keys = [criterion.key for criterion in criteria]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise cross_field(f"criterion keys must be unique; repeated: {', '.join(repeated)}")
    total = sum(criterion.weight for criterion in criteria)
    if total != 100:
        raise cross_field(f"the criteria's weights must sum to 100, not {total}")
    prices = [criterion for criterion in criteria if criterion.kind is CriterionKind.price]
    if len(prices) != 1:
        raise cross_field(f"exactly one criterion must be of kind `price`, not {len(prices)}")
    return criteria


EvaluationCriteria = Annotated[
    list[EvaluationCriterion], Field(max_length=20), AfterValidator(_check_criteria)
]


class DeterminationKind(StrEnum):
    responsiveness = "responsiveness"
    responsibility = "responsibility"


class DeterminationOutcome(StrEnum):
    """Responsiveness: does the bid conform to the solicitation? Responsibility: can the vendor perform
    (for `responsible`, the server also requires the vendor to be `active` in the registry)."""

    responsive = "responsive"
    nonresponsive = "nonresponsive"
    responsible = "responsible"
    not_responsible = "not_responsible"

    @property
    def kind(self) -> DeterminationKind:
        if self in (DeterminationOutcome.responsive, DeterminationOutcome.nonresponsive):
            return DeterminationKind.responsiveness
        return DeterminationKind.responsibility

    @property
    def passed(self) -> bool:
        return self in (DeterminationOutcome.responsive, DeterminationOutcome.responsible)


class DeterminationCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    outcome: DeterminationOutcome
    reason: Reason = Field(description="Why: shown in the ranking and kept in the record.")


class Determination(WireModel):
    """An evaluator's determination on a bid. The latest of each kind counts; earlier ones stay on record."""

    id: uuid.UUID
    solicitation_id: uuid.UUID
    bid_id: uuid.UUID
    kind: DeterminationKind
    outcome: DeterminationOutcome
    reason: str
    vendor_status: str | None = Field(
        description="For responsibility: the vendor's registry status as the server read it."
    )
    determined_by: str
    determined_at: datetime


class DeterminationPage(Page[Determination]):
    pass


class ScoreCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    criterion: CriterionKey = Field(description="The key of one of the solicitation's non-price criteria.")
    points: Points = Field(description="From 0 to the criterion's weight.")
    comment: Comment | None = None


class Score(WireModel):
    """An evaluator's points for one non-price criterion of a bid; the latest per criterion counts."""

    id: uuid.UUID
    solicitation_id: uuid.UUID
    bid_id: uuid.UUID
    criterion: str
    points: Points
    comment: str | None
    scored_by: str
    scored_at: datetime


class ScorePage(Page[Score]):
    pass


class AppliedPreference(WireModel):
    """A certification that lowered the bid's evaluated price (never the award amount)."""

    certification_type: CertificationType
    certification_id: uuid.UUID
    percent: Percent


class CriterionPoints(WireModel):
    criterion: str
    kind: CriterionKind
    points: Points | None = Field(description="Null while an evaluator has not scored it.")


class RankedBid(WireModel):
    bid_id: uuid.UUID
    vendor_id: uuid.UUID
    vendor_name: str
    vendor_number: str
    vendor_status: str = Field(description="The vendor's registry status now.")
    submitted_at: datetime
    price: Money = Field(description="The bid's total: what the City would pay.")
    preferences: list[AppliedPreference]
    preference_amount: Money = Field(description="Taken off the price for ranking only, after the caps.")
    evaluated_price: Money = Field(description="price − preference_amount: what ranks the bid.")
    responsiveness: Determination | None
    responsibility: Determination | None
    points: list[CriterionPoints] = Field(description="Best value only: points per criterion.")
    total_points: Points | None = Field(description="Best value only, once every criterion is scored.")
    evaluated: bool = Field(
        description="Its determinations are made and, for best value, its scores entered if in contention."
    )
    award_rejected: bool = Field(description="An award to this bid was rejected: it cannot be awarded again.")
    qualified: bool = Field(description="Ranked and not rejected: it can receive the award.")
    open_issues: list[str] = Field(description="Why the bid is not ranked, or what it still lacks.")
    rank: PositiveInt32 | None = Field(
        description="1 = best, among responsive, responsible bids of active vendors."
    )


class Ranking(WireModel):
    """The server's ranking of a solicitation's opened bids, computed on every read."""

    solicitation_id: uuid.UUID
    reference: str
    evaluation_method: EvaluationMethod
    preferences_judged_on: date = Field(
        description="The due date (the close, Los Angeles calendar day): certifications count only if "
        "valid on it."
    )
    complete: bool = Field(
        description="Every bid has its determinations and, for best value, every qualified bid its scores."
    )
    bids: list[RankedBid] = Field(description="Ranked bids first, best first; then the others.")
