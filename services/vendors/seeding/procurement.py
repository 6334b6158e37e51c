"""Solicitations of a scaled dataset, with their sealed bids, awards, contracts and subcontracts.

Each is what the procurement process would have left behind: published, opened in public (the
sealing key released, every bid's payload a real Fernet token under it, with a receipt that checks),
then awarded to the lowest bid, with the contract in force and its subcontract commitments; a few were
cancelled before the close or found unsuccessful. Rows are dicts keyed by column, ready for COPY.
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from services.common.clock import CITY_TIME_ZONE, add_business_days
from services.common.db import new_id
from services.common.money import CENTS, Money
from services.vendors.bids.sealing import Sealer, receipt_hash
from services.vendors.contracts import (
    REFERENCE_PREFIXES,
    BidSealedContent,
    LinePrice,
    SolicitationItem,
    SolicitationType,
)
from services.vendors.demo import TRADES, Trade
from services.vendors.seeding.firms import Firm, detailed_codes
from services.vendors.seeding.plan import ScalePlan

TRADE_OF_CODE: dict[str, Trade] = {code: trade for trade in TRADES for code in trade.nigp}
GOODS = {"Office Supply", "Medical Supply", "Uniforms", "Fleet Services", "Printing"}
SITES = (
    "Civic Center", "Lincoln Heights Jail", "City Hall East", "Central Library", "Van Nuys Civic Center",
    "Piper Technical Center", "Hyperion Water Reclamation Plant", "Griffith Park", "Port of Los Angeles",
    "LAX Central Terminal Area", "Sepulveda Basin", "Harbor Gateway", "Boyle Heights", "Watts Towers",
    "Pershing Square", "Elysian Park", "Echo Park Lake", "Sun Valley Yard", "Cypress Park Yard",
)  # fmt: skip
# Where the spend goes: the proprietary departments and public safety buy most.
DEPARTMENT_WEIGHTS = {
    "DWP": 18, "AIR": 12, "SAN": 10, "LAPD": 9, "POL": 8, "BOE": 8, "BSS": 7, "DOT": 6, "GSD": 6,
    "LAFD": 6, "ITA": 3, "RAP": 3, "HCI": 2, "LIB": 1, "ZOO": 1, "ATD": 1, "BCA": 1, "CAO": 1, "CTY": 1,
    "FIN": 1, "MYR": 1, "PER": 1,
}  # fmt: skip
TYPES = (
    (SolicitationType.ifb, 50),
    (SolicitationType.rfp, 30),
    (SolicitationType.rfq, 15),
    (SolicitationType.cooperative, 5),
)
OUTCOMES = (("awarded", 88), ("unsuccessful", 6), ("cancelled", 6))
UNITS = ("lump sum", "each", "hour", "month", "ton", "square foot")


@dataclass
class Contract:
    id: Any
    vendor: Firm
    department: str
    start: date
    end: date
    codes: list[str]
    subcontractors: list[Firm] = field(default_factory=list)


@dataclass
class Procurement:
    solicitations: list[dict[str, Any]] = field(default_factory=list)
    sealing_keys: list[dict[str, Any]] = field(default_factory=list)
    bids: list[dict[str, Any]] = field(default_factory=list)
    awards: list[dict[str, Any]] = field(default_factory=list)
    contracts: list[dict[str, Any]] = field(default_factory=list)
    subcontracts: list[dict[str, Any]] = field(default_factory=list)
    # For the payments: every contract, with its vendor, period and subcontractors.
    agreements: list[Contract] = field(default_factory=list)


def weighted(rng: random.Random, items: list[Any], weights: list[float], count: int) -> list[Any]:
    """`count` distinct items drawn by weight (fewer when there are fewer)."""
    chosen: dict[int, Any] = {}
    cumulative = list(accumulate(weights))
    attempts = 0
    while len(chosen) < min(count, len(items)) and attempts < count * 20:
        index = bisect(cumulative, rng.random() * cumulative[-1])
        chosen.setdefault(min(index, len(items) - 1), None)
        attempts += 1
    return [items[index] for index in chosen]


class ProcurementGenerator:
    def __init__(
        self,
        plan: ScalePlan,
        firms: list[Firm],
        rng: random.Random,
        sealer: Sealer,
        ocid_prefix: str,
        today: date,
    ) -> None:
        self.plan = plan
        self.firms = [firm for firm in firms if firm.nigp]
        self.rng = rng
        self.sealer = sealer
        self.ocid_prefix = ocid_prefix
        self.today = today
        self.by_code: dict[str, list[Firm]] = {}
        for firm in self.firms:
            for code in firm.nigp:
                self.by_code.setdefault(code, []).append(firm)
        self.certified = [firm for firm in firms if firm.certificates]
        self.data = Procurement()

    def generate(self, solicitation_numbers: list[int], contract_numbers: list[int]) -> Procurement:
        contract_numbers = list(contract_numbers)
        if not self.firms:
            return self.data
        for number in solicitation_numbers:
            self.solicitation(number, contract_numbers)
        return self.data

    def pick(self, weighted_choices: tuple[tuple[Any, int], ...]) -> Any:
        return self.rng.choices([item for item, _ in weighted_choices], [w for _, w in weighted_choices])[0]

    def solicitation(self, number: int, contract_numbers: list[int]) -> None:
        rng, plan = self.rng, self.plan
        lead = weighted(rng, self.firms, [firm.weight for firm in self.firms], 1)[0]
        code = rng.choice(lead.nigp)
        trade = TRADE_OF_CODE.get(code)
        noun = rng.choice(trade.nouns) if trade else "Supplies"
        category = (
            "works"
            if trade and trade.licensed
            else "goods"
            if trade and trade.nouns[0] in GOODS
            else "services"
        )
        department = self.pick(tuple(DEPARTMENT_WEIGHTS.items()))
        solicitation_type = self.pick(TYPES)
        window_start = plan.fiscal_year_start - timedelta(days=400)
        window_days = (plan.fiscal_year_end - timedelta(days=120) - window_start).days
        tender_start = datetime.combine(
            window_start + timedelta(days=rng.randrange(window_days)), time(16), UTC
        )
        tender_end = tender_start + timedelta(days=rng.randint(21, 45))
        reference = f"{REFERENCE_PREFIXES[solicitation_type]}-{tender_start.year}-{number:04d}"
        estimate = (
            Decimal(rng.lognormvariate(12.6, 1.3)) * Decimal(0.5 + min(lead.weight, 20) / 10)
        ).quantize(CENTS)
        items = self.items(code, noun, estimate)
        outcome = self.pick(OUTCOMES)
        solicitation_id = new_id()
        opened_at = (
            tender_end + timedelta(days=rng.randint(1, 5), hours=2) if outcome != "cancelled" else None
        )
        self.data.solicitations.append(
            {
                "id": solicitation_id,
                "reference": reference,
                "ocid": f"{self.ocid_prefix}-{reference}",
                "status": outcome,
                "title": f"{noun}, {rng.choice(SITES)}",
                "description": f"{noun} for the {department} department.",
                "type": solicitation_type.value,
                "main_category": category,
                "buyer_department": department,
                "estimated_value_amount": estimate,
                "estimated_value_currency": "USD",
                "funding_source": self.pick((("local", 70), ("state", 15), ("federal", 15))),
                "items": [item.model_dump(mode="json") for item in items],
                "classification_codes": sorted({f"nigp:{item.classification.code}" for item in items}),
                "enquiry_period_start": None,
                "enquiry_period_end": None,
                "tender_period_start": tender_start,
                "tender_period_end": tender_end,
                "disclose_bid_count": False,
                "published_at": tender_start,
                "opened_at": opened_at,
                "version": 5 if outcome == "awarded" else 3,
                "created_at": tender_start - timedelta(days=rng.randint(5, 30)),
                "updated_at": (opened_at or tender_end) + timedelta(days=rng.randint(1, 60)),
            }
        )
        wrapped = self.sealer.new_wrapped_key()
        key = {
            "solicitation_id": solicitation_id,
            "master_key_id": self.sealer.master_key_id,
            "wrapped_key": wrapped,
            "released_key": None,
            "released_at": None,
            "created_at": tender_start,
        }
        self.data.sealing_keys.append(key)
        if opened_at is None:
            return
        key.update(released_key=self.sealer.unwrap(wrapped), released_at=opened_at)
        bidders = weighted(
            rng, self.by_code[code], [firm.weight**0.5 for firm in self.by_code[code]], rng.randint(2, 7)
        )
        bids = [
            self.bid(solicitation_id, firm, items, estimate, wrapped, tender_start, tender_end, opened_at)
            for firm in bidders
        ]
        if outcome == "awarded":
            winner = min(bids, key=lambda bid: (bid["opened_total_amount"], bid["submitted_at"]))
            self.award(
                solicitation_id,
                winner,
                department,
                f"{noun}, {reference}",
                items,
                opened_at,
                contract_numbers.pop(0),
            )

    def items(self, code: str, noun: str, estimate: Decimal) -> list[SolicitationItem]:
        rng = self.rng
        count = rng.randint(1, 3)
        codes = detailed_codes(code)
        return [
            SolicitationItem(
                id=str(number),
                description=f"{noun}, part {number}" if count > 1 else noun,
                classification={"scheme": "nigp", "code": rng.choice(codes)},
                quantity=Decimal(rng.choice((1, 1, 12, 40, 100, 250))),
                unit=rng.choice(UNITS),
            )
            for number in range(1, count + 1)
        ]

    def bid(
        self,
        solicitation_id: Any,
        firm: Firm,
        items: list[SolicitationItem],
        estimate: Decimal,
        wrapped_key: str,
        tender_start: datetime,
        tender_end: datetime,
        opened_at: datetime,
    ) -> dict[str, Any]:
        rng = self.rng
        total = (estimate * Decimal(rng.uniform(0.78, 1.3))).quantize(CENTS)
        shares = [Decimal(rng.randint(1, 10)) for _ in items]
        amounts = [(total * share / sum(shares)).quantize(CENTS) for share in shares]
        amounts[-1] += total - sum(amounts)
        content = BidSealedContent(
            total=Money(amount=total, currency="USD"),
            line_prices=[
                LinePrice(item_id=item.id, amount=Money(amount=amount, currency="USD"))
                for item, amount in zip(items, amounts, strict=True)
            ],
        )
        submitted_at = tender_start + (tender_end - tender_start) * rng.uniform(0.3, 0.99)
        bid_id = new_id()
        sealed = self.sealer.seal(wrapped_key, content, submitted_at)
        row = {
            "id": bid_id,
            "solicitation_id": solicitation_id,
            "vendor_id": firm.id,
            "status": "opened",
            "submitted_by": f"user-of-{firm.id}",
            "submitted_at": submitted_at,
            "acknowledged_addenda": "[]",
            "sealed_payload": sealed,
            "receipt_hash": receipt_hash(bid_id, sealed, submitted_at),
            "withdrawn_at": None,
            "opened_total_amount": total,
            "opened_total_currency": "USD",
            "opened_content": content.model_dump_json(),
            "missing_addenda": "[]",
            "version": 2,
            "created_at": submitted_at,
            "updated_at": opened_at,
            "_firm": firm,
        }
        self.data.bids.append(row)
        return row

    def award(
        self,
        solicitation_id: Any,
        bid: dict[str, Any],
        department: str,
        title: str,
        items: list[SolicitationItem],
        opened_at: datetime,
        contract_number: int,
    ) -> None:
        rng = self.rng
        firm: Firm = bid["_firm"]
        notified = opened_at + timedelta(days=rng.randint(7, 20))
        window_ends = add_business_days(notified.astimezone(CITY_TIME_ZONE).date(), 5)
        award_date = window_ends + timedelta(days=rng.randint(1, 10))
        award_id = new_id()
        amount = bid["opened_total_amount"]
        self.data.awards.append(
            {
                "id": award_id,
                "solicitation_id": solicitation_id,
                "bid_id": bid["id"],
                "vendor_id": firm.id,
                "rank": 1,
                "status": "active",
                "amount": amount,
                "currency": "USD",
                "intent_notified_at": notified,
                "protest_window_ends_on": window_ends,
                "award_date": award_date,
                "decision_reason": None,
                "version": 2,
                "created_at": notified,
                "updated_at": datetime.combine(award_date, time(17), UTC),
            }
        )
        signed = award_date + timedelta(days=rng.randint(0, 14))
        end = signed + timedelta(days=365 * rng.randint(1, 5) - 1)
        contract = Contract(
            new_id(), firm, department, signed, end, [item.classification.code for item in items]
        )
        self.data.contracts.append(
            {
                "id": contract.id,
                "number": f"C-{signed.year}-{contract_number:05d}",
                "award_id": award_id,
                "solicitation_id": solicitation_id,
                "vendor_id": firm.id,
                "department": department,
                "title": title,
                "status": "active" if end >= self.today else "completed",
                "original_value_amount": amount,
                "value_amount": amount,
                "currency": "USD",
                "period_start": signed,
                "period_end": end,
                "signed_date": signed,
                "version": 1,
                "created_at": datetime.combine(signed, time(18), UTC),
                "updated_at": datetime.combine(signed, time(18), UTC),
            }
        )
        self.data.agreements.append(contract)
        if rng.random() < 0.4:
            self.subcontract(contract, amount)

    def subcontract(self, contract: Contract, value: Decimal) -> None:
        rng = self.rng
        candidates = [firm for firm in self.certified if firm.id != contract.vendor.id]
        for firm in weighted(rng, candidates, [f.weight**0.5 for f in candidates], rng.randint(1, 3)):
            valid = firm.certified_on(contract.start)
            contract.subcontractors.append(firm)
            self.data.subcontracts.append(
                {
                    "id": new_id(),
                    "contract_id": contract.id,
                    "sub_vendor_id": firm.id,
                    "certification_type": rng.choice(valid) if valid else None,
                    "amount": (value * Decimal(rng.uniform(0.03, 0.2))).quantize(CENTS) + CENTS,
                    "committed_date": contract.start,
                    "status": "committed",
                    "version": 1,
                    "created_at": datetime.combine(contract.start, time(18), UTC),
                    "updated_at": datetime.combine(contract.start, time(18), UTC),
                }
            )
