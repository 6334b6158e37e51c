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
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from services.common.reference import DEPARTMENTS
from services.vendors.certifications.validity import CITY_TIME_ZONE, city_today

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
OPENED_BID_STATUSES = {"opened": "valid", "nonresponsive": "disqualified"}
ROLE_ORDER = ("buyer", "procuringEntity", "payer", "tenderer", "supplier", "payee")

# (vendor id, Los Angeles day) → the certifications valid that day.
Certificates = dict[tuple[uuid.UUID, date], list[dict[str, Any]]]


@dataclass
class Process:
    """The rows of one contracting process that its releases are made of."""

    solicitation: dict[str, Any]
    addenda: list[dict[str, Any]] = field(default_factory=list)
    bids: list[dict[str, Any]] = field(default_factory=list)
    awards: list[dict[str, Any]] = field(default_factory=list)
    contracts: list[dict[str, Any]] = field(default_factory=list)
    amendments: list[dict[str, Any]] = field(default_factory=list)
    # Only the payments whose releases are being built; `first_payments` gives everyone's roles.
    payments: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    first_payments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ocid(self) -> str:
        ocid: str = self.solicitation["ocid"]
        return ocid

    def opened_by(self, at: datetime) -> bool:
        opened_at = self.solicitation["opened_at"]
        return opened_at is not None and opened_at <= at

    def opened_bids(self) -> list[dict[str, Any]]:
        return [bid for bid in self.bids if bid["status"] in OPENED_BID_STATUSES]


def city_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CITY_TIME_ZONE)


def city_day_end(day: date) -> datetime:
    """Contract periods run through their last day, in Los Angeles."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=CITY_TIME_ZONE)


def department_party_id(code: str) -> str:
    return f"DEPT-{code}"


def department_name(code: str) -> str:
    return f"{CITY}, {DEPARTMENTS.get(code, code)}"


def _reference(party_id: str, name: str) -> dict[str, Any]:
    return {"id": party_id, "name": name}


def _vendor_reference(row: dict[str, Any]) -> dict[str, Any]:
    return _reference(row["vendor_number"], row["vendor_name"])


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
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
        self.buyer = department_party_id(self.solicitation["buyer_department"])

    # Parties

    def _parties(self, at: datetime) -> list[_Party]:
        """Every party known at `at`, with every role it had by then."""
        department = self.solicitation["buyer_department"]
        parties = {self.buyer: _Party(self.buyer, department_name(department), {"buyer", "procuringEntity"})}

        def vendor(row: dict[str, Any], role: str) -> None:
            party = parties.setdefault(
                row["vendor_number"],
                _Party(row["vendor_number"], row["vendor_name"], set(), row["vendor_id"]),
            )
            party.roles.add(role)

        if self.process.opened_by(at):
            for bid in self.process.opened_bids():
                vendor(bid, "tenderer")
            for award in self.process.awards:
                if award["intent_notified_at"] <= at:
                    vendor(award, "supplier")
            for paid in self.process.first_payments:
                if paid["first_at"] <= at:
                    vendor(paid, "payee")
                    payer = department_party_id(paid["department"])
                    parties.setdefault(payer, _Party(payer, department_name(paid["department"]), set()))
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

    def _party(self, party: _Party, at: datetime, certificates: Certificates) -> dict[str, Any]:
        document: dict[str, Any] = {
            "id": party.id,
            "name": party.name,
            "roles": [role for role in ROLE_ORDER if role in party.roles],
        }
        if party.vendor_id is not None:
            document["identifier"] = {"scheme": VENDOR_SCHEME, "id": party.id, "legalName": party.name}
            held = certificates.get((party.vendor_id, city_today(at)), [])
            # Present even when empty: the latest release decides, so a lapsed certification drops out.
            document["details"] = {"classifications": [_classification(row) for row in held]}
        return document

    # Releases

    def release(self, event: dict[str, Any], certificates: Certificates) -> dict[str, Any]:
        at: datetime = event["date"]
        build = getattr(self, f"_{event['kind']}")
        tags, sections = build(event, at, certificates)
        release = {
            "ocid": self.process.ocid,
            "id": event["release_id"],
            "date": at,
            "tag": tags,
            "initiationType": "tender",
            "language": "en",
            "parties": [self._party(party, at, certificates) for party in self._parties(at)],
            "buyer": _reference(self.buyer, department_name(self.solicitation["buyer_department"])),
            **sections,
        }
        compacted: dict[str, Any] = _compact(release)
        return compacted

    def _tender(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        s = self.solicitation
        method, method_details = PROCUREMENT_METHODS.get(s["type"], (None, None))
        estimate = s["estimated_value_amount"]
        enquiry_start, enquiry_end = s["enquiry_period_start"], s["enquiry_period_end"]
        tender = {
            "id": s["reference"],
            "title": s["title"],
            "description": s["description"],
            "status": "active",
            "procuringEntity": _reference(self.buyer, department_name(s["buyer_department"])),
            "items": [_item(item) for item in s["items"]],
            "value": _money(estimate, s["estimated_value_currency"]) if estimate is not None else None,
            "procurementMethod": method,
            "procurementMethodDetails": method_details,
            "mainProcurementCategory": s["main_category"],
            "awardCriteria": AWARD_CRITERIA.get(s["type"]),
            "submissionMethod": ["electronicSubmission"],
            "tenderPeriod": self._tender_period(at),
            "enquiryPeriod": {"startDate": enquiry_start, "endDate": enquiry_end} if enquiry_start else None,
        }
        return ["tender"], {"tender": tender, "bids": self._bids_before_opening(at)}

    def _addendum(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        addendum = next(row for row in self.process.addenda if row["id"] == event["entity_id"])
        tender = {
            "id": self.solicitation["reference"],
            "status": "active",
            "tenderPeriod": self._tender_period(at),
            "amendments": [
                {
                    "id": str(addendum["number"]),
                    "date": addendum["issued_at"],
                    "description": addendum["description"],
                    "rationale": addendum["title"],
                }
            ],
        }
        return ["tenderAmendment"], {"tender": tender, "bids": self._bids_before_opening(at)}

    def _opening(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        opened = self.process.opened_bids()
        tenderers = {bid["vendor_number"]: _vendor_reference(bid) for bid in opened}
        tender = {
            "id": self.solicitation["reference"],
            "status": "active",
            "numberOfTenderers": len(tenderers),
            "tenderers": list(tenderers.values()) or None,
        }
        bids = {
            "statistics": _opening_statistics(opened, at, certificates),
            "details": [_bid(bid) for bid in opened] or None,
        }
        return ["tenderUpdate"], {"tender": tender, "bids": bids}

    def _ended(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        status = event["detail"]
        tender = {"id": self.solicitation["reference"], "status": TENDER_END_STATUSES[status]}
        return ["tenderCancellation" if status == "cancelled" else "tenderUpdate"], {"tender": tender}

    def _award(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        award = self._award_row(event)
        return ["award"], {"awards": [self._award_document(award, "pending")]}

    def _award_update(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        award = self._award_row(event)
        status = AWARD_STATUSES[award["status"]]
        tag = "awardCancellation" if status == "cancelled" else "awardUpdate"
        return [tag], {"awards": [self._award_document(award, status)]}

    def _contract(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        contract = self._contract_row(event["entity_id"])
        # A contract changed since it was made shows its first state only where that is known: its
        # status and end may have moved since, and their later values come with the update.
        unchanged = contract["version"] == 1
        amended_end = any(
            row["new_period_end"] is not None
            for row in self.process.amendments
            if row["contract_id"] == contract["id"]
        )
        document = self._contract_base(contract) | {
            "status": CONTRACT_STATUSES[contract["status"]] if unchanged else None,
            "period": {
                "startDate": city_day_start(contract["period_start"]),
                "endDate": None if amended_end else city_day_end(contract["period_end"]),
            },
            "value": _money(contract["original_value_amount"], contract["currency"]),
            "dateSigned": _day(contract["signed_date"]) if unchanged else None,
        }
        return ["contract"], {"contracts": [document]}

    def _contract_update(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        contract = self._contract_row(event["entity_id"])
        status = CONTRACT_STATUSES[contract["status"]]
        document = self._contract_base(contract) | {
            "status": status,
            "period": {
                "startDate": city_day_start(contract["period_start"]),
                "endDate": city_day_end(contract["period_end"]),
            },
            "value": _money(contract["value_amount"], contract["currency"]),
            "dateSigned": _day(contract["signed_date"]),
        }
        ended = contract["status"] in ("completed", "terminated")
        return ["contractTermination" if ended else "contractUpdate"], {"contracts": [document]}

    def _amendment(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        amendment = next(row for row in self.process.amendments if row["id"] == event["entity_id"])
        contract = self._contract_row(amendment["contract_id"])
        so_far = [
            row
            for row in self.process.amendments
            if row["contract_id"] == contract["id"] and row["number"] <= amendment["number"]
        ]
        ends = [row["new_period_end"] for row in so_far if row["new_period_end"] is not None]
        value = contract["original_value_amount"] + sum(
            (row["value_change_amount"] for row in so_far), Decimal(0)
        )
        document = self._contract_base(contract) | {
            "value": _money(value, contract["currency"]),
            "period": {"endDate": city_day_end(ends[-1])} if ends else None,
            "amendments": [
                {
                    "id": str(amendment["number"]),
                    "date": amendment["made_at"],
                    "description": amendment["description"],
                }
            ],
        }
        return ["contractAmendment"], {"contracts": [document]}

    def _payment(self, event: dict[str, Any], at: datetime, certificates: Certificates) -> Sections:
        payment = self.process.payments[event["entity_id"]]
        contract = self._contract_row(payment["contract_id"])
        transaction = {
            "id": str(payment["id"]),
            "date": city_day_start(payment["paid_date"]),
            "value": _money(payment["amount"], payment["currency"]),
            "payer": _reference(
                department_party_id(payment["department"]), department_name(payment["department"])
            ),
            "payee": _vendor_reference(payment),
        }
        document = self._contract_base(contract) | {"implementation": {"transactions": [transaction]}}
        return ["implementation"], {"contracts": [document]}

    # Pieces

    def _tender_period(self, at: datetime) -> dict[str, Any]:
        """The close as it stood at `at`: the original one, moved by each late addendum issued by then."""
        s = self.solicitation
        extensions = [row for row in self.process.addenda if row["close_extended_to"] is not None]
        close = extensions[0]["close_extended_from"] if extensions else s["tender_period_end"]
        for row in extensions:
            if row["issued_at"] <= at:
                close = row["close_extended_to"]
        return {"startDate": s["tender_period_start"], "endDate": close}

    def _bids_before_opening(self, at: datetime) -> dict[str, Any] | None:
        """The bid count, and nothing else, when the solicitation discloses it; else nothing at all."""
        if not self.solicitation["disclose_bid_count"]:
            return None
        received = [
            bid
            for bid in self.process.bids
            if bid["created_at"] <= at and (bid["withdrawn_at"] is None or bid["withdrawn_at"] > at)
        ]
        return {"statistics": [{"id": "bids", "measure": "bids", "value": len(received), "date": at}]}

    def _award_row(self, event: dict[str, Any]) -> dict[str, Any]:
        return next(row for row in self.process.awards if row["id"] == event["entity_id"])

    def _award_document(self, award: dict[str, Any], status: str) -> dict[str, Any]:
        return {
            "id": str(award["id"]),
            "title": f"{self.solicitation['reference']}: award to {award['vendor_name']}",
            "status": status,
            "date": award["intent_notified_at"],
            "value": _money(award["amount"], award["currency"]),
            "suppliers": [_vendor_reference(award)],
            "relatedBids": [str(award["bid_id"])],
        }

    def _contract_row(self, contract_id: uuid.UUID) -> dict[str, Any]:
        return next(row for row in self.process.contracts if row["id"] == contract_id)

    def _contract_base(self, contract: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(contract["id"]),
            "awardID": str(contract["award_id"]),
            "title": contract["title"],
            "description": f"City contract {contract['number']}",
        }


Sections = tuple[list[str], dict[str, Any]]


def _day(day: date | None) -> datetime | None:
    return city_day_start(day) if day is not None else None


def _item(item: dict[str, Any]) -> dict[str, Any]:
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


def _item_classification(code: dict[str, Any]) -> dict[str, Any]:
    return {"scheme": ITEM_SCHEMES.get(code["scheme"], code["scheme"].upper()), "id": code["code"]}


def _classification(row: dict[str, Any]) -> dict[str, Any]:
    code = row["type"].upper()
    return {
        "scheme": CERTIFICATION_SCHEME,
        "id": code,
        "description": f"{code}, certified by {row['agency_name']} (certificate {row['certificate_number']}), "
        f"valid through {row['expiration_date'].isoformat()}",
        "uri": row["agency_url"],
    }


def _bid(bid: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(bid["id"]),
        "date": bid["submitted_at"],
        "status": OPENED_BID_STATUSES[bid["status"]],
        "tenderers": [_vendor_reference(bid)],
        "value": _money(bid["opened_total_amount"], bid["opened_total_currency"]),
    }


def _opening_statistics(
    opened: list[dict[str, Any]], at: datetime, certificates: Certificates
) -> list[dict[str, Any]]:
    valid = [bid for bid in opened if bid["status"] == "opened"]
    statistics: list[dict[str, Any]] = [
        {"measure": "bids", "value": len(opened)},
        {"measure": "bidders", "value": len({bid["vendor_id"] for bid in opened})},
        {"measure": "validBids", "value": len(valid)},
        {"measure": "disqualifiedBidders", "value": len(opened) - len(valid)},
    ]
    if valid:
        currency = valid[0]["opened_total_currency"]
        totals = [bid["opened_total_amount"] for bid in valid]
        statistics += [
            {"measure": "lowestValidBidValue", "value": min(totals), "currency": currency},
            {"measure": "highestValidBidValue", "value": max(totals), "currency": currency},
        ]
    day = city_today(at)
    certified: dict[str, int] = defaultdict(int)
    for bid in opened:
        for certification_type in {row["type"] for row in certificates.get((bid["vendor_id"], day), [])}:
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
