"""Diversity utilisation through the HTTP API: award and payment basis, tier 1, tier 2 and both, each
certification judged on the day of its award, commitment or payment.

Expected rows are computed here from the inserted records with the definitions the report documents
(a certification counts on a day when it was verified, that day is within its dates, and it had not
been revoked or superseded by then), never by the service's own SQL.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.common.clock import fiscal_year
from tests.problems import assert_problem
from tests.vendors.factories import (
    FAR_AHEAD,
    LONG_AGO,
    READ,
    Records,
    Unit,
    World,
    money,
    payment_world,
    share,
)

DIVERSITY = "/v1/procurement/reports/diversity"
ZERO = Decimal(0)


def expected(world: World, tier: str) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Rows keyed (group key…, certification type), from the units, by the report's definitions."""
    numerators: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    vendors: dict[tuple[Any, ...], set[uuid.UUID]] = defaultdict(set)
    denominators: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    for unit in world.units:
        if not unit.is_sub:
            denominators[unit.key] += unit.amount
        if (tier == "tier_1" and unit.is_sub) or (tier == "tier_2" and not unit.is_sub):
            continue
        kinds = world.types_on(unit.vendor, unit.day, unit.declared)
        prime_kinds = world.types_on(unit.prime, unit.prime_day) if tier == "both" and unit.is_sub else set()
        for kind in kinds - prime_kinds:
            numerators[(*unit.key, kind)] += unit.amount
            vendors[(*unit.key, kind)].add(unit.vendor)
        if kinds - {"obe"} and not prime_kinds - {"obe"}:
            numerators[(*unit.key, "any")] += unit.amount
            vendors[(*unit.key, "any")].add(unit.vendor)
    keys = set(numerators) | {(*key, "any") for key in denominators}
    return {
        key: {
            "numerator": money(numerators[key]),
            "denominator": money(denominators[key[:-1]]),
            "share": share(numerators[key], denominators[key[:-1]]),
            "certified_vendor_count": len(vendors[key]),
        }
        for key in keys
    }


def served(items: list[dict[str, Any]], fields: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    measures = ("numerator", "denominator", "share", "certified_vendor_count")
    return {
        (*[item[f] for f in fields], item["certification_type"]): {m: item[m] for m in measures}
        for item in items
    }


async def report(client, auth, **params: Any) -> dict[str, Any]:
    response = await client.get(DIVERSITY, params={"page_size": 500, **params}, headers=auth(READ))
    assert response.status_code == 200, response.text
    return response.json()


# The records: FY2041 runs July 1, 2040 to June 30, 2041.


async def award_world(records: Records) -> World:
    """Awards to primes with and without valid certifications, and subcontracts under two of them."""
    world = World(records)
    wbe, mbe_wbe, lapsed, plain, revoked = [await records.vendor(f"Prime {n}") for n in range(5)]
    dbe_sub, declared_sub, obe_sub = [await records.vendor(f"Sub {n}") for n in range(3)]
    await world.certify(wbe, "wbe", LONG_AGO, FAR_AHEAD)
    await world.certify(mbe_wbe, "mbe", LONG_AGO, FAR_AHEAD)
    await world.certify(mbe_wbe, "wbe", LONG_AGO, FAR_AHEAD)
    await world.certify(lapsed, "sbe", LONG_AGO, date(2040, 9, 30))  # expired before its award
    await world.certify(revoked, "mbe", LONG_AGO, FAR_AHEAD, status="revoked", ended_on=date(2041, 2, 1))
    await world.certify(dbe_sub, "dbe", LONG_AGO, FAR_AHEAD)
    await world.certify(declared_sub, "wbe", LONG_AGO, FAR_AHEAD)
    await world.certify(obe_sub, "obe", LONG_AGO, FAR_AHEAD)
    await world.certify(await records.vendor("Pending"), "mbe", LONG_AGO, FAR_AHEAD, status="pending")

    async def award(vendor: uuid.UUID, amount: str, day: date, department: str, code: str, value: str | None):
        closes = datetime(day.year, day.month, 1, 17, tzinfo=UTC)
        solicitation = await records.solicitation(closes=closes, department="GSD", code=code)
        award_id = await records.award(solicitation, vendor, amount, day)
        contract = None
        if value is not None:
            contract = await records.contract(award_id, solicitation, vendor, value, department=department)
        key = (department if value is not None else "GSD", fiscal_year(day))
        world.units.append(Unit(vendor, day, Decimal(value or amount), key))
        return contract, key, day

    await award(wbe, "10000.00", date(2040, 8, 10), "DOT", "913-50-10", value="12000.00")
    await award(mbe_wbe, "5000.00", date(2040, 9, 1), "GSD", "620-80-21", value=None)
    await award(lapsed, "3000.00", date(2040, 11, 5), "DOT", "913-50-10", value="3000.00")
    plain_contract, plain_key, plain_day = await award(
        plain, "8000.00", date(2041, 1, 20), "BSS", "910-39-00", "8000.00"
    )
    await award(
        revoked, "4000.00", date(2041, 3, 3), "BSS", "910-39-00", value="4000.00"
    )  # after the revocation
    wbe_contract, wbe_key, wbe_day = await award(
        wbe, "2000.00", date(2041, 4, 4), "DOT", "913-50-10", "2000.00"
    )

    async def commit(contract, key, prime, prime_day, sub, amount, day, declared=None, status="committed"):
        await records.subcontract(contract, sub, amount, day, certification_type=declared, status=status)
        if status == "committed":
            world.units.append(Unit(sub, day, Decimal(amount), key, True, prime, prime_day, declared))

    await commit(plain_contract, plain_key, plain, plain_day, dbe_sub, "2000.00", date(2041, 2, 1))
    await commit(plain_contract, plain_key, plain, plain_day, declared_sub, "500.00", date(2041, 2, 1), "mbe")
    await commit(plain_contract, plain_key, plain, plain_day, obe_sub, "700.00", date(2041, 2, 1))
    await commit(
        plain_contract, plain_key, plain, plain_day, dbe_sub, "900.00", date(2041, 2, 1), status="cancelled"
    )
    await commit(wbe_contract, wbe_key, wbe, wbe_day, dbe_sub, "600.00", date(2041, 4, 10))
    await commit(wbe_contract, wbe_key, wbe, wbe_day, declared_sub, "300.00", date(2041, 4, 10), "wbe")

    # Not counted: an award not in force, and one in another fiscal year.
    other = await records.solicitation(closes=datetime(2040, 8, 1, 17, tzinfo=UTC))
    await records.award(other, wbe, "999.00", None, status="intent")
    # An award of FY2042: in the report when no fiscal year is asked.
    await award(wbe, "777.00", date(2041, 8, 20), "GSD", "913-50-10", value=None)
    return world


def totals(world: World) -> World:
    """The same units with the group key dropped (the City-wide lines)."""
    units = [
        Unit(u.vendor, u.day, u.amount, (), u.is_sub, u.prime, u.prime_day, u.declared) for u in world.units
    ]
    return World(world.records, world.certs, units)


def in_fiscal_year(world: World, year: int) -> World:
    return World(world.records, world.certs, [u for u in world.units if u.key[-1] == year])


@pytest.mark.parametrize("tier", ["tier_1", "tier_2", "both"])
async def test_award_basis(vendors, auth, records, tier):
    world = await award_world(records)
    body = await report(vendors, auth, basis="award", tier=tier, fiscal_year=2041)

    assert served(body["items"], ()) == expected(totals(in_fiscal_year(world, 2041)), tier)
    assert body["basis"] == "award" and body["tier"] == tier


async def test_award_basis_facts_a_buyer_would_check(vendors, auth, records):
    await award_world(records)
    rows = {
        row["certification_type"]: row for row in (await report(vendors, auth, fiscal_year=2041))["items"]
    }

    # 12000 (contract value, amendments applied) + 2000 + 5000 + 3000 + 8000 + 4000
    assert rows["any"]["denominator"] == money(Decimal("34000.00"))
    # WBE prime twice and the MBE+WBE prime once; the latter counted once in `any`.
    assert rows["wbe"]["numerator"] == money(Decimal("19000.00"))
    assert rows["any"]["numerator"] == money(Decimal("19000.00"))
    assert rows["any"]["certified_vendor_count"] == 2
    assert "sbe" not in rows, "a certification expired before the award date does not count"
    assert rows["mbe"]["numerator"] == money(Decimal("5000.00")), "nor one revoked before it"


async def test_award_basis_by_department_and_fiscal_year(vendors, auth, records):
    world = await award_world(records)
    body = await report(vendors, auth, tier="both", group_by=["department", "fiscal_year"])

    assert served(body["items"], ("department", "fiscal_year")) == expected(world, "both")
    keys = [(row["department"], row["fiscal_year"], row["certification_type"]) for row in body["items"]]
    assert keys == sorted(keys)


async def test_award_basis_by_category(vendors, auth, records):
    await award_world(records)
    body = await report(vendors, auth, group_by=["category"], category_level=1, fiscal_year=2041)

    categories = {(row["category_code"], row["certification_type"]): row for row in body["items"]}
    assert categories[("913", "any")]["denominator"] == money(Decimal("17000.00"))  # 12000 + 3000 + 2000
    assert categories[("913", "any")]["numerator"] == money(Decimal("14000.00"))
    assert categories[("620", "mbe")]["share"] == "1.000000"
    assert categories[("910", "any")]["numerator"] == money(ZERO)
    assert categories[("910", "any")]["share"] == "0.000000"


@pytest.mark.parametrize("tier", ["tier_1", "tier_2", "both"])
async def test_payment_basis_judges_each_line_on_its_day(vendors, auth, records, tier):
    world = await payment_world(records)
    body = await report(
        vendors, auth, basis="payment", tier=tier, group_by=["department", "quarter"], fiscal_year=2041
    )

    assert served(body["items"], ("department", "fiscal_year", "fiscal_quarter")) == expected(world, tier)


async def test_payment_basis_any_line_counts_a_dollar_once(vendors, auth, records):
    await payment_world(records)
    rows = {
        row["certification_type"]: row
        for row in (await report(vendors, auth, basis="payment", tier="both", fiscal_year=2041))["items"]
    }
    # 1500 − 100 (certified lines) + 2500 (MBE prime) + 800 (DBE/MBE sub under a plain prime); the 300
    # under the MBE prime is already inside its 2500.
    assert rows["any"]["numerator"] == money(Decimal("4700.00"))
    assert rows["any"]["denominator"] == money(Decimal("8900.00"))
    assert rows["dbe"]["numerator"] == money(Decimal("1100.00")), "the prime is not DBE: both sub lines"


async def test_date_range_selects_by_the_units_day(vendors, auth, records):
    world = await payment_world(records)
    body = await report(vendors, auth, basis="payment", date_from="2040-10-01", date_to="2040-12-31")

    chosen = World(
        records, world.certs, [u for u in world.units if date(2040, 10, 1) <= u.day <= date(2040, 12, 31)]
    )
    assert served(body["items"], ()) == expected(totals(chosen), "tier_1")


async def test_csv(vendors, auth, records):
    await award_world(records)
    params = {"tier": "both", "group_by": ["department"], "fiscal_year": 2041}
    response = await vendors.get(DIVERSITY, params={**params, "format": "csv"}, headers=auth(READ))

    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    items = (await report(vendors, auth, **params))["items"]
    assert [(r["department"], r["certification_type"], r["numerator"], r["share"]) for r in rows] == [
        (i["department"], i["certification_type"], i["numerator"]["amount"], i["share"] or "") for i in items
    ]


async def test_pages(vendors, auth, records):
    await award_world(records)
    seen, token = [], None
    while True:
        params = {"group_by": ["department"], "page_size": 3, **({"page_token": token} if token else {})}
        response = await vendors.get(DIVERSITY, params=params, headers=auth(READ))
        assert response.status_code == 200, response.text
        seen += response.json()["items"]
        token = response.json()["next_page_token"]
        if token is None:
            break
    assert seen == (await report(vendors, auth, group_by=["department"]))["items"]


async def test_reading_needs_the_read_scope(vendors, auth):
    assert_problem(await vendors.get(DIVERSITY), 401, "unauthorized")
    assert_problem(await vendors.get(DIVERSITY, headers=auth("procurement:bid")), 403, "forbidden")


@pytest.mark.parametrize(
    "params",
    [
        {"basis": "invoice"},
        {"tier": "3"},
        {"group_by": "vendor"},
        {"fiscal_year": "next"},
        {"date_from": "2041-01-02", "date_to": "2041-01-01"},
        {"category": "nigp"},
    ],
)
async def test_bad_parameters_are_422(vendors, auth, params):
    assert_problem(await vendors.get(DIVERSITY, params=params, headers=auth(READ)), 422, "validation-error")
