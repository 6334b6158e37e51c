"""Wire models of solicitations, their addenda, and their questions and answers.

A solicitation's `status` is what the server clock makes of the stored status: a published solicitation
is `open` from the start of its tender period and `closed` from its end, with no one calling anything.
Enumerations are extensible: clients must tolerate new values.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    MISSING,
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from services.common.money import Money
from services.common.pagination import Page
from services.common.reference import DEPARTMENTS, Department, DepartmentCode
from services.common.wire import TIMESTAMP_MAX_LENGTH, TIMESTAMP_TEXT, Count, PositiveInt32, WireModel
from services.vendors.contracts.evaluation import (
    EvaluationCriteria,
    EvaluationCriterion,
    EvaluationMethod,
    Percent,
)
from services.vendors.contracts.patterns import (
    FILLED_TEXT,
    INSTANT_YEARS,
    POSITIVE_PERCENT_PATTERN,
    QUANTITY_PATTERN,
    cross_field,
)
from services.vendors.contracts.registry import CommodityCodeChoice, CommodityCodes

__all__ = [
    "REFERENCE_PREFIXES",
    "Addendum",
    "AddendumCreate",
    "AddendumPage",
    "CityDepartment",
    "CityDepartmentPage",
    "Department",
    "DepartmentCode",
    "FundingSource",
    "MainCategory",
    "Period",
    "Question",
    "QuestionAnswer",
    "QuestionAsker",
    "QuestionCreate",
    "QuestionPage",
    "Solicitation",
    "SolicitationCreate",
    "SolicitationItem",
    "SolicitationPage",
    "SolicitationStatus",
    "SolicitationTransition",
    "SolicitationType",
    "SolicitationUpdate",
    "check_evaluation_terms",
    "check_periods",
    "city_departments",
]

# PostgreSQL text cannot hold NUL: such input is refused here with a 422, not by the database.


def text(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length, pattern=FILLED_TEXT)


Title = Annotated[str, text(300)]
LongText = Annotated[str, text(20000)]
Reason = Annotated[str, text(2000)]


class SolicitationType(StrEnum):
    """How the City solicits: invitation for bids (lowest responsive, responsible bid), request for
    proposals (best value), request for quotes (small purchases), sole source, cooperative agreement."""

    ifb = "ifb"
    rfp = "rfp"
    rfq = "rfq"
    sole_source = "sole_source"
    cooperative = "cooperative"


# The letters of a solicitation's human reference, e.g. IFB-2026-0001.
REFERENCE_PREFIXES = {
    SolicitationType.ifb: "IFB",
    SolicitationType.rfp: "RFP",
    SolicitationType.rfq: "RFQ",
    SolicitationType.sole_source: "SS",
    SolicitationType.cooperative: "COOP",
}


class MainCategory(StrEnum):
    """OCDS `procurementCategory`."""

    goods = "goods"
    works = "works"
    services = "services"


class FundingSource(StrEnum):
    """Where the money comes from; federal funding brings federal (DBE) rules with it."""

    local = "local"
    state = "state"
    federal = "federal"


class SolicitationStatus(StrEnum):
    """draft → published → open → closed → opened → evaluation → intent_to_award → awarded, or cancelled
    or unsuccessful. `open` and `closed` follow the tender period on the server clock."""

    draft = "draft"
    published = "published"
    open = "open"
    closed = "closed"
    opened = "opened"
    evaluation = "evaluation"
    intent_to_award = "intent_to_award"
    awarded = "awarded"
    cancelled = "cancelled"
    unsuccessful = "unsuccessful"


EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


Instant = Annotated[
    AwareDatetime,
    TIMESTAMP_TEXT,
    WithJsonSchema(
        {"type": "string", "format": "date-time", "pattern": INSTANT_YEARS, "maxLength": TIMESTAMP_MAX_LENGTH}
    ),
]
GoalPercent = Annotated[
    Percent,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": POSITIVE_PERCENT_PATTERN,
            "maxLength": len("100.00"),
            "description": "A percentage more than 0, at most 100, with at most two decimal places.",
            "examples": ["8.00"],
        }
    ),
]


class Period(WireModel):
    """A span of time, start included, end excluded."""

    model_config = ConfigDict(extra="forbid")

    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end <= self.start:
            raise cross_field("a period's end must be after its start")
        # Beyond these, converting to UTC (for storage, for receipts) would overflow.
        if self.start < EARLIEST or self.end > LATEST:
            raise ValueError("a period lies between the years 1900 and 9999")
        return self


class CityDepartment(WireModel):
    """A City department: the codes that `buyer_department`, `department` and their filters take."""

    code: DepartmentCode
    name: str


class CityDepartmentPage(Page[CityDepartment]):
    """Every department, in code order, in one page."""


def city_departments() -> CityDepartmentPage:
    return CityDepartmentPage(
        items=[
            CityDepartment(code=DepartmentCode(code), name=DEPARTMENTS[code]) for code in sorted(DEPARTMENTS)
        ],
        next_page_token=None,
    )


ItemId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._\-]{1,40}$")]


_QUANTITY = re.compile(QUANTITY_PATTERN)


def _parse_quantity(value: object) -> Decimal:
    """A decimal string, as the document says: a JSON number would arrive as a float, rounded already."""
    if isinstance(value, Decimal):
        value = format(value, "f")
    if not isinstance(value, str) or not _QUANTITY.match(value.strip()):
        raise ValueError(
            'a quantity is a decimal string written with the digits 0-9, more than 0, e.g. "1200"'
        )
    return Decimal(value.strip())


Quantity = Annotated[
    Decimal,
    BeforeValidator(_parse_quantity),
    PlainSerializer(lambda quantity: format(quantity, "f"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": QUANTITY_PATTERN,
            "maxLength": 15,
            "description": "More than 0: at most 10 digits before the point and 4 after it, as a string.",
            "examples": ["1200", "2.5"],
        }
    ),
]


class SolicitationItem(WireModel):
    """A line of what is bought (OCDS item). Bids price items by `id`."""

    model_config = ConfigDict(extra="forbid")

    id: ItemId = Field(description="Unique within the solicitation, e.g. `1` or `A-2`.")
    description: Title
    classification: CommodityCodeChoice
    additional_classifications: CommodityCodes = []
    quantity: Quantity
    unit: Annotated[str, text(40)] = Field(description="e.g. `each`, `hour`, `ton`, `lump sum`.")


def _unique_item_ids(items: list[SolicitationItem]) -> list[SolicitationItem]:
    ids = [item.id for item in items]
    duplicates = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if duplicates:
        raise cross_field(f"item ids must be unique; repeated: {', '.join(duplicates)}")
    return items


# The lines a solicitation may list, as sent and as stored.
MAX_ITEMS = 500
Items = Annotated[list[SolicitationItem], Field(max_length=MAX_ITEMS), AfterValidator(_unique_item_ids)]


def check_periods(enquiry: Period | None, tender: Period) -> None:
    """Questions are asked within the tender's life: the enquiry period ends by the close."""
    if enquiry is not None and enquiry.end > tender.end:
        raise cross_field("the enquiry period must end no later than the tender period")


def check_evaluation_terms(
    method: EvaluationMethod,
    criteria: list[EvaluationCriterion],
    funding_source: FundingSource,
    dbe_goal_percent: Decimal | None,
) -> None:
    """Criteria belong to best-value evaluations; a DBE goal only to federally funded solicitations
    (outside them, Proposition 209 bars race- and sex-conscious goals)."""
    if method is EvaluationMethod.lowest_price and criteria:
        raise cross_field("`evaluation_criteria` are for `best_value` evaluations; `lowest_price` has none")
    if dbe_goal_percent is not None:
        if funding_source is not FundingSource.federal:
            raise cross_field(
                "a DBE goal applies only to federally funded solicitations (49 CFR 26); with "
                f"`{funding_source.value}` funding, Proposition 209 bars race- and sex-conscious goals"
            )
        if dbe_goal_percent <= 0:
            raise ValueError("a DBE goal is more than 0 percent; leave it out (null) for none")


class SolicitationCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: LongText | None = None
    type: SolicitationType
    main_category: MainCategory
    buyer_department: Department
    estimated_value: Money | None = None
    funding_source: FundingSource
    items: Items = []
    enquiry_period: Period | None = Field(
        default=None, description="When bidders may ask questions; unset: until the close."
    )
    tender_period: Period = Field(description="When bids are accepted, by the server clock.")
    disclose_bid_count: bool = Field(
        default=False, description="Show the number of bids before the opening (hidden by default)."
    )
    evaluation_method: EvaluationMethod = EvaluationMethod.lowest_price
    evaluation_criteria: EvaluationCriteria = Field(
        default=[], description="Best value only; required before publication."
    )
    dbe_goal_percent: GoalPercent | None = Field(
        default=None, description="A federal DBE participation goal; only with `federal` funding."
    )

    @model_validator(mode="after")
    def _periods(self) -> Self:
        check_periods(self.enquiry_period, self.tender_period)
        check_evaluation_terms(
            self.evaluation_method, self.evaluation_criteria, self.funding_source, self.dbe_goal_percent
        )
        return self


class SolicitationUpdate(WireModel):
    """Fields to change while the solicitation is a draft; absent fields stay as they are. Once
    published, a solicitation changes only through addenda and transitions. `null` clears the four
    optional fields (`description`, `estimated_value`, `enquiry_period`, `dbe_goal_percent`); the
    others, when given, hold a value."""

    model_config = ConfigDict(extra="forbid")

    title: Title | MISSING = MISSING
    description: LongText | MISSING | None = Field(default=MISSING, description="`null` removes it.")
    type: SolicitationType | MISSING = MISSING
    main_category: MainCategory | MISSING = MISSING
    buyer_department: Department | MISSING = MISSING
    estimated_value: Money | MISSING | None = Field(default=MISSING, description="`null` removes it.")
    funding_source: FundingSource | MISSING = MISSING
    items: Items | MISSING = MISSING
    enquiry_period: Period | MISSING | None = Field(
        default=MISSING, description="`null` removes it: questions may be asked until the close."
    )
    tender_period: Period | MISSING = MISSING
    disclose_bid_count: bool | MISSING = MISSING
    evaluation_method: EvaluationMethod | MISSING = MISSING
    evaluation_criteria: EvaluationCriteria | MISSING = MISSING
    dbe_goal_percent: GoalPercent | MISSING | None = Field(
        default=MISSING, description="`null` removes the goal."
    )


class Solicitation(WireModel):
    id: uuid.UUID
    reference: str = Field(description="Human reference, e.g. `IFB-2026-0001`.")
    ocid: str = Field(description="Open Contracting id: `<publisher prefix>-<reference>`.")
    title: str
    description: str | None
    type: SolicitationType
    main_category: MainCategory
    buyer_department: str
    estimated_value: Money | None
    funding_source: FundingSource
    items: list[SolicitationItem] = Field(max_length=MAX_ITEMS)
    enquiry_period: Period | None
    tender_period: Period = Field(description="`end` is the close; a late addendum may have moved it.")
    status: SolicitationStatus
    disclose_bid_count: bool
    bid_count: Count | None = Field(
        description="Bids received, not counting withdrawn ones: shown once the bids are opened, or "
        "before when `disclose_bid_count` is set; null otherwise."
    )
    evaluation_method: EvaluationMethod
    evaluation_criteria: list[EvaluationCriterion] = Field(max_length=20)  # as `EvaluationCriteria` takes
    dbe_goal_percent: Percent | None = Field(description="Federal funding only: the DBE goal.")
    published_at: datetime | None
    opened_at: datetime | None
    version: PositiveInt32
    created_at: datetime
    updated_at: datetime


class SolicitationPage(Page[Solicitation]):
    pass


class SolicitationTransition(WireModel):
    """An explicit move. `open` and `closed` are not moves: they follow the tender period."""

    model_config = ConfigDict(extra="forbid")

    to: SolicitationStatus
    reason: Reason | None = Field(default=None, description="Required to cancel or to declare unsuccessful.")


class AddendumCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    description: LongText


class Addendum(WireModel):
    """A change to a published solicitation that every later bid must acknowledge."""

    id: uuid.UUID
    solicitation_id: uuid.UUID
    number: PositiveInt32 = Field(description="1, 2, … in order of issue.")
    title: str
    description: str
    issued_at: datetime
    close_extended_from: datetime | None = Field(
        description="The close before this addendum moved it, when it was issued too near the close."
    )
    close_extended_to: datetime | None


class AddendumPage(Page[Addendum]):
    pass


class QuestionCreate(WireModel):
    model_config = ConfigDict(extra="forbid")

    question: LongText


class QuestionAnswer(WireModel):
    model_config = ConfigDict(extra="forbid")

    answer: LongText


class QuestionAsker(WireModel):
    """Who asked: shown only to procurement staff (`procurement:write`)."""

    vendor_id: uuid.UUID
    subject: str = Field(description="The asking user's token subject.")


class Question(WireModel):
    id: uuid.UUID
    solicitation_id: uuid.UUID
    number: PositiveInt32
    question: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    asker: QuestionAsker | None = Field(description="Null in public views: askers stay anonymous.")


class QuestionPage(Page[Question]):
    pass
