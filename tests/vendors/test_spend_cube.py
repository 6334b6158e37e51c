"""The spend cube through the HTTP API, on payment lines inserted directly (rolled back after each test).

Every expected figure is computed here, in plain Python over the lines the test inserted; the service's
SQL is never re-run to get them. The same question is asked both ways the service can answer it (from
the rollups, and from `payments` when the dates cut a month) and must give the same cells. Spend is
dated in FY2041–FY2042 so that no other data can mix in.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from services.common.clock import fiscal_quarter, fiscal_year
from services.vendors.payments.models import PaymentRow
from services.vendors.reports.models import SpendDepartmentQuarterlyRow
from tests.problems import assert_problem
from tests.vendors.factories import CENT, READ, city_spend, money, share, table

CUBE = "/v1/procurement/reports/spend-cube"
ZERO = Decimal(0)


def expected_cells(
    lines: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[Any, ...]], *, tier: str = "prime"
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The cube's cells computed from the lines: what a buyer would add up by hand."""
    sums: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"amount": ZERO, "count": 0, "vendors": set(), "on_contract": ZERO}
    )
    for line in lines:
        if line["tier"] != tier or line["currency"] != "USD":
            continue
        cell = sums[key(line)]
        cell["amount"] += line["amount"]
        cell["count"] += 1
        cell["vendors"].add(str(line["vendor_id"]))
        if line["contract_id"] is not None:
            cell["on_contract"] += line["amount"]
    return {
        k: {
            "amount": money(v["amount"]),
            "payment_count": v["count"],
            "vendor_count": len(v["vendors"]),
            "on_contract_amount": money(v["on_contract"]),
            "on_contract_share": share(v["on_contract"], v["amount"]),
        }
        for k, v in sums.items()
    }


MEASURES = ("amount", "payment_count", "vendor_count", "on_contract_amount", "on_contract_share")


def served_cells(
    items: list[dict[str, Any]], fields: tuple[str, ...]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(item[f] for f in fields): {m: item[m] for m in MEASURES} for item in items}


async def cube(client, auth, **params: Any) -> dict[str, Any]:
    response = await client.get(CUBE, params={"page_size": 500, **params}, headers=auth(READ))
    assert response.status_code == 200, response.text
    return response.json()


def by_department_quarter(line: dict[str, Any]) -> tuple[Any, ...]:
    return (line["department"], fiscal_year(line["paid_date"]), fiscal_quarter(line["paid_date"]))


# Cells and measures


async def test_department_by_fiscal_quarter(vendors, auth, records):
    await city_spend(records)
    body = await cube(vendors, auth, dimension=["department", "quarter"], fiscal_year=2041)

    fy2041 = [line for line in records.lines if fiscal_year(line["paid_date"]) == 2041]
    assert served_cells(body["items"], ("department", "fiscal_year", "fiscal_quarter")) == expected_cells(
        fy2041, by_department_quarter
    )
    assert body["dimensions"] == ["department", "quarter"]
    assert body["tier"] == "prime"
    assert body["next_page_token"] is None
    # The BSS summer quarter nets the correction and counts it as a line; the sub line is not City spend.
    bss_q1 = next(i for i in body["items"] if (i["department"], i["fiscal_quarter"]) == ("BSS", 1))
    assert bss_q1["amount"] == money(Decimal("1800.50")) and bss_q1["payment_count"] == 3
    assert bss_q1["on_contract_share"] == "1.000000"


async def test_rollups_and_payments_give_the_same_cells(vendors, auth, records):
    """Whole quarters read the rollups; a range that cuts a month reads the payment lines."""
    await city_spend(records)
    dims = ["department", "quarter"]
    whole = await cube(vendors, auth, dimension=dims, paid_from="2040-07-01", paid_to="2041-06-30")
    cut = await cube(vendors, auth, dimension=dims, paid_from="2040-07-02", paid_to="2041-06-30")

    fields = ("department", "fiscal_year", "fiscal_quarter")
    in_fy = [line for line in records.lines if date(2040, 7, 1) <= line["paid_date"] <= date(2041, 6, 30)]
    after_first = [line for line in in_fy if line["paid_date"] >= date(2040, 7, 2)]
    assert served_cells(whole["items"], fields) == expected_cells(in_fy, by_department_quarter)
    assert served_cells(cut["items"], fields) == expected_cells(after_first, by_department_quarter)


async def test_vendor_by_category_at_each_level(vendors, auth, records):
    names = await city_spend(records)
    lengths = {1: 3, 2: 6, 3: 9, 4: None}
    for level, length in lengths.items():
        body = await cube(vendors, auth, dimension=["vendor", "category"], category_level=level)

        def key(line: dict[str, Any], length: int | None = length) -> tuple[Any, ...]:
            code = line["category_code"] if length is None else line["category_code"][:length]
            return (str(line["vendor_id"]), "nigp", code)

        mine = [line for line in records.lines if line["vendor_id"] in names.values()]
        served = served_cells(body["items"], ("vendor_id", "category_scheme", "category_code"))
        assert served == expected_cells(mine, key), f"level {level}"
    paving = next(item for item in body["items"] if item["vendor_id"] == str(names["paving"]))
    assert paving["vendor_name"] == "Boyle Heights Paving LLC"
    assert paving["vendor_number"].startswith("VND-")
    assert paving["vendor_count"] == 1


async def test_month_and_fiscal_year_dimensions(vendors, auth, records):
    await city_spend(records)
    months = await cube(vendors, auth, dimension=["month"])
    years = await cube(vendors, auth, dimension=["fiscal_year"])

    expected_months = expected_cells(records.lines, lambda line: (f"{line['paid_date']:%Y-%m}",))
    assert served_cells(months["items"], ("month",)) == expected_months
    expected_years = expected_cells(records.lines, lambda line: (fiscal_year(line["paid_date"]),))
    assert served_cells(years["items"], ("fiscal_year",)) == expected_years
    assert [item["month"] for item in months["items"]] == sorted(key for (key,) in expected_months)


async def test_no_dimension_is_the_grand_total(vendors, auth, records):
    await city_spend(records)
    body = await cube(vendors, auth, fiscal_year=2041)

    [total] = body["items"]
    fy2041 = [line for line in records.lines if fiscal_year(line["paid_date"]) == 2041]
    assert {m: total[m] for m in MEASURES} == expected_cells(fy2041, lambda line: ())[()]
    assert total["department"] is None and total["vendor_id"] is None


async def test_the_grand_total_of_no_spend_is_zero(vendors, auth):
    [total] = (await cube(vendors, auth, fiscal_year=2077))["items"]
    assert (total["amount"], total["payment_count"], total["vendor_count"]) == (money(ZERO), 0, 0)
    assert total["on_contract_share"] is None


async def test_the_sub_tier_is_its_own_cube(vendors, auth, records):
    await city_spend(records)
    body = await cube(vendors, auth, dimension=["vendor"], tier="sub")

    assert body["tier"] == "sub"
    expected = expected_cells(records.lines, lambda line: (str(line["vendor_id"]),), tier="sub")
    assert served_cells(body["items"], ("vendor_id",)) == expected
    assert len(expected) == 1


# Filters


async def test_filters_combine(vendors, auth, records):
    names = await city_spend(records)
    body = await cube(
        vendors,
        auth,
        dimension=["vendor"],
        department=["BSS", "DOT"],
        category="nigp:913",
        vendor_id=[str(names["paving"]), str(names["janitorial"])],
        paid_from="2040-08-01",
        paid_to="2041-05-31",
    )

    def chosen(line: dict[str, Any]) -> bool:
        return (
            line["department"] in ("BSS", "DOT")
            and line["category_code"].startswith("913")
            and line["vendor_id"] in (names["paving"], names["janitorial"])
            and date(2040, 8, 1) <= line["paid_date"] <= date(2041, 5, 31)
        )

    expected = expected_cells(filter(chosen, records.lines), lambda line: (str(line["vendor_id"]),))
    assert served_cells(body["items"], ("vendor_id",)) == expected
    assert set(expected) == {(str(names["paving"]),)}


async def test_a_category_filter_below_the_rollups_level_reads_the_lines(vendors, auth, records):
    await city_spend(records)
    body = await cube(vendors, auth, dimension=["category"], category="nigp:913-50-22", category_level=4)

    expected = expected_cells(
        [line for line in records.lines if line["category_code"].startswith("913-50-22")],
        lambda line: ("nigp", line["category_code"]),
    )
    assert served_cells(body["items"], ("category_scheme", "category_code")) == expected


async def test_fiscal_year_and_dates_narrow_each_other(vendors, auth, records):
    await city_spend(records)
    body = await cube(vendors, auth, fiscal_year=2041, paid_from="2040-10-01")

    [total] = body["items"]
    chosen = [line for line in records.lines if date(2040, 10, 1) <= line["paid_date"] <= date(2041, 6, 30)]
    assert total["amount"] == expected_cells(chosen, lambda line: ())[()]["amount"]


# Concentration


async def test_concentration_per_category(vendors, auth, records):
    """Shares 50/25/15/10 in one category: HHI 2500+625+225+100; A, B and C make the head (75% is not
    yet 80%), D is the tail."""
    shares = {"A": "5000.00", "B": "2500.00", "C": "1500.00", "D": "1000.00"}
    firms = {label: await records.vendor(f"Concentrated {label}") for label in shares}
    for label, amount in shares.items():
        await records.pay(firms[label], amount, date(2041, 1, 15), code="620-80-21")
    refunded = await records.vendor("Refunded Vendor")
    await records.pay(refunded, "100.00", date(2041, 1, 15), code="620-80-21")
    await records.pay(refunded, "-300.00", date(2041, 2, 15), code="620-80-21")
    await records.pay(firms["A"], "700.00", date(2041, 1, 15), code="615-20-00")

    body = await cube(
        vendors,
        auth,
        dimension=["category"],
        category_level=2,
        fiscal_year=2041,
        concentration="true",
        top_n=2,
    )

    cells = {item["category_code"]: item for item in body["items"]}
    expected = concentration_of(records.lines, lambda line: line["category_code"][:6], top_n=2)
    assert {code: cell["concentration"] for code, cell in cells.items()} == expected
    assert cells["620-80"]["concentration"]["hhi"] == "3450.00"
    assert cells["620-80"]["concentration"]["tail_vendor_count"] == 1
    assert cells["620-80"]["concentration"]["top_n_share"] == "0.750000"
    assert cells["620-80"]["vendor_count"] == 5  # the refunded vendor was paid, and holds no share
    assert cells["615-20"]["concentration"]["hhi"] == "10000.00"


def concentration_of(
    lines: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Any], *, top_n: int
) -> dict[Any, dict[str, Any]]:
    """Top-N share, HHI and tail per cell over the vendors with a positive net amount, by hand."""
    per_vendor: dict[Any, dict[uuid.UUID, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in lines:
        if line["tier"] == "prime" and line["currency"] == "USD":
            per_vendor[key(line)][line["vendor_id"]] += line["amount"]
    result = {}
    for cell, amounts in per_vendor.items():
        ranked = sorted(((a, str(v)) for v, a in amounts.items() if a > 0), key=lambda p: (-p[0], p[1]))
        total = sum((a for a, _ in ranked), ZERO)
        tail, before = [], ZERO
        for amount, _ in ranked:
            if before >= Decimal("0.8") * total:
                tail.append(amount)
            before += amount
        hhi = (10000 * sum((a * a for a, _ in ranked), ZERO) / (total * total)).quantize(CENT, ROUND_HALF_UP)
        result[cell] = {
            "top_n": top_n,
            "top_n_share": share(sum((a for a, _ in ranked[:top_n]), ZERO), total),
            "hhi": str(hhi),
            "tail_vendor_count": len(tail),
            "tail_amount": money(sum(tail, ZERO)),
            "tail_share": share(sum(tail, ZERO), total),
        }
    return result


async def test_concentration_needs_the_vendor_out_of_the_dimensions(vendors, auth):
    response = await vendors.get(
        CUBE, params={"dimension": ["vendor"], "concentration": "true"}, headers=auth(READ)
    )
    assert_problem(response, 422, "validation-error")


# Pages, order, CSV


async def test_pages_follow_in_order_and_a_token_keeps_its_query(vendors, auth, records):
    await city_spend(records)
    params = {"dimension": ["department", "month"], "page_size": 2}
    seen, token = [], None
    while True:
        response = await vendors.get(
            CUBE, params={**params, **({"page_token": token} if token else {})}, headers=auth(READ)
        )
        assert response.status_code == 200, response.text
        seen += response.json()["items"]
        token = response.json()["next_page_token"]
        if token is None:
            break
    whole = await cube(vendors, auth, dimension=["department", "month"])
    assert seen == whole["items"]
    assert [(i["department"], i["month"]) for i in seen] == sorted(
        (i["department"], i["month"]) for i in seen
    )

    first = await vendors.get(CUBE, params=params, headers=auth(READ))
    other = await vendors.get(
        CUBE,
        params={**params, "tier": "sub", "page_token": first.json()["next_page_token"]},
        headers=auth(READ),
    )
    assert_problem(other, 400, "invalid-page-token")


async def test_largest_first(vendors, auth, records):
    await city_spend(records)
    body = await cube(vendors, auth, dimension=["vendor"], sort="amount_desc")

    amounts = [Decimal(item["amount"]["amount"]) for item in body["items"]]
    assert amounts == sorted(amounts, reverse=True) and len(amounts) == 3


async def test_csv_carries_every_cell(vendors, auth, records):
    await city_spend(records)
    params = {"dimension": ["category", "quarter"], "category_level": 1, "concentration": "true"}
    response = await vendors.get(CUBE, params={**params, "format": "csv"}, headers=auth(READ))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0])[:4] == ["category_scheme", "category_code", "fiscal_year", "fiscal_quarter"]
    as_json = (await cube(vendors, auth, **params))["items"]
    assert len(rows) == len(as_json) > 3
    for row, item in zip(rows, as_json, strict=True):
        assert row["category_code"] == item["category_code"]
        assert row["amount"] == item["amount"]["amount"]
        assert row["vendor_count"] == str(item["vendor_count"])
        assert row["hhi"] == item["concentration"]["hhi"]
        assert row["on_contract_share"] == (item["on_contract_share"] or "")


# The rollups follow the payments


async def test_rollups_follow_deleted_and_changed_lines(vendors, auth, records, session):
    await city_spend(records)
    payments = table(PaymentRow)
    gone, moved = records.lines[0], records.lines[4]
    await session.execute(delete(payments).where(payments.c.id == gone["id"]))
    await session.execute(update(payments).where(payments.c.id == moved["id"]).values(department="LAPD"))
    records.lines.remove(gone)
    moved["department"] = "LAPD"

    body = await cube(vendors, auth, dimension=["department", "quarter"])

    fields = ("department", "fiscal_year", "fiscal_quarter")
    assert served_cells(body["items"], fields) == expected_cells(records.lines, by_department_quarter)
    quarterly = table(SpendDepartmentQuarterlyRow)
    emptied = await session.scalar(
        select(quarterly.c.payment_count).where(
            quarterly.c.department == "GSD", quarterly.c.quarter == date(2040, 7, 1)
        )
    )
    assert emptied is None, "a rollup row whose lines are all gone is removed"


# Errors


async def test_reading_needs_a_token_with_the_read_scope(vendors, auth):
    assert_problem(await vendors.get(CUBE), 401, "unauthorized")
    assert_problem(await vendors.get(CUBE, headers=auth("procurement:write")), 403, "forbidden")


@pytest.mark.parametrize(
    "params",
    [
        {"dimension": "district"},
        {"category_level": 5},
        {"category": "nigp:62x"},
        {"category": "nowhere:620"},
        {"tier": "both"},
        {"department": "XYZ"},
        {"paid_from": "2041-02-01", "paid_to": "2041-01-01"},
        {"paid_to": "9999-12-31"},
        {"top_n": 0},
        {"vendor_id": "not-a-uuid"},
        {"format": "xlsx"},
    ],
)
async def test_bad_parameters_are_422(vendors, auth, params):
    response = await vendors.get(CUBE, params=params, headers=auth(READ))
    assert_problem(response, 422, "validation-error")


async def test_a_reversed_range_names_the_parameter(vendors, auth):
    response = await vendors.get(
        CUBE, params={"paid_from": "2041-02-01", "paid_to": "2041-01-01"}, headers=auth(READ)
    )
    assert assert_problem(response, 422, "validation-error")["errors"][0]["location"] == ["query", "paid_to"]
