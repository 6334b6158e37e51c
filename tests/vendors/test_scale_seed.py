"""`cityops seed --scale N` at a tiny scale: what it writes obeys the rules the API enforces, the
procurement records tell one consistent story (receipts that check, awards to the lowest bid, payments
on the right contracts), the same seed gives the same data, and the spend has the skew of a real year.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections import Counter
from datetime import date
from decimal import Decimal

import asyncpg
import pytest
from cryptography.fernet import Fernet

from services.common.clock import fiscal_year, is_business_day
from services.vendors.seeding.firms import Firm
from services.vendors.seeding.loader import load_scale_data
from services.vendors.seeding.plan import plan_for
from services.vendors.seeding.spend import payment_lines
from services.vendors.settings import VendorsSettings
from tests.conftest import migrated_database

SCALE = 0.002
TODAY = date(2026, 11, 22)


def fetch(url, query):
    async def run():
        connection = await asyncpg.connect(url)
        try:
            return await connection.fetch(query)
        finally:
            await connection.close()

    return asyncio.run(run())


def load(url):
    return asyncio.run(load_scale_data(url, SCALE, settings=VendorsSettings(database_url=url), today=TODAY))


@pytest.fixture(scope="module")
def seeded(server_url):
    """A database loaded at SCALE (the loader commits: a database of its own), and the load's result."""
    with migrated_database(server_url, "scale_seed") as url:
        yield url, load(url)


def test_the_plan_scales_one_los_angeles_fiscal_year():
    plan = plan_for(1, TODAY)
    assert (plan.solicitations, plan.payment_lines, plan.spend) == (
        1_500,
        2_000_000,
        Decimal("8200000000.00"),
    )
    assert 24_000 < plan.vendors < 25_000  # about 20,000 of them active
    assert (plan.fiscal_year, plan.fiscal_year_start, plan.fiscal_year_end) == (
        2026,
        date(2025, 7, 1),
        date(2026, 6, 30),
    )
    assert plan_for(0.01, date(2026, 6, 30)).fiscal_year == 2025  # FY2026 is not over until June 30 ends
    with pytest.raises(ValueError, match="scale"):
        plan_for(0, TODAY)


def test_it_writes_the_planned_counts_into_the_fiscal_year(seeded):
    url, result = seeded
    plan = result.plan
    [payments] = fetch(
        url,
        "SELECT count(*) AS lines, sum(amount) AS spend, min(paid_date) AS first, max(paid_date) AS last, "
        "count(DISTINCT external_ref) AS refs, array_agg(DISTINCT fiscal_year) AS years, "
        "count(*) FILTER (WHERE tier = 'sub') AS sub, "
        "count(*) FILTER (WHERE contract_id IS NOT NULL) AS on_contract, count(*) FILTER (WHERE amount < 0) AS "
        "corrections FROM vendors.payments",
    )
    assert payments["lines"] == payments["refs"] == plan.payment_lines == result.payment_lines
    assert payments["spend"] == result.spend
    assert plan.fiscal_year_start <= payments["first"] and payments["last"] <= plan.fiscal_year_end
    assert payments["years"] == [plan.fiscal_year]
    assert payments["on_contract"] > 0 and payments["on_contract"] < payments["lines"]
    [vendors] = fetch(
        url,
        "SELECT count(*) AS all, count(*) FILTER (WHERE status = 'active') AS active FROM vendors.vendors",
    )
    assert vendors["all"] == plan.vendors and vendors["active"] == result.active_vendors > 0
    [solicitations] = fetch(url, "SELECT count(*) AS n FROM vendors.solicitations")
    assert solicitations["n"] == plan.solicitations
    days = fetch(url, "SELECT DISTINCT paid_date FROM vendors.payments")
    assert all(is_business_day(row["paid_date"]) for row in days)


def test_payments_follow_the_payment_rules(seeded):
    url, _ = seeded
    [broken] = fetch(
        url,
        """
        SELECT
          count(*) FILTER (WHERE p.tier = 'prime' AND c.id IS NOT NULL AND c.vendor_id <> p.vendor_id) AS prime_off,
          count(*) FILTER (WHERE p.tier = 'sub' AND (c.vendor_id <> p.prime_vendor_id OR NOT EXISTS (
            SELECT 1 FROM vendors.subcontracts AS s WHERE s.contract_id = c.id AND s.sub_vendor_id = p.vendor_id))) AS sub_off,
          count(*) FILTER (WHERE c.id IS NOT NULL AND NOT p.paid_date BETWEEN c.period_start AND c.period_end) AS outside,
          count(*) FILTER (WHERE v.status <> 'active') AS inactive_payee,
          count(*) FILTER (WHERE p.category_code !~ '^[0-9]{3}-[0-9]{2}-[0-9]{2}$') AS not_three_levels
        FROM vendors.payments AS p
        JOIN vendors.vendors AS v ON v.id = p.vendor_id
        LEFT JOIN vendors.contracts AS c ON c.id = p.contract_id
        """,
    )
    assert dict(broken) == {
        "prime_off": 0,
        "sub_off": 0,
        "outside": 0,
        "inactive_payee": 0,
        "not_three_levels": 0,
    }


def test_bids_are_sealed_opened_and_awarded_as_the_process_leaves_them(seeded):
    url, result = seeded
    bids = fetch(
        url,
        "SELECT b.id, b.sealed_payload, b.receipt_hash, b.submitted_at, b.opened_total_amount, k.released_key "
        "FROM vendors.bids AS b JOIN vendors.solicitation_sealing_keys AS k USING (solicitation_id)",
    )
    assert len(bids) == result.bids > 0
    for bid in bids:
        submitted = bid["submitted_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        receipt = hashlib.sha256(f"{bid['id']}\n{bid['sealed_payload']}\n{submitted}".encode()).hexdigest()
        assert receipt == bid["receipt_hash"]
        content = Fernet(bid["released_key"]).decrypt(bid["sealed_payload"].encode())
        assert f'"amount":"{bid["opened_total_amount"]}"' in content.decode()
    [awards] = fetch(
        url,
        """
        SELECT count(*) AS awards,
          count(*) FILTER (WHERE a.amount <> (SELECT min(b.opened_total_amount) FROM vendors.bids AS b
                                              WHERE b.solicitation_id = a.solicitation_id)) AS not_lowest,
          count(*) FILTER (WHERE c.id IS NULL OR c.vendor_id <> a.vendor_id OR c.value_amount <> a.amount) AS no_contract,
          count(*) FILTER (WHERE a.award_date <= a.protest_window_ends_on) AS inside_window
        FROM vendors.awards AS a LEFT JOIN vendors.contracts AS c ON c.award_id = a.id
        """,
    )
    assert awards["awards"] == result.contracts
    assert (awards["not_lowest"], awards["no_contract"], awards["inside_window"]) == (0, 0, 0)
    [subs] = fetch(
        url,
        """
        SELECT count(*) FILTER (WHERE s.certification_type IS NOT NULL AND NOT EXISTS (
          SELECT 1 FROM vendors.certifications AS c WHERE c.vendor_id = s.sub_vendor_id AND c.type = s.certification_type
          AND c.status IN ('verified', 'revoked', 'superseded') AND c.effective_date <= s.committed_date
          AND c.expiration_date >= s.committed_date AND (c.ended_on IS NULL OR c.ended_on > s.committed_date))) AS unfounded
        FROM vendors.subcontracts AS s
        """,
    )
    assert subs["unfounded"] == 0


def test_the_same_seed_gives_the_same_data_and_a_loaded_registry_is_left_alone(seeded, server_url):
    url, _ = seeded
    assert load(url).plan is None  # the registry holds vendors: nothing more is written
    summary = (
        "SELECT (SELECT string_agg(legal_name, '|' ORDER BY vendor_number) FROM vendors.vendors) AS names, "
        "(SELECT string_agg(amount::text || paid_date::text, '|' ORDER BY external_ref) FROM vendors.payments) AS lines"
    )
    with migrated_database(server_url, "scale_seed_again") as other:
        load(other)
        assert fetch(other, summary)[0]["lines"] == fetch(url, summary)[0]["lines"]
        assert fetch(other, summary)[0]["names"] == fetch(url, summary)[0]["names"]


def test_a_few_vendors_take_most_of_the_spend_and_the_total_is_the_years():
    """The payment generator alone, on many firms: the skew needs numbers a tiny load does not have."""
    rng = random.Random(7)
    firms = [
        Firm(id=n, vendor_number=f"VND-{n:06d}", weight=rng.lognormvariate(0, 2.0), nigp=["620-80"])
        for n in range(2_000)
    ]
    plan = plan_for(0.05, TODAY)
    spend: Counter[int] = Counter()
    for batch in payment_lines(plan, firms, [], rng, 20_000):
        for row in batch:
            spend[row[1]] += row[7]
            assert fiscal_year(row[9]) == plan.fiscal_year
    total = sum(spend.values())
    top_tenth = sum(amount for _, amount in spend.most_common(len(firms) // 10))
    assert top_tenth / total > Decimal("0.5")
    assert abs(total - plan.spend) / plan.spend < Decimal("0.1")
