"""The releases of one contracting process, each as the process stood on the release's date.

A release is built from the process's rows and one event (see repository.events): what the event
changed, plus every party known by then with all its roles so far. Parties repeat in every release
because OCDS merges `roles` as a whole list: the latest release naming a party decides its roles in
the compiled release.

Sealed bids stay sealed: before the opening a release holds no price and no bidder, and a bid count
only when the solicitation discloses it; after it, the tabulation is public (`bids.details`).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from services.common.clock import CITY_TIME_ZONE, city_today
from services.common.reference import DEPARTMENTS
from services.vendors.agreements.repository import ContractRecord
from services.vendors.ocds.process import OPENED_BID_STATUSES, Certificates, Process, VendorNamed
from services.vendors.ocds.repository import (
    CertificateRecord,
    EventRecord,
    ProcessAwardRecord,
    ProcessBidRecord,
)
from services.vendors.solicitations.repository import StoredCode, StoredItem

# The scheme of suppliers' certifications in `parties.details.classifications`: a local scheme, named
# by country code first as OCDS asks of local schemes.
CERTIFICATION_SCHEME = "USA-LA-CERT"
VENDOR_SCHEME = "USA-LA-VENDOR"
CITY = "City of Los Angeles"

# OCDS codes for the City's own values.
PROCUREMENT_METHODS = {
    "ifb": ("open", "Invitation for bids (IFB)"),
    "rfp": ("open", "Request for proposals (RFP)"),
    "rfq": ("open", "Request for quotes (RFQ)"),
    "sole_source": ("direct", "Sole source"),
    "cooperative": ("direct", "Cooperative purchasing agreement"),
}
AWARD_CRITERIA = {"ifb": "priceOnly", "rfq": "priceOnly", "rfp": "ratedCriteria"}
ITEM_SCHEMES = {"nigp": "NIGP", "unspsc": "UNSPSC", "naics": "NAICS"}
TENDER_END_STATUSES = {"awarded": "complete", "cancelled": "cancelled", "unsuccessful": "unsuccessful"}
AWARD_STATUSES = {
    "intent": "pending",
    "stayed": "pending",
    "active": "active",
    "rejected": "unsuccessful",
    "cancelled": "cancelled",
}
CONTRACT_STATUSES = {
    "draft": "pending",
    "active": "active",
    "completed": "terminated",
    "terminated": "terminated",
}
ROLE_ORDER = ("buyer", "procuringEntity", "payer", "tenderer", "supplier", "payee")

# An OCDS document (a release or a part of one), as the wire model validates it.
Document = dict[str, Any]


def city_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CITY_TIME_ZONE)


def city_day_end(day: date) -> datetime:
    """Contract periods run through their last day, in Los Angeles."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=CITY_TIME_ZONE)


def department_party_id(code: str) -> str:
    return f"DEPT-{code}"


def department_name(code: str) -> str:
    return f"{CITY}, {DEPARTMENTS.get(code, code)}"


def _entity_id(event: EventRecord) -> uuid.UUID:
    """The row the event is about: every kind but the tender, the opening and the end names one."""
    if event.entity_id is None:
        raise ValueError(f"release {event.release_id} ({event.kind}) names no row")
    return event.entity_id


def _reference(party_id: str, name: str) -> Document:
    return {"id": party_id, "name": name}


def _vendor_reference(row: VendorNamed) -> Document:
    return _reference(row.vendor_number, row.vendor_name)


def _money(amount: Decimal, currency: str) -> Document:
    return {"amount": amount, "currency": currency}


def _compact(value: Any) -> Any:
    """Drops absent values: OCDS merging reads null as "clear this field"."""
    if isinstance(value, dict):
        return {key: _compact(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_compact(item) for item in value]
    return value


@dataclass
class _Party:
    id: str
    name: str
    roles: set[str]
    vendor_id: uuid.UUID | None = None


class ProcessReleases:
    """Builds the releases of one process. Ask `certification_days` first, then `release` per event
    with the certifications loaded for those days."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.solicitation = process.solicitation
        self.buyer = department_party_id(self.solicitation.buyer_department)

    # Parties

    def _parties(self, at: datetime) -> list[_Party]:
        """Every party known at `at`, with every role it had by then."""
        department = self.solicitation.buyer_department
        parties = {self.buyer: _Party(self.buyer, department_name(department), {"buyer", "procuringEntity"})}

        def vendor(row: VendorNamed, role: str) -> None:
            party = parties.setdefault(
                row.vendor_number,
                _Party(row.vendor_number, row.vendor_name, set(), row.vendor_id),
            )
            party.roles.add(role)

        if self.process.opened_by(at):
            for bid in self.process.opened_bids():
                vendor(bid, "tenderer")
            for award in self.process.awards:
                if award.intent_notified_at <= at:
                    vendor(award, "supplier")
            for paid in self.process.first_payments:
                if paid.first_at <= at:
                    vendor(paid, "payee")
                    payer = department_party_id(paid.department)
                    parties.setdefault(payer, _Party(payer, department_name(paid.department), set()))
                    parties[payer].roles.add("payer")
        return list(parties.values())

    def certification_days(self, dates: Iterable[datetime]) -> set[tuple[uuid.UUID, date]]:
        """The (vendor, day) pairs whose certifications the releases at these dates show."""
        return {
            (party.vendor_id, city_today(at))
            for at in dates
            for party in self._parties(at)
            if party.vendor_id is not None
        }

    def _party(self, party: _Party, at: datetime, certificates: Certificates) -> Document:
        document: Document = {
            "id": party.id,
            "name": party.name,
            "roles": [role for role in ROLE_ORDER if role in party.roles],
        }
        if party.vendor_id is not None:
            document["identifier"] = {"scheme": VENDOR_SCHEME, "id": party.id, "legalName": party.name}
            held = certificates.get((party.vendor_id, city_today(at)), [])
            # The extension asks for one classification or more, so a vendor holding none that day has
            # no `details`. A list replaces the one before it whole, but nothing can empty it: once
            # every certification has lapsed, a compiled release keeps the last ones published, each
            # saying through when it was valid.
            if held:
                document["details"] = {"classifications": [_classification(row) for row in held]}
        return document

    # Releases

    def release(self, event: EventRecord, certificates: Certificates) -> Document:
        at = event.date
        build = getattr(self, f"_{event.kind}")
        tags, sections = build(event, at, certificates)
        release = {
            "ocid": self.process.ocid,
            "id": event.release_id,
            "date": at,
            "tag": tags,
            "initiationType": "tender",
            "language": "en",
            "parties": [self._party(party, at, certificates) for party in self._parties(at)],
            "buyer": _reference(self.buyer, department_name(self.solicitation.buyer_department)),
            **sections,
        }
        compacted: Document = _compact(release)
        return compacted

    def _tender(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        s = self.solicitation
        method, method_details = PROCUREMENT_METHODS.get(s.type, (None, None))
        estimate = s.estimated_value_amount
        enquiry_start, enquiry_end = s.enquiry_period_start, s.enquiry_period_end
        tender = {
            "id": s.reference,
            "title": s.title,
            "description": s.description,
            "status": "active",
            "procuringEntity": _reference(self.buyer, department_name(s.buyer_department)),
            "items": [_item(item) for item in s.items],
            "value": {"amount": estimate, "currency": s.estimated_value_currency}
            if estimate is not None
            else None,
            "procurementMethod": method,
            "procurementMethodDetails": method_details,
            "mainProcurementCategory": s.main_category,
            "awardCriteria": AWARD_CRITERIA.get(s.type),
            "submissionMethod": ["electronicSubmission"],
            "tenderPeriod": self._tender_period(at),
            "enquiryPeriod": {"startDate": enquiry_start, "endDate": enquiry_end} if enquiry_start else None,
        }
        return ["tender"], {"tender": tender, "bids": self._bids_before_opening(at)}

    def _addendum(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        addendum = next(row for row in self.process.addenda if row.id == _entity_id(event))
        tender = {
            "id": self.solicitation.reference,
            "status": "active",
            "tenderPeriod": self._tender_period(at),
            "amendments": [
                {
                    "id": str(addendum.number),
                    "date": addendum.issued_at,
                    "description": addendum.description,
                    "rationale": addendum.title,
                }
            ],
        }
        return ["tenderAmendment"], {"tender": tender, "bids": self._bids_before_opening(at)}

    def _opening(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        opened = self.process.opened_bids()
        tenderers = {bid.vendor_number: _vendor_reference(bid) for bid in opened}
        tender = {
            "id": self.solicitation.reference,
            "status": "active",
            "numberOfTenderers": len(tenderers),
            "tenderers": list(tenderers.values()) or None,
        }
        bids = {
            "statistics": _opening_statistics(opened, at, certificates),
            "details": [_bid(bid) for bid in opened] or None,
        }
        return ["tenderUpdate"], {"tender": tender, "bids": bids}

    def _ended(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        status = event.detail or ""
        tender = {"id": self.solicitation.reference, "status": TENDER_END_STATUSES[status]}
        return ["tenderCancellation" if status == "cancelled" else "tenderUpdate"], {"tender": tender}

    def _award(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        award = self._award_row(event)
        return ["award"], {"awards": [self._award_document(award, "pending")]}

    def _award_update(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        award = self._award_row(event)
        status = AWARD_STATUSES[award.status]
        tag = "awardCancellation" if status == "cancelled" else "awardUpdate"
        return [tag], {"awards": [self._award_document(award, status)]}

    def _contract(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        contract = self._contract_row(_entity_id(event))
        # A contract changed since it was made shows its first state only where that is known: its
        # status and end may have moved since, and their later values come with the update.
        unchanged = contract.version == 1
        amended_end = any(
            row.new_period_end is not None
            for row in self.process.amendments
            if row.contract_id == contract.id
        )
        document = self._contract_base(contract) | {
            "status": CONTRACT_STATUSES[contract.status] if unchanged else None,
            "period": {
                "startDate": city_day_start(contract.period_start),
                "endDate": None if amended_end else city_day_end(contract.period_end),
            },
            "value": _money(contract.original_value_amount, contract.currency),
            "dateSigned": _day(contract.signed_date) if unchanged else None,
        }
        return ["contract"], {"contracts": [document]}

    def _contract_update(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        contract = self._contract_row(_entity_id(event))
        status = CONTRACT_STATUSES[contract.status]
        document = self._contract_base(contract) | {
            "status": status,
            "period": {
                "startDate": city_day_start(contract.period_start),
                "endDate": city_day_end(contract.period_end),
            },
            "value": _money(contract.value_amount, contract.currency),
            "dateSigned": _day(contract.signed_date),
        }
        ended = contract.status in ("completed", "terminated")
        return ["contractTermination" if ended else "contractUpdate"], {"contracts": [document]}

    def _amendment(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        amendment = next(row for row in self.process.amendments if row.id == _entity_id(event))
        contract = self._contract_row(amendment.contract_id)
        so_far = [
            row
            for row in self.process.amendments
            if row.contract_id == contract.id and row.number <= amendment.number
        ]
        ends = [row.new_period_end for row in so_far if row.new_period_end is not None]
        value = contract.original_value_amount + sum((row.value_change_amount for row in so_far), Decimal(0))
        document = self._contract_base(contract) | {
            "value": _money(value, contract.currency),
            "period": {"endDate": city_day_end(ends[-1])} if ends else None,
            "amendments": [
                {
                    "id": str(amendment.number),
                    "date": amendment.made_at,
                    "description": amendment.description,
                }
            ],
        }
        return ["contractAmendment"], {"contracts": [document]}

    def _payment(self, event: EventRecord, at: datetime, certificates: Certificates) -> Sections:
        payment = self.process.payments[_entity_id(event)]
        contract = self._contract_row(payment.contract_id)
        transaction = {
            "id": str(payment.id),
            "date": city_day_start(payment.paid_date),
            "value": _money(payment.amount, payment.currency),
            "payer": _reference(department_party_id(payment.department), department_name(payment.department)),
            "payee": _vendor_reference(payment),
        }
        document = self._contract_base(contract) | {"implementation": {"transactions": [transaction]}}
        return ["implementation"], {"contracts": [document]}

    # Pieces

    def _tender_period(self, at: datetime) -> Document:
        """The close as it stood at `at`: the original one, moved by each late addendum issued by then."""
        s = self.solicitation
        extensions = [row for row in self.process.addenda if row.close_extended_to is not None]
        close = extensions[0].close_extended_from if extensions else s.tender_period_end
        for row in extensions:
            if row.issued_at <= at:
                close = row.close_extended_to
        return {"startDate": s.tender_period_start, "endDate": close}

    def _bids_before_opening(self, at: datetime) -> Document | None:
        """The bid count, and nothing else, when the solicitation discloses it; else nothing at all."""
        if not self.solicitation.disclose_bid_count:
            return None
        received = [
            bid
            for bid in self.process.bids
            if bid.created_at <= at and (bid.withdrawn_at is None or bid.withdrawn_at > at)
        ]
        return {"statistics": [{"id": "bids", "measure": "bids", "value": len(received), "date": at}]}

    def _award_row(self, event: EventRecord) -> ProcessAwardRecord:
        return next(row for row in self.process.awards if row.id == _entity_id(event))

    def _award_document(self, award: ProcessAwardRecord, status: str) -> Document:
        return {
            "id": str(award.id),
            "title": f"{self.solicitation.reference}: award to {award.vendor_name}",
            "status": status,
            "date": award.intent_notified_at,
            "value": _money(award.amount, award.currency),
            "suppliers": [_vendor_reference(award)],
            # The bids extension's field at the version declared (v1.1.5): one bid, by its id.
            "relatedBid": str(award.bid_id),
        }

    def _contract_row(self, contract_id: uuid.UUID) -> ContractRecord:
        return next(row for row in self.process.contracts if row.id == contract_id)

    def _contract_base(self, contract: ContractRecord) -> Document:
        return {
            "id": str(contract.id),
            "awardID": str(contract.award_id),
            "title": contract.title,
            "description": f"City contract {contract.number}",
        }


Sections = tuple[list[str], Document]


def _day(day: date | None) -> datetime | None:
    return city_day_start(day) if day is not None else None


def _item(item: StoredItem) -> Document:
    return {
        "id": item["id"],
        "description": item["description"],
        "classification": _item_classification(item["classification"]),
        "additionalClassifications": [
            _item_classification(code) for code in item.get("additional_classifications", [])
        ]
        or None,
        "quantity": Decimal(item["quantity"]),
        "unit": {"name": item["unit"]},
    }


def _item_classification(code: StoredCode) -> Document:
    return {"scheme": ITEM_SCHEMES.get(code["scheme"], code["scheme"].upper()), "id": code["code"]}


def _classification(row: CertificateRecord) -> Document:
    code = row.type.upper()
    return {
        "scheme": CERTIFICATION_SCHEME,
        "id": code,
        "description": f"{code}, certified by {row.agency_name} (certificate {row.certificate_number}), "
        f"valid through {row.expiration_date.isoformat()}",
        "uri": row.agency_url,
    }


def _bid(bid: ProcessBidRecord) -> Document:
    return {
        "id": str(bid.id),
        "date": bid.submitted_at,
        "status": OPENED_BID_STATUSES[bid.status],
        "tenderers": [_vendor_reference(bid)],
        "value": _money(*_opened_total(bid)),
    }


def _opened_total(bid: ProcessBidRecord) -> tuple[Decimal, str]:
    """An opened bid's total: the opening writes it (the bids' `opened_prices` check)."""
    if bid.opened_total_amount is None or bid.opened_total_currency is None:
        raise ValueError(f"bid {bid.id} is `{bid.status}` without its opened total")
    return bid.opened_total_amount, bid.opened_total_currency


def _opening_statistics(
    opened: list[ProcessBidRecord], at: datetime, certificates: Certificates
) -> list[Document]:
    valid = [bid for bid in opened if bid.status == "opened"]
    statistics: list[Document] = [
        {"measure": "bids", "value": len(opened)},
        {"measure": "bidders", "value": len({bid.vendor_id for bid in opened})},
        {"measure": "validBids", "value": len(valid)},
        {"measure": "disqualifiedBidders", "value": len(opened) - len(valid)},
    ]
    if valid:
        currency = _opened_total(valid[0])[1]
        totals = [_opened_total(bid)[0] for bid in valid]
        statistics += [
            {"measure": "lowestValidBidValue", "value": min(totals), "currency": currency},
            {"measure": "highestValidBidValue", "value": max(totals), "currency": currency},
        ]
    day = city_today(at)
    certified: dict[str, int] = defaultdict(int)
    for bid in opened:
        for certification_type in {row.type for row in certificates.get((bid.vendor_id, day), [])}:
            certified[certification_type] += 1
    statistics += [
        {"measure": f"certified{_camel(kind)}Bids", "value": count, "notes": _certified_note(kind)}
        for kind, count in sorted(certified.items())
    ]
    return [{"id": statistic["measure"], "date": at, **statistic} for statistic in statistics]


def _camel(code: str) -> str:
    return "".join(part.capitalize() for part in code.split("_"))


def _certified_note(kind: str) -> str:
    return f"Bids from vendors holding a {kind.upper()} certification valid on the opening day."
