"""How alike two vendors are: pure functions over what each vendor record says about the firm.

The same TIN settles it (score 1.0). Otherwise each matching trait is a piece of evidence with a weight
(how often it alone means "same firm"), and the pieces combine as independent evidence,
1 - Π(1 - weight): two weak matches outrank one, and no number of them reaches the certainty of a TIN.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from rapidfuzz import fuzz

from services.vendors.contracts import DuplicateReason, DuplicateReasonCode
from services.vendors.registry.names import normalize_name
from services.vendors.registry.repository import StoredAddress, StoredContact

# Below this, names differ by more than a typo or a word order (e.g. "acme construction" and
# "acme consulting" are 0.81 alike, "acme construction" and "acme constructors" 0.88).
NAME_THRESHOLD = 0.85
NAME_WEIGHT = 0.7  # an identical name alone: many firms share a common name
ADDRESS_WEIGHT = 0.5  # shared offices and registered agents exist
PHONE_WEIGHT = 0.4  # a shared switchboard or bookkeeper is common
EMAIL_WEIGHT = 0.5

# USPS standard suffix and direction abbreviations (Publication 28), for the words vendors type out.
_STREET_WORDS = {
    "street": "st", "avenue": "ave", "av": "ave", "boulevard": "blvd", "drive": "dr", "road": "rd",
    "place": "pl", "lane": "ln", "court": "ct", "parkway": "pkwy", "highway": "hwy", "square": "sq",
    "terrace": "ter", "circle": "cir", "suite": "ste", "floor": "fl", "building": "bldg",
    "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw",
}  # fmt: skip
_NON_WORD = re.compile(r"[^\w\s]+")
_HOUSE_NUMBER = re.compile(r"^([0-9]+[a-z]?)\s")


class Party(Protocol):
    """What a vendor record says about the firm (names, addresses and contacts as stored)."""

    @property
    def legal_name(self) -> str: ...
    @property
    def dba_names(self) -> list[str]: ...
    @property
    def addresses(self) -> list[StoredAddress]: ...
    @property
    def contacts(self) -> list[StoredContact]: ...


@dataclass(frozen=True)
class Traits:
    """What duplicate detection compares, normalised: names, (street line, postal code), phones, emails."""

    names: frozenset[str]
    addresses: frozenset[tuple[str, str]]
    phones: frozenset[str]
    emails: frozenset[str]
    tin_fingerprint: str | None = None


def traits_of(party: Party | Mapping[str, Any], tin_fingerprint: str | None) -> Traits:
    """From a vendor record, or a mapping of the same fields as stored."""
    if isinstance(party, Mapping):
        legal_name, dba_names = party["legal_name"], party["dba_names"]
        stored_addresses, contacts = party["addresses"], party["contacts"]
    else:
        legal_name, dba_names = party.legal_name, party.dba_names
        stored_addresses, contacts = party.addresses, party.contacts
    names = {normalize_name(name) for name in [legal_name, *dba_names]}
    addresses = {
        (normalize_street(address["line1"]), normalize_postal_code(address["postal_code"]))
        for address in stored_addresses
    }
    phones = {normalize_phone(c["phone"]) for c in contacts if c.get("phone")}
    emails = {c["email"].strip().lower() for c in contacts if c.get("email")}
    return Traits(
        names=frozenset(name for name in names if name),
        addresses=frozenset(addresses),
        phones=frozenset(phone for phone in phones if phone),
        emails=frozenset(emails),
        tin_fingerprint=tin_fingerprint,
    )


def normalize_street(line1: str) -> str:
    text = unicodedata.normalize("NFKC", line1).casefold()
    words = _NON_WORD.sub(" ", text).split()
    return " ".join(_STREET_WORDS.get(word, word) for word in words)


def house_number(line1: str) -> str | None:
    """The leading street number of an address line (`200` of `200 N Spring St`), if it has one."""
    match = _HOUSE_NUMBER.match(normalize_street(line1) + " ")
    return match.group(1) if match else None


def normalize_postal_code(postal_code: str) -> str:
    """US ZIP+4 compares as its ZIP (`90012-3456` → `90012`); other codes upper case, no spaces."""
    compact = postal_code.replace(" ", "").upper()
    if re.fullmatch(r"[0-9]{5}(-?[0-9]{4})?", compact):
        return compact[:5]
    return compact


def normalize_phone(phone: str) -> str | None:
    """The digits; a North American number without its country code 1. None when too short to mean
    anything (fewer than 7 digits)."""
    digits = re.sub(r"[^0-9]", "", phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) >= 7 else None


def name_similarity(a: str, b: str) -> float:
    """0..1: the better of the plain edit ratio (catches `bright star` / `brightstar`) and the
    token-sorted one (catches `construction acme` / `acme construction`)."""
    return max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100


def compare(subject: Traits, other: Traits) -> tuple[float, list[DuplicateReason]]:
    """The score (0..1) and the reasons, strongest first. No reasons: score 0."""
    reasons = [
        reason
        for reason in (
            _same_tin(subject, other),
            _similar_name(subject, other),
            _shared(DuplicateReasonCode.same_address, ADDRESS_WEIGHT, subject.addresses, other.addresses),
            _shared(DuplicateReasonCode.same_phone, PHONE_WEIGHT, subject.phones, other.phones),
            _shared(DuplicateReasonCode.same_email, EMAIL_WEIGHT, subject.emails, other.emails),
        )
        if reason is not None
    ]
    reasons.sort(key=lambda reason: reason.weight, reverse=True)
    return combine(reason.weight for reason in reasons), reasons


def combine(weights: Iterable[float]) -> float:
    unlikely = 1.0
    for weight in weights:
        unlikely *= 1.0 - weight
    return round(1.0 - unlikely, 3)


def _same_tin(subject: Traits, other: Traits) -> DuplicateReason | None:
    if subject.tin_fingerprint is None or subject.tin_fingerprint != other.tin_fingerprint:
        return None
    return DuplicateReason(
        code=DuplicateReasonCode.same_tin,
        weight=1.0,
        detail="Same taxpayer identification number (matched by its fingerprint).",
    )


def _similar_name(subject: Traits, other: Traits) -> DuplicateReason | None:
    best, pair = 0.0, ("", "")
    for mine in subject.names:
        for theirs in other.names:
            similarity = name_similarity(mine, theirs)
            if similarity > best:
                best, pair = similarity, (mine, theirs)
    if best < NAME_THRESHOLD:
        return None
    return DuplicateReason(
        code=DuplicateReasonCode.similar_name,
        weight=round(NAME_WEIGHT * best, 3),
        detail=f"Names {best:.0%} alike: '{pair[0]}' and '{pair[1]}'.",
    )


def _shared(
    code: DuplicateReasonCode, weight: float, mine: frozenset[Any], theirs: frozenset[Any]
) -> DuplicateReason | None:
    common = sorted(mine & theirs)
    if not common:
        return None
    shown = ", ".join(part for part in common[0]) if isinstance(common[0], tuple) else str(common[0])
    return DuplicateReason(
        code=code, weight=weight, detail=f"Same {code.value.removeprefix('same_')}: {shown}."
    )
