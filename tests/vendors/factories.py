"""Builders for the vendors tests: every record a test needs, made once here.

Most are made through the HTTP API, the way the City's buyers and its suppliers would (a vendor, its
certifications, a solicitation, bids, an evaluation, an award). The reports need a history no API call
can make (payments dated in 2041, awards decided years ago): `Records` writes those rows straight into
the tables through the test's session. Test modules import from here and from `tests.problems`, never
from one another; the fixtures (`clock`, `records`) are in this folder's conftest.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.clock import city_today, fiscal_quarter, fiscal_year
from services.common.db import new_id
from services.vendors.agreements.models import ContractRow, SubcontractRow
from services.vendors.awards.models import AwardRow
from services.vendors.bids.models import BidRow
from services.vendors.certifications.models import CertificationRow
from services.vendors.payments.models import PaymentRow
from services.vendors.registry.models import VendorCommodityRow, VendorRow
from services.vendors.solicitations.models import SolicitationRow

VENDORS = "/v1/procurement/vendors"
CERTIFICATIONS = "/v1/procurement/certifications"
SOLICITATIONS = "/v1/procurement/solicitations"
AWARDS = "/v1/procurement/awards"
PROTESTS = "/v1/procurement/protests"
CONTRACTS = "/v1/procurement/contracts"
PAYMENTS = "/v1/procurement/payments"
AUDIT_EVENTS = "/v1/procurement/audit-events"

READ = "procurement:read"
WRITE = "procurement:read procurement:write"
EVALUATE = "procurement:read procurement:evaluate"

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
CENT = Decimal("0.01")
SIX = Decimal("0.000001")


# Time: the solicitation tests run in 2030 on a server clock moved by hand; certifications are dated
# from today in the City.

T0 = datetime(2030, 3, 4, 16, 0, tzinfo=UTC)
TENDER_START = T0 + timedelta(days=10)
TENDER_END = T0 + timedelta(days=30)
# Friday 5 April 2030, 10:00 in Los Angeles: five business days later is Friday 12 April.
INTENT_AT = datetime(2030, 4, 5, 17, 0, tzinfo=UTC)
DAY_AFTER = datetime(2030, 4, 13, 15, 0, tzinfo=UTC)  # 08:00 on the 13th in Los Angeles, the window closed
# The dates of a certificate valid all through the solicitation tests' 2030.
VALID_IN_2030 = {"effective_date": "2030-01-01", "expiration_date": "2031-12-31"}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def days(n: int) -> str:
    """The City's date `n` days from today, as the API writes it."""
    return (city_today() + timedelta(days=n)).isoformat()


async def audit_actions(client, auth, entity, entity_id) -> list[str]:
    """The actions of the entity's audit trail, oldest first."""
    response = await client.get(
        AUDIT_EVENTS, params={"entity": entity, "entity_id": str(entity_id)}, headers=auth("audit:read")
    )
    assert response.status_code == 200, response.text
    return [event["action"] for event in response.json()["items"]]


# Vendors

# The moves that bring a new vendor (a draft) to each status.
VENDOR_PATHS = {
    "draft": (),
    "submitted": ("submitted",),
    "active": ("submitted", "active"),
    "suspended": ("submitted", "active", "suspended"),
}


async def move_vendor(client, auth, vendor_id, to, reason=None) -> httpx.Response:
    return await client.post(
        f"{VENDORS}/{vendor_id}/transitions", json={"to": to, "reason": reason}, headers=auth(WRITE)
    )


async def walk_vendor(client, auth, vendor_id, *steps) -> dict[str, Any]:
    """Moves the vendor through `steps`, each one allowed; returns the vendor after the last."""
    vendor: dict[str, Any] = {}
    for to in steps:
        reason = "W-9 mismatch" if to in ("suspended", "debarred") else None
        response = await move_vendor(client, auth, vendor_id, to, reason)
        assert response.status_code == 200, response.text
        vendor = response.json()
    return vendor


async def create_vendor(
    client, auth, legal_name="Boyle Heights Paving LLC", *, status="draft", **fields
) -> dict[str, Any]:
    """A vendor registered with `fields` (a small LLC unless they say otherwise), then moved to `status`."""
    response = await client.post(
        VENDORS, json={"legal_name": legal_name, "entity_type": "llc"} | fields, headers=auth(WRITE)
    )
    assert response.status_code == 201, response.text
    vendor: dict[str, Any] = response.json()
    if VENDOR_PATHS[status]:
        vendor = await walk_vendor(client, auth, vendor["id"], *VENDOR_PATHS[status])
    return vendor


async def draft_vendor(client, auth, name="Boyle Heights Paving LLC", **fields) -> str:
    """The id of a new vendor, still a draft."""
    return str((await create_vendor(client, auth, name, **fields))["id"])


async def active_vendor(client, auth, name="Boyle Heights Paving LLC", **fields) -> str:
    """The id of a new vendor the City can buy from."""
    return str((await create_vendor(client, auth, name, status="active", **fields))["id"])


# Certifications


def certification_body(**overrides) -> dict[str, Any]:
    """A WBE certificate of the City's own agency, current from 300 days ago to 400 days ahead."""
    body = {
        "type": "wbe",
        "agency_code": "LA-BCA",
        "certificate_number": "BCA-10234",
        "effective_date": days(-300),
        "expiration_date": days(400),
    }
    return body | overrides


async def record_certification(client, auth, vendor_id, **overrides) -> dict[str, Any]:
    """A certification recorded for the vendor, pending until someone verifies it."""
    response = await client.post(
        f"{VENDORS}/{vendor_id}/certifications", json=certification_body(**overrides), headers=auth(WRITE)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def move_certification(client, auth, certification_id, to, reason=None) -> httpx.Response:
    return await client.post(
        f"{CERTIFICATIONS}/{certification_id}/transitions",
        json={"to": to, "reason": reason},
        headers=auth(WRITE),
    )


async def certify(client, auth, vendor_id, type="wbe", *, to=("verified",), **overrides) -> dict[str, Any]:
    """A certification recorded and moved through `to` (verified, unless told otherwise); returns it
    after the last move."""
    certification = await record_certification(client, auth, vendor_id, type=type, **overrides)
    for status in to:
        reason = None if status == "verified" else "Checked with the certifying agency."
        response = await move_certification(client, auth, certification["id"], status, reason)
        assert response.status_code == 200, response.text
        certification = response.json()
    return certification


# Solicitations


def solicitation_body(**overrides) -> dict[str, Any]:
    body = {
        "title": "Street resurfacing materials, Civic Center",
        "description": "Asphalt and aggregate for the Civic Center Master Plan streets.",
        "type": "ifb",
        "main_category": "goods",
        "buyer_department": "gsd",
        "estimated_value": {"amount": "250000.00", "currency": "USD"},
        "funding_source": "local",
        "items": [
            {
                "id": "1",
                "description": "Hot-mix asphalt",
                "classification": {"scheme": "nigp", "code": "74540"},
                "additional_classifications": [{"scheme": "unspsc", "code": "30111509"}],
                "quantity": "1200",
                "unit": "ton",
            },
            {
                "id": "2",
                "description": "Crushed aggregate base",
                "classification": {"scheme": "nigp", "code": "745-10"},
                "quantity": "800",
                "unit": "ton",
            },
        ],
        "enquiry_period": {"start": iso(T0), "end": iso(T0 + timedelta(days=20))},
        "tender_period": {"start": iso(TENDER_START), "end": iso(TENDER_END)},
    }
    return body | overrides


async def draft(client, auth, **overrides) -> dict[str, Any]:
    response = await client.post(SOLICITATIONS, json=solicitation_body(**overrides), headers=auth(WRITE))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def move_solicitation(client, auth, solicitation_id, to, reason=None, scopes=WRITE) -> httpx.Response:
    return await client.post(
        f"{SOLICITATIONS}/{solicitation_id}/transitions",
        json={"to": to, "reason": reason},
        headers=auth(scopes),
    )


async def published(client, auth, **overrides) -> dict[str, Any]:
    solicitation = await draft(client, auth, **overrides)
    response = await move_solicitation(client, auth, solicitation["id"], "published")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def supplier(auth, vendor_id, sub=None) -> dict[str, str]:
    """A supplier user's headers: the bid scope and the vendor it acts for."""
    return auth("procurement:bid", sub=sub or f"user-of-{vendor_id}", vendor=str(vendor_id))  # type: ignore[no-any-return]


# Bids

# A price no other test data contains, to look for in clear text.
SECRET_PRICE = "731942.17"


def bid_body(total="1000.00", lines=None, addenda=(), documents=()) -> dict[str, Any]:
    sealed: dict[str, Any] = {"total": {"amount": total, "currency": "USD"}}
    if lines is not None:
        sealed["line_prices"] = [
            {"item_id": item_id, "amount": {"amount": amount, "currency": "USD"}} for item_id, amount in lines
        ]
    if documents:
        sealed["financial_documents"] = list(documents)
    return {"acknowledged_addenda": list(addenda), "sealed": sealed}


def bids_url(solicitation) -> str:
    return f"{SOLICITATIONS}/{solicitation['id']}/bids"


async def submit(client, auth, solicitation, vendor_id, body=None) -> dict[str, Any]:
    response = await client.post(
        bids_url(solicitation), json=body or bid_body(), headers=supplier(auth, vendor_id)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


# Evaluation and awards


async def under_evaluation(client, auth, clock, prices, **overrides):
    """A published solicitation with one bid per price (from new active vendors), opened and moved to
    `evaluation`. Returns the solicitation, the vendor ids and the bid ids, in the order of `prices`."""
    solicitation = await published(client, auth, **overrides)
    vendor_ids = [
        await active_vendor(client, auth, name=f"Bidder {index} of {solicitation['reference']}")
        for index in range(len(prices))
    ]
    bid_ids = []
    for offset, (vendor_id, price) in enumerate(zip(vendor_ids, prices, strict=True)):
        clock.set(TENDER_START + timedelta(hours=1 + offset))
        bid_ids.append((await submit(client, auth, solicitation, vendor_id, bid_body(price)))["id"])
    clock.set(TENDER_END + timedelta(hours=1))
    for status in ("opened", "evaluation"):
        response = await move_solicitation(client, auth, solicitation["id"], status, scopes=EVALUATE)
        assert response.status_code == 200, response.text
    return solicitation, vendor_ids, bid_ids


def determinations_url(solicitation, bid_id) -> str:
    return f"{SOLICITATIONS}/{solicitation['id']}/bids/{bid_id}/determinations"


async def determine(
    client, auth, solicitation, bid_id, outcome, reason="Checked against the IFB."
) -> httpx.Response:
    return await client.post(
        determinations_url(solicitation, bid_id),
        json={"outcome": outcome, "reason": reason},
        headers=auth(EVALUATE),
    )


async def qualify(client, auth, solicitation, *bid_ids) -> None:
    for bid_id in bid_ids:
        for outcome in ("responsive", "responsible"):
            response = await determine(client, auth, solicitation, bid_id, outcome)
            assert response.status_code == 201, response.text


async def ranking(client, auth, solicitation) -> dict[str, Any]:
    response = await client.get(f"{SOLICITATIONS}/{solicitation['id']}/ranking", headers=auth(EVALUATE))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def issue_intent(client, auth, solicitation, bid_id) -> dict[str, Any]:
    response = await client.post(
        f"{SOLICITATIONS}/{solicitation['id']}/awards", json={"bid_id": bid_id}, headers=auth(EVALUATE)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def with_intent(client, auth, clock, prices, **overrides):
    """An evaluated solicitation whose every bid is qualified, and the intent to award the lowest."""
    solicitation, vendor_ids, bid_ids = await under_evaluation(client, auth, clock, prices, **overrides)
    await qualify(client, auth, solicitation, *bid_ids)
    clock.set(INTENT_AT)
    top = (await ranking(client, auth, solicitation))["bids"][0]["bid_id"]
    return solicitation, vendor_ids, bid_ids, await issue_intent(client, auth, solicitation, top)


async def move_award(client, auth, award_id, to, reason=None, scopes=EVALUATE) -> httpx.Response:
    return await client.post(
        f"{AWARDS}/{award_id}/transitions", json={"to": to, "reason": reason}, headers=auth(scopes)
    )


# Payments


async def contract_of(session, vendor_id, department="GSD", number=None) -> tuple[str, str]:
    """A contract held by the vendor, with the award, bid and solicitation it comes from (as the award
    process leaves them); returns (id, number)."""
    solicitation_id, bid_id, award_id, contract_id = (new_id() for _ in range(4))
    reference = f"IFB-2025-{uuid.uuid4().int % 10**6:06d}"
    number = number or f"C-2025-{uuid.uuid4().int % 10**6:06d}"
    opened = datetime(2025, 5, 1, 17, 0).astimezone()
    statements = [
        (
            "INSERT INTO vendors.solicitations (id, reference, ocid, status, title, type, main_category, "
            "buyer_department, funding_source, tender_period_start, tender_period_end, disclose_bid_count, "
            "published_at, opened_at, version, created_at, updated_at) VALUES (:s, :ref, :ocid, 'awarded', "
            "'Office supplies', 'ifb', 'goods', :dept, 'local', :start, :opened, false, :start, :opened, 5, "
            ":start, :opened)",
            {"ref": reference, "ocid": f"ocds-cityops-{reference}", "start": opened - timedelta(days=30)},
        ),
        (
            "INSERT INTO vendors.bids (id, solicitation_id, vendor_id, status, submitted_by, submitted_at, "
            "sealed_payload, receipt_hash, opened_total_amount, opened_total_currency, version, created_at, "
            "updated_at) VALUES (:b, :s, :v, 'opened', 'supplier', :submitted, 'gAAAAA', repeat('0', 64), "
            "50000, 'USD', 2, :submitted, :opened)",
            {"submitted": opened - timedelta(days=2)},
        ),
        (
            "INSERT INTO vendors.awards (id, solicitation_id, bid_id, vendor_id, rank, status, amount, currency, "
            "intent_notified_at, protest_window_ends_on, award_date, version, created_at, updated_at) VALUES "
            "(:a, :s, :b, :v, 1, 'active', 50000, 'USD', :opened, :window, :window, 2, :opened, :opened)",
            {"window": date(2025, 5, 8)},
        ),
        (
            "INSERT INTO vendors.contracts (id, number, award_id, solicitation_id, vendor_id, department, title, "
            "status, original_value_amount, value_amount, currency, period_start, period_end, signed_date, "
            "version, created_at, updated_at) VALUES (:c, :number, :a, :s, :v, :dept, 'Office supplies', "
            "'active', 50000, 50000, 'USD', :period_start, :period_end, :period_start, 1, :opened, :opened)",
            {"number": number, "period_start": date(2025, 6, 1), "period_end": date(2028, 5, 31)},
        ),
    ]
    ids = {"s": solicitation_id, "b": bid_id, "a": award_id, "c": contract_id, "v": vendor_id}
    for statement, values in statements:
        await session.execute(text(statement), {**ids, "dept": department, "opened": opened, **values})
    return str(contract_id), number


# Rows for the reports, written straight into the tables


def table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]


class Records:
    """Rows written straight into the tables through the test's session, as the other engineers' APIs
    would leave them; the payment lines are kept to compute the expected figures from."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.lines: list[dict[str, Any]] = []
        self.names: dict[uuid.UUID, str] = {}
        self._serial = 0

    def _next(self) -> int:
        self._serial += 1
        return self._serial

    async def _insert(self, model: Any, **values: Any) -> uuid.UUID:
        values.setdefault("id", new_id())
        await self.session.execute(insert(table(model)).values(**values))
        return uuid.UUID(str(values["id"]))

    async def vendor(
        self, name: str | None = None, *, status: str = "active", codes: Iterable[tuple[str, str]] = ()
    ) -> uuid.UUID:
        n = self._next()
        name = name or f"Report Test Vendor {n}"
        vendor_id = await self._insert(
            VendorRow,
            vendor_number=f"VND-R{uuid.uuid4().hex[:10]}",
            status=status,
            legal_name=name,
            normalized_name=name.lower(),
            search_text=name.lower(),
            entity_type="llc",
            version=1,
        )
        for scheme, code in codes:
            await self.session.execute(
                insert(table(VendorCommodityRow)).values(vendor_id=vendor_id, scheme=scheme, code=code)
            )
        self.names[vendor_id] = name
        return vendor_id

    async def certify(
        self,
        vendor_id: uuid.UUID,
        kind: str,
        start: date,
        end: date,
        *,
        status: str = "verified",
        ended_on: date | None = None,
    ) -> uuid.UUID:
        return await self._insert(
            CertificationRow,
            vendor_id=vendor_id,
            type=kind,
            agency_code="LA-BCA",
            certificate_number=f"RT-{self._next()}",
            effective_date=start,
            expiration_date=end,
            status=status,
            ended_on=ended_on,
            version=1,
        )

    async def pay(
        self,
        vendor_id: uuid.UUID,
        amount: str,
        paid: date,
        *,
        department: str = "GSD",
        code: str = "620-80-21",
        scheme: str = "nigp",
        tier: str = "prime",
        prime: uuid.UUID | None = None,
        contract: uuid.UUID | None = None,
        currency: str = "USD",
    ) -> dict[str, Any]:
        line = {
            "id": new_id(),
            "vendor_id": vendor_id,
            "prime_vendor_id": prime,
            "contract_id": contract,
            "department": department,
            "category_scheme": scheme,
            "category_code": code,
            "amount": Decimal(amount),
            "currency": currency,
            "paid_date": paid,
            "fiscal_year": fiscal_year(paid),
            "tier": tier,
        }
        await self.session.execute(insert(table(PaymentRow)).values(**line))
        self.lines.append(line)
        return line

    async def solicitation(
        self, *, closes: datetime, department: str = "GSD", code: str = "620-80-21", opened: bool = True
    ) -> uuid.UUID:
        n = self._next()
        item = {
            "id": "1",
            "description": "Goods",
            "classification": {"scheme": "nigp", "code": code},
            "additional_classifications": [],
            "quantity": "1",
            "unit": "each",
        }
        return await self._insert(
            SolicitationRow,
            reference=f"IFB-RT-{uuid.uuid4().hex[:8]}-{n}",
            ocid=f"ocds-rt-{uuid.uuid4().hex}",
            status="opened" if opened else "published",
            title=f"Report test solicitation {n}",
            type="ifb",
            main_category="goods",
            buyer_department=department,
            funding_source="local",
            items=[item],
            classification_codes=[f"nigp:{code}"],
            tender_period_start=closes - timedelta(days=30),
            tender_period_end=closes,
            disclose_bid_count=False,
            opened_at=closes + timedelta(hours=1) if opened else None,
            version=1,
        )

    async def bid(
        self,
        solicitation_id: uuid.UUID,
        vendor_id: uuid.UUID,
        *,
        status: str = "opened",
        total: str = "1000.00",
    ) -> uuid.UUID:
        opened = status in ("opened", "nonresponsive")
        return await self._insert(
            BidRow,
            solicitation_id=solicitation_id,
            vendor_id=vendor_id,
            status=status,
            submitted_by="report-test",
            submitted_at=datetime(2040, 1, 1, tzinfo=UTC),
            sealed_payload=None if status == "withdrawn" else "sealed",
            opened_total_amount=Decimal(total) if opened else None,
            opened_total_currency="USD" if opened else None,
            version=1,
        )

    async def award(
        self,
        solicitation_id: uuid.UUID,
        vendor_id: uuid.UUID,
        amount: str,
        award_date: date | None,
        *,
        status: str = "active",
        bid_id: uuid.UUID | None = None,
    ) -> uuid.UUID:
        """An award of `bid_id`, or of a bid made for it."""
        bid_id = bid_id or await self.bid(solicitation_id, vendor_id, total=amount)
        return await self._insert(
            AwardRow,
            solicitation_id=solicitation_id,
            bid_id=bid_id,
            vendor_id=vendor_id,
            rank=1,
            status=status,
            amount=Decimal(amount),
            currency="USD",
            intent_notified_at=datetime(2040, 1, 1, tzinfo=UTC),
            protest_window_ends_on=date(2040, 1, 8),
            award_date=award_date,
            version=1,
        )

    async def contract(
        self,
        award_id: uuid.UUID,
        solicitation_id: uuid.UUID,
        vendor_id: uuid.UUID,
        value: str,
        *,
        department: str,
    ) -> uuid.UUID:
        return await self._insert(
            ContractRow,
            number=f"C-RT-{uuid.uuid4().hex[:10]}",
            award_id=award_id,
            solicitation_id=solicitation_id,
            vendor_id=vendor_id,
            department=department,
            title="Report test contract",
            status="active",
            original_value_amount=Decimal(value),
            value_amount=Decimal(value),
            currency="USD",
            period_start=date(2040, 7, 1),
            period_end=date(2043, 6, 30),
            version=1,
        )

    async def subcontract(
        self,
        contract_id: uuid.UUID,
        sub_vendor_id: uuid.UUID,
        amount: str,
        committed: date,
        *,
        certification_type: str | None = None,
        status: str = "committed",
    ) -> uuid.UUID:
        return await self._insert(
            SubcontractRow,
            contract_id=contract_id,
            sub_vendor_id=sub_vendor_id,
            certification_type=certification_type,
            amount=Decimal(amount),
            committed_date=committed,
            status=status,
            version=1,
        )


def share(part: Decimal, whole: Decimal) -> str | None:
    if whole == 0:
        return None
    return str((part / whole).quantize(SIX, rounding=ROUND_HALF_UP))


def money(amount: Decimal) -> dict[str, str]:
    return {"amount": str(amount.quantize(CENT)), "currency": "USD"}


# The reports' histories, dated in FY2041–FY2042 so that no other data can mix in. FY2041 runs from
# July 1, 2040 to June 30, 2041.

LONG_AGO, FAR_AHEAD = date(2039, 1, 1), date(2044, 1, 1)


async def city_spend(records: Records) -> dict[str, uuid.UUID]:
    """Three vendors paid by three departments over FY2041 and FY2042, a correction, a sub-tier line, a
    line in another currency, and lines on and off contract."""
    contract = await _contract_for(records)
    paving, janitorial, printing = (
        await records.vendor("Boyle Heights Paving LLC"),
        await records.vendor("Eastside Janitorial Co."),
        await records.vendor("Crenshaw Printing Inc."),
    )
    pay = records.pay
    await pay(paving, "1200.00", date(2040, 7, 3), department="BSS", code="913-50-10", contract=contract)
    await pay(paving, "800.50", date(2040, 8, 15), department="BSS", code="913-50-10", contract=contract)
    await pay(paving, "-200.00", date(2040, 8, 20), department="BSS", code="913-50-10", contract=contract)
    await pay(paving, "3000.00", date(2040, 11, 2), department="DOT", code="913-50-22")
    await pay(janitorial, "450.25", date(2040, 7, 31), department="GSD", code="910-39-00")
    await pay(janitorial, "450.25", date(2040, 10, 1), department="GSD", code="910-39-00")
    await pay(janitorial, "99.75", date(2041, 3, 15), department="BSS", code="910-40-05")
    await pay(printing, "5000.00", date(2041, 6, 30), department="GSD", code="966-54-10")
    await pay(printing, "700.00", date(2041, 7, 1), department="GSD", code="966-54-10")
    await pay(printing, "1.00", date(2041, 7, 1), department="GSD", code="966-54-10", currency="EUR")
    await pay(
        janitorial, "300.00", date(2040, 9, 9), department="BSS", code="913-50-10", tier="sub", prime=paving
    )
    return {"paving": paving, "janitorial": janitorial, "printing": printing}


async def _contract_for(records: Records) -> uuid.UUID:
    holder = await records.vendor("Contract Holder LLC")
    solicitation = await records.solicitation(closes=datetime(2040, 5, 1, 17, tzinfo=UTC))
    award = await records.award(solicitation, holder, "9000.00", date(2040, 6, 1))
    return await records.contract(award, solicitation, holder, "9000.00", department="BSS")


@dataclass
class Tender:
    department: str
    code: str
    closes: datetime
    bidders: int
    award_date: date | None

    @property
    def close_day(self) -> date:
        return self.closes.astimezone(LOS_ANGELES).date()


async def tenders(records: Records) -> list[Tender]:
    """Opened solicitations of FY2041 with 0 to 3 bids (plus a withdrawn one), some awarded; one that was
    never opened and one of FY2042, which the FY2041 report leaves out."""
    bidders = [await records.vendor(f"Bidder {n}") for n in range(3)]
    # 23:30 on September 30 in Los Angeles is already October 1 in UTC: the close is in Q1.
    late_evening = datetime(2040, 9, 30, 23, 30, tzinfo=LOS_ANGELES).astimezone(UTC)
    plan = [
        Tender("GSD", "620-80-21", datetime(2040, 8, 1, 17, tzinfo=UTC), 3, date(2040, 9, 10)),
        Tender("GSD", "620-85-10", late_evening, 1, date(2040, 10, 31)),
        Tender("GSD", "913-50-10", datetime(2040, 11, 2, 17, tzinfo=UTC), 0, None),
        Tender("DOT", "913-50-10", datetime(2041, 2, 2, 17, tzinfo=UTC), 2, date(2041, 3, 4)),
        Tender("DOT", "913-50-22", datetime(2041, 3, 9, 17, tzinfo=UTC), 1, None),
        Tender("DOT", "913-50-22", datetime(2041, 5, 9, 17, tzinfo=UTC), 2, date(2041, 5, 20)),
        Tender("DOT", "913-60-00", datetime(2041, 8, 9, 17, tzinfo=UTC), 1, date(2041, 9, 1)),
    ]
    for tender in plan:
        solicitation = await records.solicitation(
            closes=tender.closes, department=tender.department, code=tender.code
        )
        bid_ids = [await records.bid(solicitation, bidders[n]) for n in range(tender.bidders)]
        if tender.bidders < 3:
            await records.bid(solicitation, bidders[2], status="withdrawn")
        if tender.award_date is not None:
            await records.award(solicitation, bidders[0], "1000.00", tender.award_date, bid_id=bid_ids[0])
    never_opened = await records.solicitation(closes=datetime(2040, 12, 1, 17, tzinfo=UTC), opened=False)
    await records.bid(never_opened, bidders[0], status="submitted")
    return plan


ONCE_VERIFIED = {"verified", "revoked", "superseded"}


@dataclass
class Cert:
    vendor: uuid.UUID
    kind: str
    start: date
    end: date
    status: str = "verified"
    ended_on: date | None = None

    def valid_on(self, day: date) -> bool:
        return (
            self.status in ONCE_VERIFIED
            and self.start <= day <= self.end
            and (self.ended_on is None or self.ended_on > day)
        )


@dataclass
class Unit:
    """A dollar amount judged on one day: an award, a commitment, a payment line."""

    vendor: uuid.UUID
    day: date
    amount: Decimal
    key: tuple[Any, ...]
    is_sub: bool = False
    prime: uuid.UUID | None = None
    prime_day: date | None = None
    declared: str | None = None


@dataclass
class World:
    """Certifications and the dollar units judged against them, kept as they are written."""

    records: Records
    certs: list[Cert] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)

    async def certify(self, vendor: uuid.UUID, kind: str, start: date, end: date, **kwargs: Any) -> None:
        await self.records.certify(vendor, kind, start, end, **kwargs)
        self.certs.append(Cert(vendor, kind, start, end, **kwargs))

    def types_on(self, vendor: uuid.UUID | None, day: date | None, declared: str | None = None) -> set[str]:
        return {
            c.kind
            for c in self.certs
            if c.vendor == vendor and day is not None and c.valid_on(day) and declared in (None, c.kind)
        }


async def payment_world(records: Records) -> World:
    """Prime and sub-tier lines; one prime's certification starts mid-year."""
    world = World(records)
    certified_late, plain, sub, mbe_prime = [await records.vendor(f"Payee {n}") for n in range(4)]
    await world.certify(certified_late, "lbe", date(2040, 10, 1), FAR_AHEAD)
    await world.certify(sub, "dbe", LONG_AGO, FAR_AHEAD)
    await world.certify(sub, "mbe", LONG_AGO, FAR_AHEAD)
    await world.certify(mbe_prime, "mbe", LONG_AGO, FAR_AHEAD)

    async def pay(vendor, amount, day, department, tier="prime", prime=None):
        await records.pay(vendor, amount, day, department=department, tier=tier, prime=prime)
        key = (department, fiscal_year(day), fiscal_quarter(day))
        world.units.append(Unit(vendor, day, Decimal(amount), key, tier == "sub", prime, day))

    await pay(certified_late, "1000.00", date(2040, 9, 30), "GSD")  # the day before it was certified
    await pay(certified_late, "1500.00", date(2040, 10, 1), "GSD")
    await pay(certified_late, "-100.00", date(2040, 10, 20), "GSD")
    await pay(plain, "4000.00", date(2040, 11, 11), "GSD")
    await pay(mbe_prime, "2500.00", date(2041, 1, 5), "DOT")
    await pay(sub, "800.00", date(2040, 12, 1), "GSD", tier="sub", prime=plain)
    await pay(sub, "300.00", date(2041, 1, 6), "DOT", tier="sub", prime=mbe_prime)
    return world
