"""Metrics as `MetricSeries` through the HTTP API: the catalogue, and each metric's points, computed here
from the records the test inserted (spend of FY2041–FY2042, solicitations of the same years)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from services.common.clock import city_today, fiscal_year
from services.common.series import MetricSeries, SeriesPeriod, periods
from tests.problems import assert_problem
from tests.vendors.factories import CENT, READ, SIX, Tender, city_spend, payment_world, tenders

METRICS = "/v1/procurement/metrics"


async def series(client, auth, key: str, **params: Any) -> MetricSeries:
    response = await client.get(f"{METRICS}/{key}", params=params, headers=auth(READ))
    assert response.status_code == 200, response.text
    return MetricSeries.model_validate(response.json())


def points(body: MetricSeries) -> dict[str, Decimal | None]:
    return {point.label: point.value for point in body.points}


def prime_usd(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["tier"] == "prime" and line["currency"] == "USD"]


def in_period(day: date, spans: list[tuple[date, date, str]]) -> str | None:
    return next((label for first, last, label in spans if first <= day <= last), None)


async def test_the_catalogue(vendors, auth):
    response = await vendors.get(METRICS, headers=auth(READ))

    assert response.status_code == 200
    body = response.json()
    units = {item["key"]: item["unit"] for item in body["items"]}
    assert units == {
        "total_spend": "usd",
        "certified_share": "ratio",
        "on_contract_share": "ratio",
        "average_bidders": "count",
        "single_bid_rate": "ratio",
    }
    assert body["next_page_token"] is None
    assert all(item["periods"] == ["month", "quarter", "fiscal_year"] for item in body["items"])


@pytest.mark.parametrize("period", list(SeriesPeriod))
async def test_total_spend_over_a_range_that_cuts_months(vendors, auth, records, period):
    await city_spend(records)
    first, last = date(2040, 7, 20), date(2041, 7, 1)
    body = await series(
        vendors,
        auth,
        "total_spend",
        **{"from": first.isoformat(), "to": last.isoformat()},
        period=period.value,
    )

    spans = periods(first, last, period)
    expected = {label: Decimal("0.00") for _, _, label in spans}
    for line in prime_usd(records.lines):
        label = in_period(line["paid_date"], spans)
        if label is not None:
            expected[label] += line["amount"]
    assert points(body) == expected
    assert [(p.period_start, p.period_end) for p in body.points] == [(a, b) for a, b, _ in spans]
    assert body.unit == "usd" and body.currency == "USD" and body.period == period
    assert body.filters == {"from": "2040-07-20", "to": "2041-07-01"}


async def test_on_contract_share_by_quarter_for_one_department(vendors, auth, records):
    await city_spend(records)
    body = await series(
        vendors,
        auth,
        "on_contract_share",
        **{"from": "2040-07-01", "to": "2041-06-30"},
        period="quarter",
        department="BSS",
    )

    spans = periods(date(2040, 7, 1), date(2041, 6, 30), SeriesPeriod.quarter)
    on, total = (
        dict.fromkeys([s[2] for s in spans], Decimal(0)),
        dict.fromkeys([s[2] for s in spans], Decimal(0)),
    )
    for line in prime_usd(records.lines):
        label = in_period(line["paid_date"], spans)
        if label is not None and line["department"] == "BSS":
            total[label] += line["amount"]
            on[label] += line["amount"] if line["contract_id"] else Decimal(0)
    expected = {
        label: (on[label] / total[label]).quantize(SIX, ROUND_HALF_UP) if total[label] else None
        for label in total
    }
    assert points(body) == expected
    assert body.filters["department"] == "BSS"
    assert expected["FY2041-Q2"] is None, "a quarter without BSS spend has no share"


async def test_certified_share_judges_each_payment_on_its_day(vendors, auth, records):
    world = await payment_world(records)
    body = await series(
        vendors, auth, "certified_share", **{"from": "2040-09-15", "to": "2041-01-31"}, period="month"
    )

    spans = periods(date(2040, 9, 15), date(2041, 1, 31), SeriesPeriod.month)
    numerators = dict.fromkeys([s[2] for s in spans], Decimal(0))
    denominators = dict(numerators)
    for unit in world.units:
        label = in_period(unit.day, spans)
        if unit.is_sub or label is None:
            continue
        denominators[label] += unit.amount
        if world.types_on(unit.vendor, unit.day) - {"obe"}:
            numerators[label] += unit.amount
    expected = {
        label: (numerators[label] / denominators[label]).quantize(SIX, ROUND_HALF_UP)
        if denominators[label]
        else None
        for label in numerators
    }
    assert points(body) == expected
    assert expected["2040-09"] == Decimal(0), "the payment the day before the certification does not count"


async def test_bidders_and_single_bids_per_fiscal_year(vendors, auth, records):
    plan = await tenders(records)
    window = {"from": "2040-07-01", "to": "2042-06-30", "period": "fiscal_year"}
    average = await series(vendors, auth, "average_bidders", **window)
    single = await series(vendors, auth, "single_bid_rate", **window)

    def of_year(year: int) -> list[Tender]:
        return [t for t in plan if fiscal_year(t.close_day) == year]

    assert points(average) == {
        f"FY{year}": (Decimal(sum(t.bidders for t in of_year(year))) / len(of_year(year))).quantize(
            CENT, ROUND_HALF_UP
        )
        for year in (2041, 2042)
    }
    assert points(single) == {
        f"FY{year}": (Decimal(sum(t.bidders == 1 for t in of_year(year))) / len(of_year(year))).quantize(
            SIX, ROUND_HALF_UP
        )
        for year in (2041, 2042)
    }
    assert average.unit == "count" and single.unit == "ratio"


async def test_defaults_run_from_the_fiscal_year_start_to_today(vendors, auth):
    body = await series(vendors, auth, "total_spend")

    today = city_today()
    start = date(fiscal_year(today) - 1, 7, 1)
    assert body.filters == {"from": start.isoformat(), "to": today.isoformat()}
    assert body.period == "month"
    assert body.points[0].period_start == start and body.points[-1].period_end == today


async def test_an_unknown_key_is_404(vendors, auth):
    assert_problem(await vendors.get(f"{METRICS}/bananas", headers=auth(READ)), 404, "not-found")


@pytest.mark.parametrize(
    "params",
    [
        {"period": "week"},
        {"from": "2041-02-01", "to": "2041-01-01"},
        {"from": "1990-01-01", "to": "2041-01-01"},
        {"department": "XX"},
        {"to": "yesterday"},
        {"from": "2026-01-01", "to": "9999-12-31", "period": "fiscal_year"},
    ],
)
async def test_bad_parameters_are_422(vendors, auth, params):
    response = await vendors.get(f"{METRICS}/total_spend", params=params, headers=auth(READ))
    assert_problem(response, 422, "validation-error")


async def test_reading_needs_the_read_scope(vendors, auth):
    assert_problem(await vendors.get(METRICS), 401, "unauthorized")
    assert_problem(
        await vendors.get(f"{METRICS}/total_spend", headers=auth("portfolio:read")), 403, "forbidden"
    )
