"""The competition report through the HTTP API: bidders per solicitation, single bids, time to award,
by department, category and period of the close (the City's calendar day); and the vendor pool: who
the City can buy from per commodity code, and where that pool is thin.

Expected figures are computed here from the solicitations and bids the test inserted.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from services.common.clock import city_today, fiscal_quarter, fiscal_year
from tests.problems import assert_problem
from tests.vendors.factories import CENT, READ, Records, Tender, money, share, tenders

COMPETITION = "/v1/procurement/reports/competition"


def average(values: list[Any]) -> str | None:
    if not values:
        return None
    return str((Decimal(sum(values)) / len(values)).quantize(CENT, ROUND_HALF_UP))


def expected(tenders: list[Tender], key) -> dict[tuple[Any, ...], dict[str, Any]]:
    groups: dict[tuple[Any, ...], list[Tender]] = defaultdict(list)
    for tender in tenders:
        groups[key(tender)].append(tender)
    result = {}
    for group, members in groups.items():
        bids = [t.bidders for t in members]
        days = [(t.award_date - t.close_day).days for t in members if t.award_date is not None]
        result[group] = {
            "solicitation_count": len(members),
            "bid_count": sum(bids),
            "average_bidders": average(bids),
            "single_bid_count": bids.count(1),
            "single_bid_rate": share(Decimal(bids.count(1)), Decimal(len(bids))),
            "no_bid_count": bids.count(0),
            "awarded_count": len(days),
            "average_days_to_award": average(days),
            "median_days_to_award": str(Decimal(statistics.median(days)).quantize(CENT)) if days else None,
        }
    return result


MEASURES = (
    "solicitation_count", "bid_count", "average_bidders", "single_bid_count", "single_bid_rate",
    "no_bid_count", "awarded_count", "average_days_to_award", "median_days_to_award",
)  # fmt: skip


def served(items: list[dict[str, Any]], fields: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(item[f] for f in fields): {m: item[m] for m in MEASURES} for item in items}


async def report(client, auth, **params: Any) -> dict[str, Any]:
    response = await client.get(COMPETITION, params={"page_size": 500, **params}, headers=auth(READ))
    assert response.status_code == 200, response.text
    return response.json()


def in_fy(plan: list[Tender], year: int) -> list[Tender]:
    return [t for t in plan if fiscal_year(t.close_day) == year]


async def test_city_wide_figures(vendors, auth, records):
    plan = await tenders(records)
    body = await report(vendors, auth, fiscal_year=2041)

    assert served(body["items"], ()) == expected(in_fy(plan, 2041), lambda t: ())
    [row] = body["items"]
    assert row["solicitation_count"] == 6 and row["single_bid_count"] == 2 and row["no_bid_count"] == 1


async def test_a_year_without_solicitations_is_one_row_of_zeros(vendors, auth):
    [row] = (await report(vendors, auth, fiscal_year=2077))["items"]
    assert (row["solicitation_count"], row["bid_count"], row["single_bid_count"]) == (0, 0, 0)
    assert row["average_bidders"] is None and row["single_bid_rate"] is None


async def test_by_department_and_quarter_of_the_close(vendors, auth, records):
    plan = await tenders(records)
    body = await report(vendors, auth, group_by=["department", "quarter"], fiscal_year=2041)

    def key(t: Tender) -> tuple[Any, ...]:
        return (t.department, fiscal_year(t.close_day), fiscal_quarter(t.close_day))

    assert served(body["items"], ("department", "fiscal_year", "fiscal_quarter")) == expected(
        in_fy(plan, 2041), key
    )
    gsd_q1 = next(i for i in body["items"] if (i["department"], i["fiscal_quarter"]) == ("GSD", 1))
    assert gsd_q1["solicitation_count"] == 2, "a close late on September 30 in Los Angeles is in Q1"


async def test_by_category_and_fiscal_year(vendors, auth, records):
    plan = await tenders(records)
    body = await report(vendors, auth, group_by=["category", "fiscal_year"], category_level=2)

    def key(t: Tender) -> tuple[Any, ...]:
        return ("nigp", t.code[:6], fiscal_year(t.close_day))

    assert served(body["items"], ("category_scheme", "category_code", "fiscal_year")) == expected(plan, key)


async def test_filters(vendors, auth, records):
    plan = await tenders(records)
    body = await report(
        vendors,
        auth,
        department=["DOT"],
        category="nigp:913-50",
        date_from="2041-03-01",
        date_to="2041-12-31",
    )

    chosen = [
        t for t in plan
        if t.department == "DOT" and t.code.startswith("913-50") and date(2041, 3, 1) <= t.close_day
    ]  # fmt: skip
    assert served(body["items"], ()) == expected(chosen, lambda t: ())


async def test_csv_and_pages(vendors, auth, records):
    await tenders(records)
    params = {"group_by": ["category"], "category_level": 3}
    rows = list(csv.DictReader(io.StringIO((await vendors.get(
        COMPETITION, params={**params, "format": "csv"}, headers=auth(READ)
    )).text)))  # fmt: skip
    paged, token = [], None
    while True:
        page = await vendors.get(
            COMPETITION, params={**params, "page_size": 2, **({"page_token": token} if token else {})},
            headers=auth(READ),
        )  # fmt: skip
        paged += page.json()["items"]
        token = page.json()["next_page_token"]
        if token is None:
            break
    assert [r["category_code"] for r in rows] == [i["category_code"] for i in paged]
    assert [r["median_days_to_award"] for r in rows] == [i["median_days_to_award"] or "" for i in paged]
    assert len(paged) == 5


async def test_reading_needs_the_read_scope(vendors, auth):
    assert_problem(await vendors.get(COMPETITION), 401, "unauthorized")
    assert_problem(await vendors.get(COMPETITION, headers=auth("procurement:write")), 403, "forbidden")


@pytest.mark.parametrize(
    "params", [{"group_by": "vendor"}, {"category_level": 0}, {"department": "NOPE"}, {"date_from": "soon"}]
)
async def test_bad_parameters_are_422(vendors, auth, params):
    assert_problem(await vendors.get(COMPETITION, params=params, headers=auth(READ)), 422, "validation-error")


# Vendor pool

POOL = "/v1/procurement/reports/vendor-pool"


@dataclass
class Registration:
    status: str
    codes: tuple[str, ...]
    certificates: tuple[tuple[str, int, int], ...] = ()  # (type, first and last day, from today)

    def certified_today(self) -> bool:
        return self.status == "active" and any(
            kind != "obe" and a <= 0 <= b for kind, a, b in self.certificates
        )


POOL_REGISTRATIONS = [
    Registration("active", ("997-10-01", "997-10-02")),
    Registration("active", ("997-10-05",), (("mbe", -30, 300),)),
    Registration("submitted", ("997-20-01",), (("wbe", -30, 300),)),
    Registration("merged", ("997-10-03",)),
    Registration("active", ("997-20-01",), (("sbe", -400, -1),)),
    Registration("active", ("997-30-00",), (("obe", -30, 300),)),
]
POOL_SPEND = {"997-20-01": Decimal("1200.00"), "997-40-00": Decimal("350.00")}


async def vendor_pool(records: Records) -> None:
    today = city_today()
    for registration in POOL_REGISTRATIONS:
        vendor = await records.vendor(
            status=registration.status, codes=[("nigp", c) for c in registration.codes]
        )
        for kind, first, last in registration.certificates:
            await records.certify(vendor, kind, today + timedelta(days=first), today + timedelta(days=last))
    payee = await records.vendor()
    for code, amount in POOL_SPEND.items():
        await records.pay(payee, str(amount), date(2041, 2, 1), code=code)


def expected_pool(length: int, min_active: int) -> dict[str, dict[str, Any]]:
    registered = [r for r in POOL_REGISTRATIONS if r.status != "merged"]  # a merged record is a duplicate
    codes = {c[:length] for r in registered for c in r.codes} | {c[:length] for c in POOL_SPEND}
    rows = {}
    for code in codes:
        members = [
            r for r in POOL_REGISTRATIONS if r.status != "merged" and any(c.startswith(code) for c in r.codes)
        ]
        active = sum(r.status == "active" for r in members)
        certified = sum(r.certified_today() for r in members)
        spend = sum((a for c, a in POOL_SPEND.items() if c.startswith(code)), Decimal(0))
        gaps = (["few_active_vendors"] if active < min_active else []) + (
            ["no_certified_vendor"] if spend > 0 and certified == 0 else []
        )
        rows[code] = {
            "registered_count": len(members),
            "active_count": active,
            "certified_count": certified,
            "spend": money(spend),
            "gaps": gaps,
        }
    return rows


def pool_rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        item["category_code"]: {
            k: v for k, v in item.items() if k not in ("category_scheme", "category_code")
        }
        for item in body["items"]
    }


@pytest.mark.parametrize(("level", "length", "min_active"), [(1, 3, 3), (2, 6, 3), (2, 6, 1), (4, 20, 2)])
async def test_vendor_pool_counts_and_gaps(vendors, auth, records, level, length, min_active):
    await vendor_pool(records)
    response = await vendors.get(
        POOL,
        params={
            "category": "nigp:997",
            "category_level": level,
            "fiscal_year": 2041,
            "min_active": min_active,
        },
        headers=auth(READ),
    )
    assert response.status_code == 200, response.text
    assert pool_rows(response.json()) == expected_pool(length, min_active)
    assert response.json()["fiscal_year"] == 2041


async def test_vendor_pool_gaps_only_and_csv(vendors, auth, records):
    await vendor_pool(records)
    params = {"category": "nigp:997", "fiscal_year": 2041, "gaps_only": "true", "min_active": 2}
    body = (await vendors.get(POOL, params=params, headers=auth(READ))).json()
    expected = {code: row for code, row in expected_pool(6, 2).items() if row["gaps"]}
    assert pool_rows(body) == expected

    text = (await vendors.get(POOL, params={**params, "format": "csv"}, headers=auth(READ))).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["category_code"], r["gaps"]) for r in rows] == [
        (c, " ".join(expected[c]["gaps"])) for c in sorted(expected)
    ]


async def test_vendor_pool_spend_is_of_the_fiscal_year(vendors, auth, records):
    await vendor_pool(records)
    body = (
        await vendors.get(POOL, params={"category": "nigp:997-40", "fiscal_year": 2042}, headers=auth(READ))
    ).json()
    assert body["items"] == [], "no registration and no spend that year: nothing to list"


@pytest.mark.parametrize(
    "params",
    [
        {"min_active": 0},
        {"scheme": "cpv"},
        {"scheme": "unspsc", "category": "nigp:997"},
        {"gaps_only": "maybe"},
    ],
)
async def test_vendor_pool_bad_parameters_are_422(vendors, auth, params):
    assert_problem(await vendors.get(POOL, params=params, headers=auth(READ)), 422, "validation-error")


async def test_vendor_pool_needs_the_read_scope(vendors, auth):
    assert_problem(await vendors.get(POOL, headers=auth("procurement:bid")), 403, "forbidden")
