"""Leases through the HTTP API, the City as landlord and as tenant: the rules of a lease (each a 422
naming its field), ETags and idempotency, the lifecycle, CPI values, critical dates, and rent schedules
checked against figures computed here, month by month, with plain Decimal arithmetic."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from services.common.clock import pinned_time
from tests.assets.factories import (
    CPI,
    LA_CPI,
    LEASES,
    READ,
    WRITE,
    audit_actions,
    cpi_escalation,
    create_asset,
    create_lease,
    create_space,
    lease_body,
    move_lease,
    ok,
    record_cpi,
    rent_schedule,
    usd,
)
from tests.problems import assert_problem

NOWHERE = "01900000-0000-7000-8000-000000000000"


def field_errors(problem: dict) -> dict[str, str]:
    """`{"escalations.1.effective_date": "not_in_order", …}`, from the body locations of the errors."""
    return {
        ".".join(str(part) for part in error["location"][1:]): error["code"] for error in problem["errors"]
    }


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def months(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    found = []
    while f"{year:04}-{month:02}" <= last:
        found.append(f"{year:04}-{month:02}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def amounts_due(schedule: dict) -> dict[str, Decimal | None]:
    return {
        row["month"]: Decimal(row["amount_due"]["amount"]) if row["amount_due"] else None
        for row in schedule["months"]
    }


def monthly_rents(schedule: dict) -> dict[str, Decimal | None]:
    return {
        row["month"]: Decimal(row["monthly_rent"]["amount"]) if row["monthly_rent"] else None
        for row in schedule["months"]
    }


async def patch_lease(assets, auth, lease: dict, body: dict, etag: str | None = None):
    if etag is None:
        etag = (await assets.get(f"{LEASES}/{lease['id']}", headers=auth(READ))).headers["etag"]
    return await assets.patch(f"{LEASES}/{lease['id']}", json=body, headers={**auth(WRITE), "If-Match": etag})


# Leases


async def test_a_lease_is_recorded_as_a_draft_and_read_back_with_its_etag(assets, auth):
    building = await create_asset(assets, auth)
    suite = await create_space(assets, auth, building["id"])
    body = lease_body(
        building["id"],
        space_ids=[suite["id"]],
        counterparty={"name": "Lincoln Heights Arts Collective", "vendor_id": NOWHERE},
        options=[{"type": "renewal", "notice_deadline": "2027-06-30", "note": "One five-year renewal."}],
    )
    response = await assets.post(LEASES, json=body, headers=auth(WRITE))

    lease = ok(response, 201)
    assert response.headers["location"] == f"{LEASES}/{lease['id']}"
    assert response.headers["etag"] == '"v1"'
    assert (lease["status"], lease["space_ids"], lease["base_monthly_rent"], lease["security_deposit"]) == (
        "draft",
        [suite["id"]],
        usd("10000.00"),
        usd("20000.00"),
    )
    assert lease["counterparty"] == {"name": "Lincoln Heights Arts Collective", "vendor_id": NOWHERE}
    assert lease["options"] == [
        {"type": "renewal", "notice_deadline": "2027-06-30", "note": "One five-year renewal."}
    ]
    read = await assets.get(f"{LEASES}/{lease['id']}", headers=auth(READ))
    assert ok(read) == lease
    assert read.headers["etag"] == '"v1"'
    assert await audit_actions(assets, auth, "lease", lease["id"]) == ["create"]


async def test_the_city_as_tenant_records_a_lease_of_an_asset_it_rents(assets, auth):
    office = await create_asset(assets, auth)
    lease = await create_lease(
        assets, auth, office["id"], direction="city_as_tenant", counterparty={"name": "Spring Street LLC"}
    )
    assert (lease["direction"], lease["space_ids"]) == ("city_as_tenant", [])
    listed = ok(await assets.get(LEASES, params={"direction": "city_as_tenant"}, headers=auth(READ)))
    assert [item["id"] for item in listed["items"]] == [lease["id"]]


async def test_unknown_leases_are_404(assets, auth):
    for path in ("", "/rent-schedule", "/rent-schedule.csv"):
        assert_problem(await assets.get(f"{LEASES}/{NOWHERE}{path}", headers=auth(READ)), 404, "not-found")
    assert_problem(
        await assets.patch(f"{LEASES}/{NOWHERE}", json={}, headers={**auth(WRITE), "If-Match": '"v1"'}),
        404,
        "not-found",
    )
    assert_problem(await move_lease(assets, auth, NOWHERE, "active"), 404, "not-found")


async def test_the_term_money_and_asset_rules_each_name_their_field(assets, auth):
    building = await create_asset(assets, auth)
    other = await create_asset(assets, auth)
    foreign = await create_space(assets, auth, other["id"])
    body = lease_body(
        building["id"],
        commencement_date="2026-01-01",
        expiration_date="2025-12-31",
        base_monthly_rent={"amount": "900.00", "currency": "EUR"},
        space_ids=[foreign["id"]],
    )
    problem = assert_problem(
        await assets.post(LEASES, json=body, headers=auth(WRITE)), 422, "validation-error"
    )
    assert field_errors(problem) == {
        "expiration_date": "before_commencement",
        "base_monthly_rent": "currency_not_usd",
        "space_ids.0": "not_in_asset",
    }
    long = lease_body(building["id"], commencement_date="2025-01-01", expiration_date="2124-01-01")
    problem = assert_problem(
        await assets.post(LEASES, json=long, headers=auth(WRITE)), 422, "validation-error"
    )
    assert field_errors(problem) == {"expiration_date": "term_too_long"}
    missing = lease_body(NOWHERE)
    problem = assert_problem(
        await assets.post(LEASES, json=missing, headers=auth(WRITE)), 422, "validation-error"
    )
    assert field_errors(problem) == {"asset_id": "not_found"}


async def test_escalations_are_in_order_inside_the_term_with_a_floor_under_the_cap(assets, auth):
    building = await create_asset(assets, auth)
    escalations = [
        {"kind": "fixed_percent", "effective_date": "2026-01-01", "percent": "3.00"},
        {"kind": "fixed_amount", "effective_date": "2025-06-01", "amount": usd("100.00")},
        {"kind": "fixed_percent", "effective_date": "2025-01-01", "percent": "3.00"},
        cpi_escalation("2027-01-01", "2026-10", "2026-10", "5.00", "2.00"),
        cpi_escalation("2027-06-01", "2026-01", "2027-07", "1.00", "4.00"),
        {
            "kind": "fixed_amount",
            "effective_date": "2028-01-01",
            "amount": {"amount": "5.00", "currency": "CAD"},
        },
    ]
    body = lease_body(building["id"], escalations=escalations)
    problem = assert_problem(
        await assets.post(LEASES, json=body, headers=auth(WRITE)), 422, "validation-error"
    )
    assert field_errors(problem) == {
        "escalations.1.effective_date": "not_in_order",
        "escalations.2.effective_date": "outside_term",  # on commencement: the base rent holds that day
        "escalations.3.floor_percent": "floor_above_cap",
        "escalations.3.base_month": "not_before_index_month",
        "escalations.4.index_month": "after_effective_month",
        "escalations.5.effective_date": "outside_term",
        "escalations.5.amount": "currency_not_usd",
    }


async def test_percentages_and_amounts_are_decimal_strings(assets, auth):
    building = await create_asset(assets, auth)
    for escalation in (
        {"kind": "fixed_percent", "effective_date": "2026-01-01", "percent": 3},
        {"kind": "fixed_percent", "effective_date": "2026-01-01", "percent": "100.01"},
        {"kind": "cpi_u", "effective_date": "2026-01-01"},
    ):
        body = lease_body(building["id"], escalations=[escalation])
        assert_problem(await assets.post(LEASES, json=body, headers=auth(WRITE)), 422, "validation-error")


async def test_options_are_noticed_by_the_expiration(assets, auth):
    building = await create_asset(assets, auth)
    options = [
        {"type": "renewal", "notice_deadline": "2027-06-30"},
        {"type": "purchase", "notice_deadline": "2028-01-01"},
    ]
    body = lease_body(building["id"], options=options)
    problem = assert_problem(
        await assets.post(LEASES, json=body, headers=auth(WRITE)), 422, "validation-error"
    )
    assert field_errors(problem) == {"options.1.notice_deadline": "after_expiration"}


async def test_a_lease_changes_with_if_match_and_keeps_its_rules(assets, auth):
    building = await create_asset(assets, auth)
    lease = await create_lease(assets, auth, building["id"])
    url = f"{LEASES}/{lease['id']}"

    assert_problem(
        await assets.patch(url, json={"description": "x"}, headers=auth(WRITE)), 428, "precondition-required"
    )
    escalation = {"kind": "fixed_percent", "effective_date": "2026-01-01", "percent": "3.00"}
    changed = await patch_lease(
        assets, auth, lease, {"escalations": [escalation], "security_deposit": None}, '"v1"'
    )
    assert (ok(changed)["escalations"], ok(changed)["security_deposit"], ok(changed)["version"]) == (
        [escalation],
        None,
        2,
    )
    assert changed.headers["etag"] == '"v2"'
    stale = await patch_lease(assets, auth, lease, {"description": "Other"}, '"v1"')
    assert assert_problem(stale, 412, "precondition-failed")["current_etag"] == '"v2"'

    shorter = await patch_lease(assets, auth, lease, {"expiration_date": "2025-12-31"})
    assert field_errors(assert_problem(shorter, 422, "validation-error")) == {
        "escalations.0.effective_date": "outside_term"
    }
    cleared = await patch_lease(assets, auth, lease, {"counterparty": None, "escalations": None})
    assert field_errors(assert_problem(cleared, 422, "validation-error")) == {
        "counterparty": "not_nullable",
        "escalations": "not_nullable",
    }
    assert await audit_actions(assets, auth, "lease", lease["id"]) == ["create", "update"]


async def test_a_lease_created_with_an_idempotency_key_is_replayed(assets, auth):
    building = await create_asset(assets, auth)
    headers = {**auth(WRITE), "Idempotency-Key": "lhj-arts-lease"}
    first = await assets.post(LEASES, json=lease_body(building["id"]), headers=headers)
    again = await assets.post(LEASES, json=lease_body(building["id"]), headers=headers)

    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    different = lease_body(building["id"], description="Another")
    assert_problem(await assets.post(LEASES, json=different, headers=headers), 422, "unprocessable-entity")


async def test_the_lifecycle_moves_through_its_edges_only(assets, auth):
    building = await create_asset(assets, auth)
    lease = await create_lease(assets, auth, building["id"], expiration_date="2026-06-30")

    illegal = assert_problem(
        await move_lease(assets, auth, lease["id"], "expired"), 409, "invalid-transition"
    )
    assert illegal["allowed_transitions"] == ["active", "terminated"]
    assert ok(await move_lease(assets, auth, lease["id"], "active"))["status"] == "active"
    with pinned_time(datetime(2026, 6, 30, 20, 0, tzinfo=UTC)):  # June 30 in Los Angeles: still running
        early = assert_problem(await move_lease(assets, auth, lease["id"], "expired"), 409, "conflict")
    assert field_errors(early) == {"to": "not_yet_expired"}
    no_reason = assert_problem(
        await move_lease(assets, auth, lease["id"], "terminated"), 422, "validation-error"
    )
    assert field_errors(no_reason) == {"reason": "required_for_status"}
    ended = ok(await move_lease(assets, auth, lease["id"], "terminated", reason="Tenant relocated."))
    assert (ended["status"], ended["status_reason"]) == ("terminated", "Tenant relocated.")

    final = assert_problem(await move_lease(assets, auth, lease["id"], "active"), 409, "invalid-transition")
    assert final["allowed_transitions"] == []
    assert_problem(await patch_lease(assets, auth, lease, {"description": "x"}), 409, "conflict")
    assert await audit_actions(assets, auth, "lease", lease["id"]) == [
        "create",
        "transition:active",
        "transition:terminated",
    ]


async def test_an_active_lease_expires_after_its_last_day(assets, auth):
    building = await create_asset(assets, auth)
    lease = await create_lease(assets, auth, building["id"], expiration_date="2025-12-31")
    ok(await move_lease(assets, auth, lease["id"], "active"))
    with pinned_time(datetime(2026, 1, 1, 9, 0, tzinfo=UTC)):  # January 1 in Los Angeles
        assert ok(await move_lease(assets, auth, lease["id"], "expired"))["status"] == "expired"


async def test_leases_list_pages_and_filters(assets, auth):
    first = await create_asset(assets, auth)
    second = await create_asset(assets, auth)
    made = [(await create_lease(assets, auth, first["id"]))["id"] for _ in range(3)]
    await create_lease(assets, auth, second["id"])
    seen, token = [], None
    while True:
        params = {"asset_id": first["id"], "page_size": 2, **({"page_token": token} if token else {})}
        page = ok(await assets.get(LEASES, params=params, headers=auth(READ)))
        seen += [item["id"] for item in page["items"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert seen == sorted(made)


async def test_leases_need_their_scopes(assets, auth):
    building = await create_asset(assets, auth)
    lease = await create_lease(assets, auth, building["id"])
    assert_problem(await assets.get(f"{LEASES}/{lease['id']}"), 401, "unauthorized")
    assert_problem(await assets.get(f"{LEASES}/critical-dates"), 401, "unauthorized")
    assert_problem(
        await assets.post(LEASES, json=lease_body(building["id"]), headers=auth(READ)), 403, "forbidden"
    )
    assert_problem(
        await assets.put(f"{CPI}/{LA_CPI}/2025-01", json={"value": "1.000"}, headers=auth(READ)),
        403,
        "forbidden",
    )
    assert_problem(
        await assets.get(f"{LEASES}/{lease['id']}/rent-schedule", headers=auth("real_estate:write")),
        403,
        "forbidden",
    )


# Rent schedules, against figures computed here


async def test_fixed_percent_escalations_compound_on_rents_rounded_half_up(assets, auth):
    building = await create_asset(assets, auth)
    escalations = [
        {"kind": "fixed_percent", "effective_date": "2026-01-01", "percent": "1.00"},
        {"kind": "fixed_percent", "effective_date": "2027-01-01", "percent": "2.50"},
    ]
    lease = await create_lease(
        assets, auth, building["id"], base_monthly_rent=usd("100.50"), escalations=escalations
    )
    expected = {}
    rent = Decimal("100.50")
    for year, percent in ((2025, None), (2026, Decimal("1.00")), (2027, Decimal("2.50"))):
        if percent is not None:
            rent = cents(rent * (1 + percent / 100))
        expected |= {month: rent for month in months(f"{year}-01", f"{year}-12")}

    schedule = await rent_schedule(assets, auth, lease["id"])
    assert amounts_due(schedule) == expected
    assert monthly_rents(schedule) == expected
    # 100.50 × 1.01 = 101.505: half-up makes it 101.51, where rounding half to even would make it 101.50.
    assert expected["2026-01"] == Decimal("101.51")
    assert schedule["total_due"] == usd(str(sum(expected.values())))
    assert all(row["missing_cpi"] == [] for row in schedule["months"])


async def test_fixed_amount_escalations_add_to_the_rent(assets, auth):
    building = await create_asset(assets, auth)
    escalations = [
        {"kind": "fixed_amount", "effective_date": "2025-09-01", "amount": usd("250.00")},
        {"kind": "fixed_amount", "effective_date": "2026-03-01", "amount": usd("250.00")},
    ]
    lease = await create_lease(
        assets,
        auth,
        building["id"],
        commencement_date="2025-03-01",
        expiration_date="2026-08-31",
        base_monthly_rent=usd("8000.00"),
        escalations=escalations,
    )
    expected = {month: Decimal("8000.00") for month in months("2025-03", "2025-08")}
    expected |= {month: Decimal("8250.00") for month in months("2025-09", "2026-02")}
    expected |= {month: Decimal("8500.00") for month in months("2026-03", "2026-08")}

    schedule = await rent_schedule(assets, auth, lease["id"])
    assert amounts_due(schedule) == expected
    assert len(schedule["months"]) == 18


async def test_cpi_escalations_are_clamped_to_their_floor_and_cap(assets, auth):
    building = await create_asset(assets, auth)
    cpi = {"2024-10": "300.000", "2025-10": "318.000", "2026-10": "318.954", "2027-10": "328.839"}
    ok(await record_cpi(assets, auth, cpi), 201)
    steps = [("2026", "2024-10", "2025-10"), ("2027", "2025-10", "2026-10"), ("2028", "2026-10", "2027-10")]
    escalations = [
        cpi_escalation(f"{year}-01-01", base, index, "2.00", "4.00") for year, base, index in steps
    ]
    lease = await create_lease(
        assets, auth, building["id"], expiration_date="2028-12-31", escalations=escalations
    )

    expected = {month: Decimal("10000.00") for month in months("2025-01", "2025-12")}
    rent = Decimal("10000.00")
    for year, base, index in steps:
        change = Decimal(cpi[index]) / Decimal(cpi[base]) - 1
        change = min(max(change, Decimal("0.02")), Decimal("0.04"))
        rent = cents(rent + rent * change)
        expected |= {month: rent for month in months(f"{year}-01", f"{year}-12")}
    # CPI rose 6.0%: capped at 4%. Then 0.3%: raised to the 2% floor. Then 3.099%: taken as it is.
    assert (expected["2026-01"], expected["2027-01"]) == (Decimal("10400.00"), Decimal("10608.00"))
    assert Decimal("10608.00") * Decimal("1.02") < expected["2028-01"] < Decimal("10608.00") * Decimal("1.04")

    schedule = await rent_schedule(assets, auth, lease["id"])
    assert amounts_due(schedule) == expected
    assert schedule["total_due"] == usd(str(sum(expected.values())))


async def test_a_missing_cpi_value_is_named_in_each_month_it_leaves_without_a_figure(assets, auth):
    building = await create_asset(assets, auth)
    ok(await record_cpi(assets, auth, {"2024-10": "300.000"}), 201)
    escalations = [
        cpi_escalation("2026-01-01", "2024-10", "2025-10", "2.00", "4.00"),
        {"kind": "fixed_amount", "effective_date": "2027-01-01", "amount": usd("100.00")},
    ]
    lease = await create_lease(assets, auth, building["id"], escalations=escalations)

    schedule = await rent_schedule(assets, auth, lease["id"])
    rows = {row["month"]: row for row in schedule["months"]}
    assert rows["2025-12"]["amount_due"] == usd("10000.00")
    for month in months("2026-01", "2027-12"):  # the fixed step builds on the unknown one
        assert (rows[month]["monthly_rent"], rows[month]["amount_due"]) == (None, None)
        assert rows[month]["missing_cpi"] == [{"series": LA_CPI, "month": "2025-10"}]
    assert schedule["total_due"] is None

    ok(await record_cpi(assets, auth, {"2025-10": "309.000"}), 201)  # +3%
    schedule = await rent_schedule(assets, auth, lease["id"])
    assert (amounts_due(schedule)["2026-06"], amounts_due(schedule)["2027-06"]) == (
        Decimal("10300.00"),
        Decimal("10400.00"),
    )


async def test_partial_months_and_mid_month_escalations_are_prorated_by_day(assets, auth):
    building = await create_asset(assets, auth)
    escalation = {"kind": "fixed_amount", "effective_date": "2025-02-15", "amount": usd("280.00")}
    lease = await create_lease(
        assets,
        auth,
        building["id"],
        commencement_date="2025-01-15",
        expiration_date="2025-03-10",
        base_monthly_rent=usd("3100.00"),
        escalations=[escalation],
    )
    before, after = Decimal("3100.00"), Decimal("3380.00")
    expected = {
        "2025-01": cents(before * 17 / 31),  # January 15–31
        "2025-02": cents((before * 14 + after * 14) / 28),  # 14 days at each rate
        "2025-03": cents(after * 10 / 31),  # March 1–10
    }
    schedule = await rent_schedule(assets, auth, lease["id"])
    assert amounts_due(schedule) == expected
    assert [(row["period_start"], row["period_end"], row["days"]) for row in schedule["months"]] == [
        ("2025-01-15", "2025-01-31", 17),
        ("2025-02-01", "2025-02-28", 28),
        ("2025-03-01", "2025-03-10", 10),
    ]
    assert monthly_rents(schedule) == {"2025-01": before, "2025-02": after, "2025-03": after}


async def test_the_rent_schedule_csv_is_the_json_schedule_as_text(assets, auth):
    building = await create_asset(assets, auth)
    escalations = [cpi_escalation("2026-01-01", "2024-10", "2025-10", "2.00", "4.00")]
    lease = await create_lease(assets, auth, building["id"], escalations=escalations)
    schedule = await rent_schedule(assets, auth, lease["id"])

    response = await assets.get(f"{LEASES}/{lease['id']}/rent-schedule.csv", headers=auth(READ))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.text)))
    assert lines[0] == [
        "month",
        "period_start",
        "period_end",
        "days",
        "monthly_rent",
        "amount_due",
        "missing_cpi",
    ]
    assert len(lines) == 1 + len(schedule["months"]) == 37
    assert lines[1] == ["2025-01", "2025-01-01", "2025-01-31", "31", "10000.00", "10000.00", ""]
    assert lines[13] == [
        "2026-01",
        "2026-01-01",
        "2026-01-31",
        "31",
        "",
        "",
        f"{LA_CPI}:2024-10 {LA_CPI}:2025-10",
    ]
    assert response.text.endswith("\r\n")


# CPI values


async def test_cpi_values_are_recorded_by_the_list_and_revised_with_if_match(assets, auth):
    recorded = await record_cpi(assets, auth, {"2025-09": "317.100", "2025-10": "318.000"})
    assert recorded.headers["location"] == f"{CPI}/{LA_CPI}"
    assert [(item["month"], item["value"], item["version"]) for item in ok(recorded, 201)["items"]] == [
        ("2025-09", "317.100", 1),
        ("2025-10", "318.000", 1),
    ]
    url = f"{CPI}/{LA_CPI}/2025-10"
    read = await assets.get(url, headers=auth(READ))
    assert (ok(read)["value"], read.headers["etag"]) == ("318.000", '"v1"')

    # The same value again changes nothing; another value is a revision, which needs PUT and If-Match.
    ok(await record_cpi(assets, auth, {"2025-10": "318.000", "2025-11": "318.400"}), 201)
    clash = assert_problem(await record_cpi(assets, auth, {"2025-10": "318.500"}), 409, "conflict")
    assert field_errors(clash) == {"values.0.value": "recorded_differently"}
    revise = {"value": "318.500"}
    assert_problem(await assets.put(url, json=revise, headers=auth(WRITE)), 428, "precondition-required")
    stale = await assets.put(url, json=revise, headers={**auth(WRITE), "If-Match": '"v7"'})
    assert_problem(stale, 412, "precondition-failed")
    revised = await assets.put(url, json=revise, headers={**auth(WRITE), "If-Match": '"v1"'})
    assert (ok(revised)["value"], ok(revised)["version"], revised.headers["etag"]) == ("318.500", 2, '"v2"')
    unknown = await assets.put(
        f"{CPI}/{LA_CPI}/2024-01", json=revise, headers={**auth(WRITE), "If-Match": '"v1"'}
    )
    assert_problem(unknown, 404, "not-found")

    listed = ok(await assets.get(f"{CPI}/{LA_CPI}", headers=auth(READ)))
    assert [(item["month"], item["value"]) for item in listed["items"]] == [
        ("2025-09", "317.100"),
        ("2025-10", "318.500"),
        ("2025-11", "318.400"),
    ]
    assert_problem(await assets.get(f"{CPI}/{LA_CPI}/2024-01", headers=auth(READ)), 404, "not-found")
    for bad in ("2025-13", "202510", "0000-01"):
        assert_problem(await assets.get(f"{CPI}/{LA_CPI}/{bad}", headers=auth(READ)), 422, "validation-error")
    assert_problem(await record_cpi(assets, auth, {"2025-12": "0"}), 422, "validation-error")
    assert ok(await record_cpi(assets, auth, {"2025-12": "318"}), 201)["items"][0]["value"] == "318.000"
    twice = {"values": [{"month": "2026-01", "value": "320.000"}, {"month": "2026-01", "value": "320.000"}]}
    duplicate = await assets.post(f"{CPI}/{LA_CPI}", json=twice, headers=auth(WRITE))
    assert field_errors(assert_problem(duplicate, 422, "validation-error")) == {"values.1.month": "duplicate"}


# Critical dates


async def test_critical_dates_within_a_window_from_today_in_los_angeles(assets, auth):
    building = await create_asset(assets, auth)
    soon = await create_lease(
        assets,
        auth,
        building["id"],
        commencement_date="2024-01-01",
        expiration_date="2026-04-30",
        options=[
            {"type": "renewal", "notice_deadline": "2026-03-15"},
            {"type": "purchase", "notice_deadline": "2025-12-31"},  # passed
        ],
    )
    later = await create_lease(
        assets, auth, building["id"], commencement_date="2024-01-01", expiration_date="2027-06-30"
    )
    ended = await create_lease(
        assets, auth, building["id"], commencement_date="2024-01-01", expiration_date="2026-03-20"
    )
    ok(await move_lease(assets, auth, ended["id"], "terminated", reason="Never signed."))

    url = f"{LEASES}/critical-dates"
    # 02:00 UTC on March 2 is still March 1 in Los Angeles.
    with pinned_time(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)):
        first = ok(await assets.get(url, params={"within_days": 60, "page_size": 1}, headers=auth(READ)))
        second = ok(
            await assets.get(
                url,
                params={"within_days": 60, "page_size": 1, "page_token": first["next_page_token"]},
                headers=auth(READ),
            )
        )
        wider = ok(await assets.get(url, params={"within_days": 500}, headers=auth(READ)))
        narrow = ok(await assets.get(url, params={"within_days": 13}, headers=auth(READ)))
    assert first["items"] + second["items"] == [
        {
            "lease_id": soon["id"],
            "asset_id": building["id"],
            "direction": "city_as_landlord",
            "kind": "option_notice_deadline",
            "due_date": "2026-03-15",
            "option_type": "renewal",
            "days_remaining": 14,
        },
        {
            "lease_id": soon["id"],
            "asset_id": building["id"],
            "direction": "city_as_landlord",
            "kind": "expiration",
            "due_date": "2026-04-30",
            "option_type": None,
            "days_remaining": 60,
        },
    ]
    assert second["next_page_token"] is None
    assert [(item["lease_id"], item["due_date"]) for item in wider["items"]][-1] == (
        later["id"],
        "2027-06-30",
    )
    assert narrow["items"] == []
    assert_problem(
        await assets.get(url, params={"within_days": 4000}, headers=auth(READ)), 422, "validation-error"
    )


def test_months_helper_walks_calendar_months():
    # The helper the figures above rely on, checked on its own.
    assert months("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert date(2025, 1, 1).strftime("%Y-%m") == months("2025-01", "2025-01")[0]


async def test_critical_dates_is_no_lease_id(assets, auth):
    url = f"{LEASES}/critical-dates"
    response = await assets.patch(url, json={}, headers={**auth(WRITE), "If-Match": '"v1"'})
    assert_problem(response, 405, "method-not-allowed")
    assert response.headers["allow"] == "GET"
    assert_problem(await assets.get(f"{LEASES}/not-a-lease-id", headers=auth(READ)), 404, "not-found")


async def test_a_schedule_that_could_outgrow_an_amount_is_refused(assets, auth):
    building = await create_asset(assets, auth)
    doubling = [
        {"kind": "fixed_percent", "effective_date": f"{year}-01-01", "percent": "100.00"}
        for year in range(2026, 2076)
    ]
    body = lease_body(building["id"], expiration_date="2075-12-31", escalations=doubling)
    problem = assert_problem(
        await assets.post(LEASES, json=body, headers=auth(WRITE)), 422, "validation-error"
    )
    assert field_errors(problem) == {"base_monthly_rent": "schedule_out_of_range"}
